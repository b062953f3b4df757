// Hostile command lines and files, end to end: run ids that escape the results dir or overwrite a
// run, numbers out of range, unknown commands and flags, shards of a limited run, truncated
// samples files and rescores that match nothing. Each is one line and exit 2, before any request.
#include <algorithm>
#include <set>

#include "tests/catch.h"
#include "tests/runner/cli_harness.h"

using namespace moebench::testing;

namespace {

std::string run_args(const fs::path& dir) {
  return moebench_bin() + " run --backend oracle --no-progress --samples --results-dir '" +
         (dir / "results").string() + "'";
}

// One line, exit 2, naming `needle`; nothing written (no run, no cache: no request was sent).
// require_bad_input, and a short line with no response cache created either.
void require_refused(const CommandResult& r, const std::string& needle, const fs::path& dir) {
  require_bad_input(r, needle, dir);
  INFO(r.output);
  CHECK(r.output.size() < 400);
  CHECK_FALSE(fs::exists(dir / "results" / "cache.sqlite"));
}

std::set<std::string> doc_ids(const fs::path& run_dir) {
  std::set<std::string> ids;
  for (const std::string& line : read_lines(run_dir / "samples.jsonl"))
    ids.insert(nlohmann::json::parse(line)["doc_id"].get<std::string>());
  return ids;
}

}  // namespace

TEST_CASE("a run id is one safe directory name, checked before any request", "[cli][bad-input]") {
  const auto dir = temp_dir("runid-escape");
  fs::create_directories(dir / "a" / "b");
  // On 06a5878 the first wrote run.json two levels above the results dir; the second ran every
  // request, then failed with an internal error and left results/.a/b.partial behind.
  for (const char* id : {"../../escape", "a/b", "..", ".hidden", "/tmp/x", "x y"}) {
    const auto r =
        run_command(run_args(dir / "a" / "b") + " --suites gsm8k --run-id '" + id + "'", dir);
    require_refused(r, "--run-id '" + std::string(id) + "'", dir / "a" / "b");
  }
  CHECK_FALSE(fs::exists(dir / "a" / "escape"));
  CHECK_FALSE(fs::exists(dir / "a" / "b" / "results" / ".a"));
}

TEST_CASE("an existing run is replaced only with --force", "[cli][bad-input]") {
  const auto dir = temp_dir("runid-force");
  const std::string args = run_args(dir) + " --run-id nightly";
  REQUIRE(run_command(args + " --suites gsm8k", dir).exit_code == 0);
  const fs::path run_json = dir / "results" / "nightly" / "run.json";
  const std::string first = read_file(run_json);
  // 06a5878 silently overwrote the earlier run.
  const auto again = run_command(args + " --suites mmlu", dir);
  INFO(again.output);
  CHECK(again.exit_code == 2);
  CHECK(again.output.find("already exists; pass --force") != std::string::npos);
  CHECK(read_file(run_json) == first);
  const auto forced = run_command(args + " --suites mmlu --force", dir);
  INFO(forced.output);
  CHECK(forced.exit_code == 0);
  CHECK(nlohmann::json::parse(read_file(run_json))["suites"].contains("mmlu"));
  // Generated ids never collide: the same command twice gives two runs.
  for (int i = 0; i < 2; ++i)
    REQUIRE(run_command(run_args(dir / "auto") + " --suites gsm8k", dir).exit_code == 0);
  CHECK(run_dirs(dir / "auto" / "results").size() == 2);
}

TEST_CASE("numbers and lists out of range are refused with the bound", "[cli][bad-input]") {
  const auto dir = temp_dir("cli-numbers");
  // 06a5878 stored --seed -1 as 18446744073709551615, ran --batch-size 0 and -3, --sandbox-workers
  // -4 and --suites "" (every suite), and printed a 300-digit range for --limit -5.
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"--seed -1", "--seed: '-1' is not an integer from 0 to 18446744073709551615"},
      {"--seed 1.5", "--seed: '1.5' is not an integer"},
      {"--batch-size 0", "--batch-size: '0' is not an integer from 1"},
      {"--batch-size -3", "--batch-size: '-3' is not an integer from 1"},
      {"--sandbox-workers -4", "--sandbox-workers: '-4' is not an integer from 0"},
      {"--suites ''", "--suites: '' names nothing"},
      {"--suites ' , '", "names nothing"},
      {"--limit -5", "--limit: '-5' is not an integer >= 1"},
      {"--limit 0", "--limit: '0' is not an integer >= 1"},
      {"--limit 99999999999999999999", "is not an integer >= 1"},
      {"--progress-interval 0", "--progress-interval: '0' is not a number > 0"},
      {"--max-error-rate 1.5", "is not a number >= 0 and <= 1"},
      {"--shard 2/2", "--shard '2/2': need 0 <= i < N"},
  };
  for (const auto& [flag, message] : cases) {
    require_refused(run_command(run_args(dir) + " " + flag, dir), message, dir);
  }
  require_refused(run_command(moebench_bin() + " serve x --port 99999", dir),
                  "--port: '99999' is not an integer from 0 to 65535", dir);
  require_refused(run_command(moebench_bin() + " compare a b --alpha 2", dir), "--alpha", dir);
}

