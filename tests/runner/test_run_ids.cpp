// A run's directory is its own from the moment it picks its id: a second run never writes or
// replaces it (an explicit --run-id a running run holds is refused, with --force too), a killed
// run's leftovers hold nothing, a results dir that cannot be made is found before anything is
// sent, and the generated id's hash tells apart every option that changes the results.
#include <signal.h>

#include <set>

#include "harness/results/run_claim.h"
#include "tests/catch.h"
#include "tests/input_error_of.h"
#include "tests/runner/cli_harness.h"

using namespace moebench;
using namespace moebench::testing;

namespace {

// The oracle over the bundled samples of `suites`, one request a call, each answered in 300 ms,
// logging what it answers into dir/<log>.
std::vector<std::string> logged_run(const fs::path& dir, const std::string& suites,
                                    const std::string& log, const std::vector<std::string>& extra) {
  std::vector<std::string> args = {moebench_bin(),
                                   "run",
                                   "--samples",
                                   "--suites",
                                   suites,
                                   "--backend",
                                   "oracle",
                                   "--backend-opt",
                                   "delay_ms=300",
                                   "--backend-opt",
                                   "request_log=" + (dir / log).string(),
                                   "--batch-size",
                                   "1",
                                   "--results-dir",
                                   (dir / "results").string(),
                                   "--no-progress"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

std::string shell_line(const std::vector<std::string>& args) {
  std::string line;
  for (const auto& a : args) line += (line.empty() ? "'" : " '") + a + "'";
  return line;
}

std::set<std::string> suites_of(const fs::path& run_dir) {
  std::set<std::string> out;
  const auto run = nlohmann::json::parse(read_file(run_dir / "run.json"));
  for (auto& [name, s] : run["suites"].items()) out.insert(name);
  return out;
}

size_t lines_of(const std::string& text) { return std::count(text.begin(), text.end(), '\n'); }

}  // namespace

TEST_CASE("a run id that a running run holds is refused before anything is sent", "[run-id]") {
  const fs::path dir = temp_dir("run-id-held");
  // The first run stays stopped (SIGSTOP) in the middle of its requests while the others start.
  const pid_t first =
      spawn(logged_run(dir, "gsm8k", "first.log", {"--run-id", "nightly"}), dir / "first.out");
  REQUIRE(wait_until([&] { return !read_lines(dir / "first.log").empty(); }));
  kill(first, SIGSTOP);
  for (const std::string force : {"", "--force"}) {
    std::vector<std::string> extra = {"--run-id", "nightly"};
    if (!force.empty()) extra.push_back(force);
    const CommandResult second =
        run_command(shell_line(logged_run(dir, "arc_challenge", "second.log", extra)), dir);
    INFO(second.output);
    CHECK(second.exit_code == 2);
    CHECK(lines_of(second.output) == 1);
    CHECK(second.output.find("--run-id 'nightly': another moebench run is writing " +
                             (dir / "results" / "nightly").string()) != std::string::npos);
    CHECK(!fs::exists(dir / "second.log"));  // nothing sent
  }
  kill(first, SIGCONT);
  const int first_exit = wait_exit(first);
  INFO(read_file(dir / "first.out"));
  CHECK(first_exit == 0);
  CHECK(suites_of(dir / "results" / "nightly") == std::set<std::string>{"gsm8k"});
  CHECK(run_dirs(dir / "results").size() == 1);
  fs::remove_all(dir);
}

TEST_CASE("a killed run's leftovers do not hold its run id: the same command completes it",
          "[run-id]") {
  const fs::path dir = temp_dir("run-id-killed");
  const auto command = logged_run(dir, "gsm8k,mmlu", "requests.log", {"--run-id", "r"});
  const pid_t first = spawn(command, dir / "first.out");
  REQUIRE(wait_until([&] { return !read_lines(dir / "requests.log").empty(); }));
  kill(first, SIGKILL);
  CHECK(wait_exit(first) == 128 + SIGKILL);
  CHECK(run_dirs(dir / "results").empty());
  const CommandResult second = run_command(shell_line(command), dir);
  INFO(second.output);
  CHECK(second.exit_code == 0);
  CHECK(suites_of(dir / "results" / "r") == std::set<std::string>{"gsm8k", "mmlu"});
  // Nothing is left beside the run and the cache: no partial directory, no lock.
  std::set<std::string> entries;
  for (const auto& e : fs::directory_iterator(dir / "results")) {
    entries.insert(e.path().filename().string());
  }
  CHECK(entries == std::set<std::string>{"cache.sqlite", "r"});
  CHECK(!fs::exists(dir / "results" / "r" / ".lock"));
  fs::remove_all(dir);
}

TEST_CASE("a results dir that cannot be made is refused before anything is sent (exit 6)",
          "[run-id]") {
  const fs::path dir = temp_dir("run-id-bad-dir");
  std::ofstream(dir / "afile") << "a regular file\n";
  for (const std::string cache : {"--no-cache", ""}) {
    auto args = logged_run(dir, "gsm8k", "requests.log", {});
    std::replace(args.begin(), args.end(), (dir / "results").string(),
                 (dir / "afile" / "sub").string());
    if (!cache.empty()) args.push_back(cache);
    fs::remove(dir / "requests.log");
    const CommandResult r = run_command(shell_line(args), dir);
    INFO(r.output);
    CHECK(r.exit_code == 6);
    CHECK(r.output == "moebench: error: " + (dir / "afile" / "sub").string() +
                          ": cannot create the results directory: Not a directory\n");
    CHECK(!fs::exists(dir / "requests.log"));  // nothing sent
  }
  fs::remove_all(dir);
}

TEST_CASE("the generated run id's hash tells apart every option that changes the results",
          "[run-id]") {
  const fs::path dir = temp_dir("run-id-hash");
  const std::vector<std::string> variants = {"",
                                             "--num-fewshot 1",
                                             "--repeats 2",
                                             "--gen-kwargs max_tokens=100",
                                             "--profile deepseek-v3-base",
                                             ""};
  std::vector<std::string> hashes;
  for (const std::string& v : variants) {
    const fs::path results = dir / ("r" + std::to_string(hashes.size()));
    const CommandResult r = run_command(
        oracle_samples_run(results) + " --suites gsm8k " + v + " --max-error-rate 1", dir);
    INFO(v << "\n" << r.output);
    REQUIRE(r.exit_code == 0);
    const auto runs = run_dirs(results);
    REQUIRE(runs.size() == 1);
    // <UTC time>-<backend>-<config hash>
    const std::string id = runs[0].filename().string();
    hashes.push_back(id.substr(id.rfind('-') + 1));
  }
  INFO("hashes: " << nlohmann::json(hashes).dump());
  CHECK(hashes.front() == hashes.back());  // the same command, the same hash
  CHECK(std::set<std::string>(hashes.begin(), hashes.end()).size() == variants.size() - 1);
  fs::remove_all(dir);
}

TEST_CASE("generated run ids that running runs hold move on to -2 and -3", "[run-id]") {
  const fs::path dir = temp_dir("claim-generated") / "results";
  RunClaim a = results_claim_run_id("", "G", dir, false);
  RunClaim b = results_claim_run_id("", "G", dir, false);
  RunClaim c = results_claim_run_id("", "G", dir, false);
  CHECK(a.id() == "G");
  CHECK(b.id() == "G-2");
  CHECK(c.id() == "G-3");
  for (RunClaim* claim : {&c, &a, &b}) {
    std::ofstream(claim->partial() / "run.json") << claim->id();
    CHECK(claim->publish(false) == dir / claim->id());
  }
  for (const char* id : {"G", "G-2", "G-3"}) {
    CHECK(read_file(dir / id / "run.json") == id);
    CHECK(!fs::exists(dir / id / ".lock"));
  }
  CHECK(results_claim_run_id("", "G", dir, false).id() == "G-4");  // finished runs hold theirs
  CHECK(run_dirs(dir).size() == 3);  // an unpublished claim leaves nothing
  CHECK(!fs::exists(dir / ".G-4.partial"));
}

TEST_CASE(
    "a given run id held by a running run is refused and a finished one replaced only with --force",
    "[run-id]") {
  const fs::path dir = temp_dir("claim-given") / "results";
  {
    RunClaim held = results_claim_run_id("x", "", dir, false);
    for (bool force : {false, true}) {
      CHECK(input_error_of([&] {
              results_claim_run_id("x", "", dir, force);
            }).find("another moebench run is writing") != std::string::npos);
    }
    std::ofstream(held.partial() / "run.json") << "first";
    held.publish(false);
  }
  CHECK(input_error_of([&] {
          results_claim_run_id("x", "", dir, false);
        }).find("already exists; pass --force") != std::string::npos);
  {
    RunClaim replacing = results_claim_run_id("x", "", dir, true);
    CHECK(read_file(dir / "x" / "run.json") == "first");  // untouched until it is published
    std::ofstream(replacing.partial() / "run.json") << "second";
    replacing.publish(true);
  }
  CHECK(read_file(dir / "x" / "run.json") == "second");
  std::vector<std::string> entries;
  for (const auto& e : fs::directory_iterator(dir)) entries.push_back(e.path().filename());
  CHECK(entries == std::vector<std::string>{"x"});  // no partial or replaced directory left
}

TEST_CASE("a partial directory left by a killed run is taken over and cleared", "[run-id]") {
  const fs::path dir = temp_dir("claim-stale") / "results";
  fs::create_directories(dir / ".x.partial");
  std::ofstream(dir / ".x.partial" / ".lock");
  std::ofstream(dir / ".x.partial" / "samples.jsonl.tmp") << "half";
  RunClaim claim = results_claim_run_id("x", "", dir, false);
  CHECK(claim.id() == "x");
  CHECK(!fs::exists(claim.partial() / "samples.jsonl.tmp"));
}
