// A disk that stops taking writes, in the real code paths: the run runs under `ulimit -f` with
// SIGXFSZ ignored, so a write past that size fails (EFBIG) as it would on a full disk. The run
// stops at the first failed write with one line naming the file and the OS's error (exit 6), keeps
// what was stored, and the same command then resumes.

#include <set>

#include "tests/catch.h"
#include "tests/runner/cache_rows.h"
#include "tests/runner/cli_harness.h"

using namespace moebench::testing;

namespace {

// `command` with no file of it allowed past `kib` KiB: a write beyond fails with EFBIG.
std::string under_file_limit(long kib, const std::string& command) {
  return "bash -c \"trap '' XFSZ; ulimit -f " + std::to_string(kib) + "; exec " + command + "\"";
}

// The oracle over the bundled samples asked 10 times each (430 requests), one request a call,
// each answered in 50 ms, logging what it answers.
std::string slow_oracle_run(const fs::path& dir) {
  return moebench_bin() +
         " run --backend oracle --samples --repeats 10 --batch-size 1 --backend-opt delay_ms=50"
         " --backend-opt request_log='" +
         (dir / "requests.log").string() + "' --no-progress --results-dir '" +
         (dir / "results").string() + "'";
}

size_t lines_of(const std::string& text) { return std::count(text.begin(), text.end(), '\n'); }

}  // namespace

TEST_CASE("a cache that stops taking writes stops the run with exit 6 and the same command resumes",
          "[cache][write-failure]") {
  const fs::path dir = temp_dir("cache-full");
  const fs::path cache = dir / "results" / "cache.sqlite";
  // 32 KiB: the cache opens (its shared-memory index is 32 KiB) and its log takes a few commits.
  const CommandResult first = run_command(under_file_limit(32, slow_oracle_run(dir)), dir);
  INFO(first.output);
  CHECK(first.exit_code == 6);
  CHECK(lines_of(first.output) == 1);
  CHECK(first.output.find("moebench: error: " + cache.string() +
                          ": response cache: cannot store responses: disk I/O error: File too "
                          "large") == 0);
  CHECK(run_dirs(dir / "results").empty());
  const std::set<std::string> stored = cached_hashes(cache);
  const std::vector<std::string> sent_first = read_lines(dir / "requests.log");
  REQUIRE(!stored.empty());

  const CommandResult second = run_command(slow_oracle_run(dir), dir);
  INFO(second.output);
  REQUIRE(second.exit_code == 0);
  const auto runs = run_dirs(dir / "results");
  REQUIRE(runs.size() == 1);
  const auto run = nlohmann::json::parse(read_file(runs[0] / "run.json"));
  const long docs = run["requests"]["docs"];
  CHECK(docs == 430);
  // Nothing stored is lost or asked again; every request is answered in the end.
  CHECK(run["requests"]["cache_hits"].get<long>() == static_cast<long>(stored.size()));
  const std::vector<std::string> all = read_lines(dir / "requests.log");
  for (size_t i = sent_first.size(); i < all.size(); ++i) CHECK(stored.count(all[i]) == 0);
  CHECK(std::set<std::string>(all.begin(), all.end()).size() == static_cast<size_t>(docs));
  for (const auto& line : read_lines(runs[0] / "samples.jsonl")) {
    CHECK(nlohmann::json::parse(line)["error"].is_null());
  }
  // The first failed commit stopped the sending: the 430 requests take at least 5.4 s (sleeps,
  // 4 x 20 a second, however loaded the machine), and the 32 KiB log is full within the first
  // few commits (one each 0.2 s).
  std::printf("cache full: %zu of %ld requests sent, %zu stored before the failed commit\n",
              sent_first.size(), docs, stored.size());
  CHECK(static_cast<long>(sent_first.size()) < docs);
  fs::remove_all(dir);
}

TEST_CASE("results that cannot be written: exit 6 naming the file and no temporary file left",
          "[write-failure]") {
  const fs::path dir = temp_dir("results-full");
  const fs::path results = dir / "results";
  const std::string command = oracle_samples_run(results) + " --backend-opt request_log='" +
                              (dir / "requests.log").string() + "'";
  // 48 KiB: the cache of the 43 sample answers fits, samples.jsonl (about 54 KB) does not.
  const CommandResult first = run_command(under_file_limit(48, command), dir);
  INFO(first.output);
  CHECK(first.exit_code == 6);
  CHECK(lines_of(first.output) == 1);
  CHECK(first.output.find("moebench: error: " + results.string() + "/.") == 0);
  CHECK(first.output.find(".partial/samples.jsonl: cannot write: File too large\n") !=
        std::string::npos);
  // Nothing half-written is left: no run, no partial directory, no temporary file.
  std::vector<std::string> left;
  for (const auto& e : fs::recursive_directory_iterator(results)) {
    left.push_back(e.path().filename().string());
  }
  CHECK(left == std::vector<std::string>{"cache.sqlite"});
  const size_t sent_first = read_lines(dir / "requests.log").size();

  // The answers were cached: once the results can be written the same command sends nothing.
  const CommandResult second = run_command(command, dir);
  INFO(second.output);
  REQUIRE(second.exit_code == 0);
  const auto runs = run_dirs(results);
  REQUIRE(runs.size() == 1);
  const auto run = nlohmann::json::parse(read_file(runs[0] / "run.json"));
  CHECK(run["requests"]["cache_hits"].get<long>() == run["requests"]["docs"].get<long>());
  CHECK(read_lines(dir / "requests.log").size() == sent_first);
  fs::remove_all(dir);
}