TEST_CASE("unknown commands and flags are named, with the nearest known one", "[cli][bad-input]") {
  const auto dir = temp_dir("cli-unknown");
  require_refused(run_command(moebench_bin() + " frobnicate", dir),
                  "unknown command 'frobnicate' for 'moebench'; commands: list, run,", dir);
  require_refused(run_command(moebench_bin() + " rnu --samples", dir),
                  "unknown command 'rnu' for 'moebench' (did you mean 'run'?)", dir);
  require_refused(run_command(moebench_bin() + " model inti -o x", dir),
                  "unknown command 'inti' for 'moebench model' (did you mean 'init'?)", dir);
  require_refused(run_command(run_args(dir) + " --suits gsm8k", dir),
                  "unknown option '--suits' for 'moebench run' (did you mean '--suites'?)", dir);
  require_refused(run_command(run_args(dir) + " --limit=3 --no-cahce", dir),
                  "unknown option '--no-cahce' for 'moebench run' (did you mean '--no-cache'?)",
                  dir);
  require_refused(run_command(moebench_bin() + " report --xyzzy", dir),
                  "unknown option '--xyzzy' for 'moebench report'", dir);
}

TEST_CASE("the shards of a limited run partition exactly the unsharded run's documents",
          "[cli][shard]") {
  const auto dir = temp_dir("shard-limit");
  const fs::path data = dir / "data" / "gsm8k";
  fs::create_directories(data);
  for (const char* split : {"train", "test"}) {
    std::ofstream out(data / (std::string(split) + ".jsonl"));
    for (int i = 0; i < 12; ++i) {
      const std::string n = std::to_string(i);
      out << nlohmann::json{{"question", "What is " + n + "?"}, {"answer", n + "\n#### " + n}}
                 .dump()
          << "\n";
    }
  }
  const std::string base = moebench_bin() + " run --backend oracle --no-progress --results-dir '" +
                           (dir / "results").string() + "' --data-dir '" + (dir / "data").string() +
                           "' --suites gsm8k --limit 5";
  REQUIRE(run_command(base + " --run-id all", dir).exit_code == 0);
  const std::set<std::string> all = doc_ids(dir / "results" / "all");
  REQUIRE(all.size() == 5);
  std::set<std::string> united;
  size_t total = 0;
  for (int i = 0; i < 3; ++i) {
    const std::string id = "shard" + std::to_string(i);
    const auto r = run_command(base + " --shard " + std::to_string(i) + "/3 --run-id " + id, dir);
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    const std::set<std::string> part = doc_ids(dir / "results" / id);
    total += part.size();
    united.insert(part.begin(), part.end());
  }
  // lm-eval's --limit: the first 5 documents, which the shards split. On 06a5878 each shard took
  // its own first 5 (12 documents in all, most of them beyond the unsharded run's).
  CHECK(total == all.size());
  CHECK(united == all);
}

TEST_CASE("a rescore whose ids match no document is refused", "[cli][bad-input]") {
  const auto dir = temp_dir("rescore-nomatch");
  std::ofstream(dir / "answers.jsonl") << "{\"id\": \"nope/1\", \"response\": \"#### 3\"}\n"
                                       << "{\"id\": \"nope/2\", \"response\": \"#### 4\"}\n";
  // 06a5878 scored "0 documents" and exited 0.
  const auto r = run_command(moebench_bin() + " rescore --no-progress --samples --suites gsm8k " +
                                 "--results-dir '" + (dir / "results").string() + "' '" +
                                 (dir / "answers.jsonl").string() + "'",
                             dir);
  require_refused(r, "none of the 2 document ids of the responses names a document of gsm8k", dir);
}

TEST_CASE("a truncated samples.jsonl is a short file:line error or a count warning",
          "[cli][bad-input]") {
  const auto dir = temp_dir("torn-samples");
  REQUIRE(run_command(run_args(dir) + " --suites gsm8k,mmlu --run-id a", dir).exit_code == 0);
  const fs::path a = dir / "results" / "a";
  const fs::path b = dir / "results" / "b";
  fs::create_directories(b);
  fs::copy_file(a / "run.json", b / "run.json");
  const std::vector<std::string> lines = read_lines(a / "samples.jsonl");
  REQUIRE(lines.size() >= 6);
  // Cut inside line 5's prompt: 06a5878 printed the prompt text nlohmann quotes, 700+ characters.
  std::string cut = lines[4].substr(0, lines[4].find("\"prompt\"") + 600);
  {
    std::ofstream out(b / "samples.jsonl");
    for (int i = 0; i < 4; ++i) out << lines[i] << "\n";
    out << cut;
  }
  auto r = run_command(moebench_bin() + " compare '" + a.string() + "' '" + b.string() + "'", dir);
  INFO(r.output);
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("samples.jsonl:5: malformed JSON line (") != std::string::npos);
  CHECK(r.output.size() < 400);
  r = run_command(moebench_bin() + " report '" + (dir / "results").string() + "'", dir);
  INFO(r.output);
  CHECK(r.output.find("samples.jsonl:5: malformed JSON line (") != std::string::npos);
  for (const std::string& line : read_lines(dir / "command.out")) CHECK(line.size() < 400);
  // Cut at a line end: the count disagrees with run.json, which compare refuses and report says.
  {
    std::ofstream out(b / "samples.jsonl");
    for (int i = 0; i < 4; ++i) out << lines[i] << "\n";
  }
  r = run_command(moebench_bin() + " compare '" + a.string() + "' '" + b.string() + "'", dir);
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("but run.json says") != std::string::npos);
  r = run_command(moebench_bin() + " report '" + (dir / "results").string() + "'", dir);
  INFO(r.output);
  CHECK(r.output.find("but run.json says") != std::string::npos);
}

