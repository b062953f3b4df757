// A run killed with SIGKILL (or stopped with SIGINT) and started again with the same command
// completes with exactly one result per sample, and no request whose answer was cached is sent
// again. Uses the oracle slowed down to 300 ms a request and logging what it answers.
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <set>
#include <thread>

#include "tests/catch.h"
#include "tests/runner/cache_rows.h"
#include "tests/runner/cli_harness.h"

using namespace moebench::testing;

namespace {

const char* kSuites = "gsm8k,math500,mmlu,arc_challenge";

std::vector<std::string> resume_command(const fs::path& dir) {
  return {moebench_bin(),
          "run",
          "--samples",
          "--suites",
          kSuites,
          "--backend",
          "oracle",
          "--backend-opt",
          "delay_ms=300",
          "--backend-opt",
          "request_log=" + (dir / "requests.log").string(),
          "--results-dir",
          (dir / "results").string(),
          "--batch-size",
          "1",
          "--no-progress"};
}

// One results directory whose samples.jsonl holds each (suite, doc) exactly once, all correct.
void require_complete_results(const fs::path& results) {
  auto dirs = run_dirs(results);
  REQUIRE(dirs.size() == 1);
  auto run = nlohmann::json::parse(read_file(dirs[0] / "run.json"));
  long docs = run["requests"]["docs"];
  auto lines = read_lines(dirs[0] / "samples.jsonl");
  REQUIRE(static_cast<long>(lines.size()) == docs);
  std::set<std::string> seen;
  for (const auto& l : lines) {
    auto j = nlohmann::json::parse(l);
    CHECK(j["error"].is_null());
    seen.insert(j["suite"].get<std::string>() + "/" + j["doc_id"].get<std::string>());
  }
  CHECK(static_cast<long>(seen.size()) == docs);
  for (auto& [suite, s] : run["suites"].items()) {
    for (auto& [key, m] : s["metrics"].items()) {
      INFO(suite << " " << key);
      CHECK(m["mean"].get<double>() == 1.0);
    }
  }
}

void check_resume_after(int signal, int expected_exit) {
  fs::path dir = temp_dir(signal == SIGKILL ? "kill9" : "sigint");
  fs::path log = dir / "requests.log";
  pid_t pid = spawn(resume_command(dir), dir / "first.out");
  // Answers reach the cache as they arrive: stop the run once four have.
  REQUIRE(wait_until([&] { return cached_hashes(dir / "results" / "cache.sqlite").size() >= 4; }));
  kill(pid, signal);
  int first_exit = wait_exit(pid);
  INFO(read_file(dir / "first.out"));
  CHECK(first_exit == expected_exit);
  CHECK(run_dirs(dir / "results").empty());  // nothing partial is visible
  size_t before = read_lines(log).size();
  std::set<std::string> cached = cached_hashes(dir / "results" / "cache.sqlite");
  REQUIRE(cached.size() >= 4);

  auto cmd = resume_command(dir);
  pid = spawn(cmd, dir / "second.out");
  int second_exit = wait_exit(pid);
  INFO(read_file(dir / "second.out"));
  REQUIRE(second_exit == 0);
  require_complete_results(dir / "results");

  auto all = read_lines(log);
  std::vector<std::string> first(all.begin(), all.begin() + before);
  std::vector<std::string> second(all.begin() + before, all.end());
  for (const auto& h : second) CHECK(cached.count(h) == 0);  // nothing cached is asked again
  size_t resent = 0;
  for (const auto& h : first) resent += cached.count(h) == 0;
  // Ctrl-C lets the requests in flight finish and commits them before it exits: nothing is sent
  // twice. kill -9 loses what arrived in the last moment before it (CacheWriter::kMaxDelayS).
  if (signal == SIGINT) CHECK(resent == 0);
  std::printf("%s after %zu answers: %zu in the cache, %zu sent again\n",
              signal == SIGKILL ? "kill -9" : "SIGINT", first.size(), cached.size(), resent);
  std::set<std::string> unique(all.begin(), all.end());
  auto run = nlohmann::json::parse(read_file(run_dirs(dir / "results")[0] / "run.json"));
  CHECK(static_cast<long>(unique.size()) == run["requests"]["docs"].get<long>());
  CHECK(run["requests"]["cache_hits"].get<long>() == static_cast<long>(cached.size()));
  fs::remove_all(dir);
}

}  // namespace

TEST_CASE("kill -9 mid-run, then the same command resumes without loss or duplicates", "[resume]") {
  check_resume_after(SIGKILL, 128 + SIGKILL);
}

TEST_CASE("SIGINT stops cleanly (exit 130, no results) and the same command resumes", "[resume]") {
  check_resume_after(SIGINT, 130);
}
