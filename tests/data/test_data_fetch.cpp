// `moebench data fetch` through the loopback mirror: every dataset fetched and checked, then the
// oracle scores 100% on the fetched copy; each fault gives one clear line and leaves nothing
// half-written in place; a cut or killed download resumes with a Range request.
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <regex>

#include "tests/catch.h"
#include "tests/data/mirror/mirror_server.h"
#include "tests/runner/cli_harness.h"

using namespace moebench;
using namespace moebench::testing;

namespace {

const fs::path kDatasets = fs::path(MOEBENCH_SOURCE_DIR "/../shared/datasets");
const fs::path kTable = fs::path(MOEBENCH_SOURCE_DIR "/tasks/datasets.json");

std::string fetch_cmd(const MirrorServer& m, const fs::path& data, const std::string& names = "") {
  return moebench_bin() + " data fetch " + names + " --mirror " + m.base_url() + " --data-dir '" +
         data.string() + "' --no-progress";
}

long requests_for(const MirrorServer& m, const std::string& part) {
  long n = 0;
  for (const auto& r : m.requests()) n += r.path.find(part) != std::string::npos;
  return n;
}

// The lines of `text` that start with "moebench: ".
std::vector<std::string> error_lines(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  for (std::string line; std::getline(ss, line);) {
    if (line.rfind("moebench: ", 0) == 0) out.push_back(line);
  }
  return out;
}

bool nothing_in_place(const fs::path& data, const std::string& dataset) {
  return !fs::exists(data / dataset);
}

}  // namespace

// NOTE: no ';' in a test name: catch_discover_tests splits there, and the cut name matched no test
// (this one ran as nothing until 2026-12-05).
TEST_CASE("data fetch: every dataset through the mirror, verified, and selfcheck scores 100% on it",
          "[data]") {
  const fs::path dir = temp_dir("fetch-all");
  const DatasetTable table = dataset_table_read(kTable);
  MirrorServer mirror(table, kDatasets, dir / "mirror");
  const fs::path data = dir / "data";
  auto r = run_command(fetch_cmd(mirror, data), dir);
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK(std::regex_search(r.output, std::regex("10 fetched, 0 already present, 0 failed: [0-9.]+ "
                                               "MB downloaded in [0-9.]+ s")));
  for (const auto& [name, d] : table.datasets) {
    INFO(name);
    CHECK(dataset_presence(d, data).complete());
    CHECK(dataset_verify(d, data).empty());
  }
  CHECK(!fs::exists(data / ".moebench-fetch" / "gsm8k"));  // no staging left behind
  // The suites read the fetched copy: the oracle scores 100% on every document of every suite.
  auto self =
      run_command(moebench_bin() + " selfcheck --profile lm-eval --no-progress --data-dir '" +
                      data.string() + "' --results-dir '" + (dir / "results").string() + "'",
                  dir);
  INFO(self.output);
  CHECK(self.exit_code == 0);
  // `list` and `data status` show it all present; a second fetch downloads nothing.
  auto list = run_command(moebench_bin() + " list --data-dir '" + data.string() + "'", dir);
  CHECK(list.output.find("missing") == std::string::npos);
  CHECK(std::count(list.output.begin(), list.output.end(), '\n') > 11);
  auto status =
      run_command(moebench_bin() + " data status --verify --data-dir '" + data.string() + "'", dir);
  INFO(status.output);
  CHECK(status.exit_code == 0);
  const size_t before = mirror.requests().size();
  auto again = run_command(fetch_cmd(mirror, data), dir);
  CHECK(again.exit_code == 0);
  CHECK(again.output.find("0 fetched, 10 already present, 0 failed") != std::string::npos);
  CHECK(mirror.requests().size() == before);
  fs::remove_all(dir);
}