TEST_CASE("an empty eval data file is refused with its path", "[cli][bad-input]") {
  const auto dir = temp_dir("empty-data");
  fs::create_directories(dir / "data" / "gsm8k");
  std::ofstream(dir / "data" / "gsm8k" / "test.jsonl");
  fs::copy_file(fs::path(MOEBENCH_SOURCE_DIR) / "tasks/samples/gsm8k/train.jsonl",
                dir / "data" / "gsm8k" / "train.jsonl");
  // f6a2c01 wrote a run of "0 documents" and exited 0; report ranked it 0.0.
  const auto r = run_command(
      moebench_bin() + " run --backend oracle --no-progress --suites gsm8k --data-dir '" +
          (dir / "data").string() + "' --results-dir '" + (dir / "results").string() + "'",
      dir);
  require_refused(r, (dir / "data" / "gsm8k" / "test.jsonl").string() + ": no documents", dir);
}

TEST_CASE("a rescore or replay of a directory or an empty file is refused", "[cli][bad-input]") {
  const auto dir = temp_dir("rescore-empty");
  fs::create_directories(dir / "a_dir");
  std::ofstream(dir / "empty.jsonl") << "\n";
  const std::string results = " --results-dir '" + (dir / "results").string() + "' ";
  const std::string rescore = moebench_bin() + " rescore --no-progress --samples" + results;
  // f6a2c01 scored both as 0% (every document not_found) and exited 4; without --suites a
  // directory was told its "lines carry no 'suite'".
  const std::pair<std::string, std::string> cases[] = {
      {rescore + "--suites gsm8k '" + (dir / "a_dir").string() + "'", "is a directory"},
      {rescore + "'" + (dir / "a_dir").string() + "'", "is a directory"},
      {rescore + "--suites gsm8k '" + (dir / "empty.jsonl").string() + "'", "holds no records"},
      {moebench_bin() + " run --no-progress --samples --suites gsm8k" + results +
           "--backend 'replay:" + (dir / "a_dir").string() + "'",
       "is a directory"},
  };
  for (const auto& [cmd, says] : cases) {
    INFO(cmd);
    fs::remove_all(dir / "results");
    const auto r = run_command(cmd, dir);
    require_refused(r, says, dir);
    CHECK(r.output.find(dir.string()) != std::string::npos);
  }
}

// Output paths were tried only when the work was done: loadgen ran its whole load test and then
// lost every record to "--json 'DIR': cannot write"; merge and model init threw a raw filesystem
// error. A path that cannot be written is refused before anything runs.
TEST_CASE("an output path that cannot be written is refused before the work", "[cli][bad-input]") {
  const auto dir = temp_dir("cli-output-paths");
  fs::create_directories(dir / "adir");
  std::ofstream(dir / "afile") << "x";
  const std::string a = (dir / "adir").string(), f = (dir / "afile").string();
  auto refused = [&](const std::string& args, const std::string& needle) {
    const CommandResult r = run_command(moebench_bin() + " " + args, dir);
    INFO(args << "\n" << r.output);
    CHECK(r.exit_code == 2);
    CHECK(r.output.find(needle) != std::string::npos);
    CHECK(std::count(r.output.begin(), r.output.end(), '\n') == 1);
  };
  refused("loadgen --model m --base-url http://127.0.0.1:9 --num-prompts 1 --json '" + a + "'",
          "--json: '" + a + "' is a directory");
  refused(
      "loadgen --model m --base-url http://127.0.0.1:9 --num-prompts 1 --json '" + f + "/x.json'",
      "--json: '" + f + "' is not a directory");
  refused("loadgen --model m --base-url http://127.0.0.1:9 --num-prompts 1 --json '" + a +
              "/no/x.json'",
          "--json: no directory '" + a + "/no'");
  refused("merge r1 r2 -o '" + f + "/x'", "--output: '" + f + "' is not a directory");
  refused("merge r1 r2 -o '" + f + "'", "--output: '" + f + "' is a file, not a directory");
  refused("model init -o '" + f + "/m'", "--out: '" + f + "' is not a directory");
  refused("compare r1 r2 -o '" + a + "'", "--out: '" + a + "' is a directory");
  refused("cost --decode-tps 100 --gpu-hour-usd 2 -o '" + a + "'",
          "--out: '" + a + "' is a directory");
  fs::remove_all(dir);
}