TEST_CASE(
    "data fetch: a wrong checksum or a 404 is one line naming the dataset and the URL, and "
    "nothing goes into place",
    "[data]") {
  const fs::path dir = temp_dir("fetch-faults");
  const DatasetTable table = dataset_table_read(kTable);
  MirrorServer mirror(table, kDatasets, dir / "mirror");
  const fs::path data = dir / "data";

  mirror.fault("grade_school_math/data/test.jsonl", "corrupt", 1);
  auto r = run_command(fetch_cmd(mirror, data, "gsm8k"), dir);
  INFO(r.output);
  CHECK(r.exit_code == 5);
  const auto lines = error_lines(r.output);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].find("moebench: data fetch: gsm8k: " + mirror.base_url() +
                      "/raw.githubusercontent.com/openai/grade-school-math/") == 0);
  CHECK(lines[0].find("test.jsonl: SHA-256 ") != std::string::npos);
  CHECK(lines[0].find("expected 3730d312f6e3440559ace48831e51066acaca737f6eabec99bccb9e4b3c39d14 "
                      "(749738 bytes); the download was discarded") != std::string::npos);
  CHECK(nothing_in_place(data, "gsm8k"));

  // A 404 for ARC: the other dataset of the same fetch still goes into place.
  mirror.fault("ARC-Challenge-Test.jsonl", "404", 100);
  r = run_command(fetch_cmd(mirror, data, "arc_challenge gsm8k"), dir);
  INFO(r.output);
  CHECK(r.exit_code == 5);
  const auto lines404 = error_lines(r.output);
  REQUIRE(lines404.size() == 1);
  CHECK(lines404[0] == "moebench: data fetch: arc (suites arc_challenge): " + mirror.base_url() +
                           "/raw.githubusercontent.com/FormulaMonks/llm-benchmarker-suite/"
                           "5d3c8009ab8f5adab4899c34dd203cbf7afcb372/data/ARC/ARC-c/"
                           "ARC-Challenge-Test.jsonl: HTTP 404 Not Found");
  CHECK(nothing_in_place(data, "arc"));
  CHECK(dataset_verify(table.find("gsm8k"), data).empty());      // fetched this time
  CHECK(requests_for(mirror, "ARC-Challenge-Test.jsonl") == 1);  // a 404 is not retried

  // A suite whose data is missing says which suite, where it looked and what to run.
  auto run = run_command(moebench_bin() +
                             " run --backend oracle --suites arc_challenge "
                             "--no-progress --data-dir '" +
                             data.string() + "' --results-dir '" + (dir / "results").string() + "'",
                         dir);
  CHECK(run.exit_code == 2);
  CHECK(run.output == "moebench: error: arc_challenge: no data in " + (data / "arc").string() +
                          "; fetch it with: moebench data fetch arc_challenge --data-dir '" +
                          data.string() +
                          "' (or pass --data-dir, set $MOEBENCH_DATA, or use --samples)\n");
  auto list = run_command(moebench_bin() + " list --data-dir '" + data.string() + "'", dir);
  CHECK(std::regex_search(list.output, std::regex("\narc_challenge +exam .* missing ")));
  CHECK(std::regex_search(list.output, std::regex("\ngsm8k +math .* present ")));
  fs::remove_all(dir);
}

TEST_CASE("data fetch: a cut connection resumes with a Range request, 503s are retried", "[data]") {
  const fs::path dir = temp_dir("fetch-resume");
  const DatasetTable table = dataset_table_read(kTable);
  MirrorServer mirror(table, kDatasets, dir / "mirror");
  const fs::path data = dir / "data";
  mirror.fault("grade_school_math/data/train.jsonl", "cut", 1);
  mirror.fault("evaluation/mmlu/mmlu.zip", "cut", 1);
  mirror.fault("human-eval", "503", 2);
  auto r = run_command(fetch_cmd(mirror, data, "gsm8k mmlu humaneval"), dir);
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  for (const char* name : {"gsm8k", "mmlu", "humaneval"}) {
    CHECK(dataset_verify(table.find(name), data).empty());
  }
  std::vector<std::string> ranges;
  std::vector<int> humaneval_statuses;
  for (const auto& q : mirror.requests()) {
    if (q.path.find("train.jsonl") != std::string::npos ||
        q.path.find("mmlu.zip") != std::string::npos) {
      ranges.push_back(q.range);
    }
    if (q.path.find("human-eval") != std::string::npos) humaneval_statuses.push_back(q.status);
  }
  // Each cut file was asked for twice: from the start, then from the bytes it had (Range).
  REQUIRE(ranges.size() == 4);
  CHECK(std::count(ranges.begin(), ranges.end(), "") == 2);
  for (const std::string& range : ranges) {
    if (!range.empty()) CHECK(std::regex_match(range, std::regex("bytes=[1-9][0-9]*-")));
  }
  CHECK(humaneval_statuses == std::vector<int>{503, 503, 200});
  fs::remove_all(dir);
}

TEST_CASE("data fetch: a killed fetch leaves nothing in place and the next one resumes", "[data]") {
  const fs::path dir = temp_dir("fetch-kill");
  const DatasetTable table = dataset_table_read(kTable);
  MirrorServer mirror(table, kDatasets, dir / "mirror");
  const fs::path data = dir / "data";
  mirror.fault("grade_school_math/data/train.jsonl", "stall", 1);
  const fs::path part = data / ".moebench-fetch" / "gsm8k" / "parts" / "1.part";
  const pid_t pid = spawn({moebench_bin(), "data", "fetch", "gsm8k", "--mirror", mirror.base_url(),
                           "--data-dir", data.string(), "--no-progress"},
                          dir / "fetch.out");
  std::error_code ec;
  REQUIRE(wait_until([&] { return fs::exists(part, ec) && fs::file_size(part, ec) > 0; }));
  ::kill(pid, SIGKILL);
  CHECK(wait_exit(pid) == 128 + SIGKILL);
  CHECK(nothing_in_place(data, "gsm8k"));
  const auto had = fs::file_size(part);
  auto r = run_command(fetch_cmd(mirror, data, "gsm8k"), dir);
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK(dataset_verify(table.find("gsm8k"), data).empty());
  const auto requests = mirror.requests();
  REQUIRE(!requests.empty());
  const MirrorRequest& last = requests.back().path.find("train.jsonl") != std::string::npos
                                  ? requests.back()
                                  : requests[requests.size() - 2];
  CHECK(last.path.find("train.jsonl") != std::string::npos);
  const long from = std::stol(last.range.substr(6));  // "bytes=N-"
  CHECK(from >= static_cast<long>(had));  // resumed at least from what the killed fetch kept
  CHECK(from > 0);
  fs::remove_all(dir);
}

// Two shard jobs of a night fetching into one data dir: the second exited 2 at once ("another
// moebench data fetch is writing it") and failed its shard. It waits, then finds the dataset the
// other one put in place and downloads nothing.
TEST_CASE("data fetch: a second fetch into a locked data dir waits and fetches nothing again",
          "[data]") {
  const fs::path dir = temp_dir("fetch-lock");
  const DatasetTable table = dataset_table_read(kTable);
  MirrorServer mirror(table, kDatasets, dir / "mirror");
  const fs::path data = dir / "data";
  fs::create_directories(data / ".moebench-fetch");
  // Stands in for a fetch in progress: the test holds the lock until both fetches wait on it (not
  // inherited by them: a shared lock would never be released).
  const int held =
      ::open((data / ".moebench-fetch" / "lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  REQUIRE(held >= 0);
  REQUIRE(::flock(held, LOCK_EX) == 0);
  const std::vector<std::string> args = {moebench_bin(), "data",        "fetch",
                                         "gsm8k",        "--mirror",    mirror.base_url(),
                                         "--data-dir",   data.string(), "--no-progress"};
  const pid_t a = spawn(args, dir / "a.out");
  const pid_t b = spawn(args, dir / "b.out");
  auto waiting = [&](const fs::path& out) {
    return read_file(out).find("another moebench data fetch is writing it; waiting") !=
           std::string::npos;
  };
  REQUIRE(wait_until([&] { return waiting(dir / "a.out") && waiting(dir / "b.out"); }));
  ::close(held);
  CHECK(wait_exit(a) == 0);
  CHECK(wait_exit(b) == 0);
  INFO(read_file(dir / "a.out") << read_file(dir / "b.out"));
  CHECK(dataset_verify(table.find("gsm8k"), data).empty());
  // One of them downloaded GSM8K's files, once; the other found them in place.
  CHECK(requests_for(mirror, "test.jsonl") == 1);
  const std::string both = read_file(dir / "a.out") + read_file(dir / "b.out");
  CHECK(both.find("1 fetched, 0 already present") != std::string::npos);
  CHECK(both.find("0 fetched, 1 already present") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("data fetch over HTTPS checks the certificate", "[data]") {
  const fs::path dir = temp_dir("fetch-tls");
  const std::string cert = (dir / "cert.pem").string(), key = (dir / "key.pem").string();
  REQUIRE(std::system(("openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 "
                       "-addext subjectAltName=IP:127.0.0.1 -keyout " +
                       key + " -out " + cert + " >/dev/null 2>&1")
                          .c_str()) == 0);
  const DatasetTable table = dataset_table_read(kTable);
  MirrorServer mirror(table, kDatasets, dir / "mirror", cert, key);
  const fs::path data = dir / "data";
  auto untrusted = run_command(fetch_cmd(mirror, data, "humaneval") + " --retries 0", dir);
  INFO(untrusted.output);
  CHECK(untrusted.exit_code == 5);
  CHECK(untrusted.output.find("humaneval: https://127.0.0.1:") != std::string::npos);
  CHECK(nothing_in_place(data, "humaneval"));
  auto trusted = run_command(fetch_cmd(mirror, data, "humaneval") + " --ca-file " + cert, dir);
  INFO(trusted.output);
  CHECK(trusted.exit_code == 0);
  CHECK(dataset_verify(table.find("humaneval"), data).empty());
  fs::remove_all(dir);
}

TEST_CASE("data fetch: a full disk or a read-only data dir is a clear error", "[data]") {
  const fs::path dir = temp_dir("fetch-disk");
  const DatasetTable table = dataset_table_read(kTable);
  MirrorServer mirror(table, kDatasets, dir / "mirror");
  const fs::path data = dir / "data";
  fs::create_directories(data);
  // A private mount namespace (root in CI): a 1 MB tmpfs for 4.9 MB of GSM8K, then a read-only one.
  auto full = run_command("unshare -m sh -c \"mount -t tmpfs -o size=1m none '" + data.string() +
                              "' && " + fetch_cmd(mirror, data, "gsm8k") + " --retries 0; echo " +
                              "rc=\\$?; ls -A '" + data.string() + "'\"",
                          dir);
  INFO(full.output);
  CHECK(full.output.find("No space left on device") != std::string::npos);
  CHECK(full.output.find("rc=5") != std::string::npos);
  CHECK(full.output.find("\ngsm8k\n") == std::string::npos);  // nothing in place
  auto ro = run_command("unshare -m sh -c \"mount -t tmpfs -o ro none '" + data.string() + "' && " +
                            fetch_cmd(mirror, data, "gsm8k") + "; echo rc=\\$?\"",
                        dir);
  INFO(ro.output);
  CHECK(ro.output.find("moebench: error: data dir " + data.string() +
                       ": cannot write (Read-only file system)") != std::string::npos);
  CHECK(ro.output.find("rc=2") != std::string::npos);
  // A read-only data dir that already holds the datasets asked for is fine: nothing is written.
  auto ro_full = run_command("unshare -m sh -c \"mount -t tmpfs none '" + data.string() + "' && " +
                                 fetch_cmd(mirror, data, "gsm8k") + " && mount -o remount,ro '" +
                                 data.string() + "' && " + fetch_cmd(mirror, data, "gsm8k") +
                                 "; echo rc=\\$?\"",
                             dir);
  INFO(ro_full.output);
  CHECK(ro_full.output.find("0 fetched, 1 already present, 0 failed") != std::string::npos);
  CHECK(ro_full.output.find("rc=0") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("dataset table: unsafe paths and bad checksums are refused by field", "[data]") {
  const fs::path dir = temp_dir("fetch-table");
  nlohmann::json t = nlohmann::json::parse(read_file(kTable));
  t["datasets"]["gsm8k"]["files"][0]["path"] = "../escape.jsonl";
  std::ofstream(dir / "bad.json") << t.dump();
  auto r =
      run_command(moebench_bin() + " data fetch gsm8k --sources '" + (dir / "bad.json").string() +
                      "' --data-dir '" + (dir / "data").string() + "'",
                  dir);
  CHECK(r.exit_code == 2);
  CHECK(r.output == "moebench: error: " + (dir / "bad.json").string() +
                        ": field 'datasets.gsm8k.files[0].path': '../escape.jsonl' is not a safe "
                        "relative path\n");
  t = nlohmann::json::parse(read_file(kTable));
  t["datasets"]["mmlu"]["files"][0]["members"][3]["sha256"] = "xyz";
  std::ofstream(dir / "bad2.json") << t.dump();
  r = run_command(moebench_bin() + " data status --sources '" + (dir / "bad2.json").string() + "'",
                  dir);
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("field 'datasets.mmlu.files[0].members[3].sha256': expected 64 lower-case "
                      "hex digits") != std::string::npos);
  auto unknown = run_command(
      moebench_bin() + " data fetch gsm9k --data-dir '" + (dir / "data").string() + "'", dir);
  CHECK(unknown.exit_code == 2);
  CHECK(unknown.output.find("unknown suite or dataset 'gsm9k'") != std::string::npos);
  CHECK(!fs::exists(dir / "data" / "gsm8k"));
  fs::remove_all(dir);
}

// A nightly entry names suites as `run` takes them (mmlu@chat, mmlu:anatomy); its CI shard step
// passes them to `data fetch`, which refused them as unknown and failed the shard.
TEST_CASE("data: a suite with a profile or a subject selection names its dataset", "[data]") {
  const fs::path dir = temp_dir("data-suite-keys");
  auto r = run_command(moebench_bin() + " data status 'gsm8k@chat' 'mmlu:anatomy' --data-dir '" +
                           kDatasets.string() + "'",
                       dir);
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK(r.output.find("gsm8k") != std::string::npos);
  CHECK(r.output.find("mmlu") != std::string::npos);
  auto bad = run_command(
      moebench_bin() + " data status 'nosuch@chat' --data-dir '" + kDatasets.string() + "'", dir);
  CHECK(bad.exit_code == 2);
  CHECK(bad.output.find("unknown suite or dataset 'nosuch@chat'") != std::string::npos);
  fs::remove_all(dir);
}

// A nightly config's include_path suites are run with --include-path, and ci_step.sh fetches an
// entry's suites first: data fetch knew only the tasks dir's, so such a shard failed with
// "unknown suite". A suite that ships its own data (<dir>/data/<dataset.dir>) has nothing to fetch.
TEST_CASE("data fetch and status take --include-path suites", "[data]") {
  const fs::path dir = temp_dir("fetch-include");
  const DatasetTable table = dataset_table_read(kTable);
  MirrorServer mirror(table, kDatasets, dir / "mirror");
  const fs::path extra = dir / "extra";
  nlohmann::json spec =
      nlohmann::json::parse(std::ifstream(fs::path(MOEBENCH_SOURCE_DIR) / "tasks/math/gsm8k.json"));
  fs::create_directories(extra / "math");
  spec["name"] = "gsm8k_mine";
  std::ofstream(extra / "math/gsm8k_mine.json") << spec.dump(1);
  spec["name"] = "gsm8k_own";
  spec["dataset"]["dir"] = "gsm8k_own";
  std::ofstream(extra / "math/gsm8k_own.json") << spec.dump(1);
  fs::create_directories(extra / "data/gsm8k_own");
  const fs::path data = dir / "data";
  const std::string include = " --include-path '" + extra.string() + "'";
  auto unknown = run_command(fetch_cmd(mirror, data, "gsm8k_mine"), dir);
  CHECK(unknown.exit_code == 2);
  CHECK(unknown.output.find("unknown suite or dataset 'gsm8k_mine'") != std::string::npos);
  auto r = run_command(fetch_cmd(mirror, data, "gsm8k_mine gsm8k_own") + include, dir);
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK(r.output.find("gsm8k_own: reads its own data in " + (extra / "data/gsm8k_own").string() +
                      " (nothing to fetch)") != std::string::npos);
  CHECK(r.output.find("1 fetched, 0 already present, 0 failed") != std::string::npos);
  CHECK(dataset_presence(table.find("gsm8k"), data).complete());
  auto status = run_command(
      moebench_bin() + " data status gsm8k_mine --data-dir '" + data.string() + "'" + include, dir);
  INFO(status.output);
  CHECK(status.exit_code == 0);
  CHECK(std::regex_search(status.output, std::regex("gsm8k +gsm8k, gsm8k_mine")));
  fs::remove_all(dir);
}
