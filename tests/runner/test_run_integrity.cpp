// Work is never lost and never looks done when it is not: inside one long backend call each
// answer is cached and counted as it arrives (kill -9 keeps them, progress moves), one Ctrl-C stops
// admitting work and exits 130, a run whose requests mostly failed exits 4 with the error summary,
// and prompts longer than the context are refused or left-truncated (recorded per sample).
#include <signal.h>
#include <sqlite3.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <regex>
#include <set>
#include <thread>

#include "backends/builtin/checkpoint/model_init.h"
#include "tests/catch.h"
#include "tests/runner/cli_harness.h"

using namespace moebench;
using namespace moebench::testing;

namespace {

long cache_rows(const fs::path& db_file) {
  sqlite3* db = nullptr;
  long n = -1;
  if (sqlite3_open_v2(db_file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM responses", -1, &st, nullptr) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
      n = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
  }
  sqlite3_close(db);
  return n;
}

// The largest k of a "requests: k/N" progress line in `text`, or -1.
long progress_count(const std::string& text) {
  static const std::regex line("requests: ([0-9]+)/[0-9]+");
  long best = -1;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), line); it != std::sregex_iterator();
       ++it) {
    best = std::max(best, std::stol((*it)[1].str()));
  }
  return best;
}

// Every sample suite in one backend call: the slowed oracle answers one request at a time.
std::vector<std::string> one_call_command(const fs::path& dir) {
  return {moebench_bin(), "run",           "--samples",
          "--backend",    "oracle",        "--backend-opt",
          "delay_ms=200", "--backend-opt", "request_log=" + (dir / "requests.log").string(),
          "--batch-size", "1000",          "--progress-interval",
          "0.1",          "--results-dir", (dir / "results").string()};
}

fs::path tiny_model(const std::string& tag, const nlohmann::json& overrides) {
  ModelInitOptions o;
  o.preset = "tiny";
  o.out_dir = temp_dir(tag) / "model";
  o.overrides = overrides;
  o.training_text_dir = fs::path(MOEBENCH_SOURCE_DIR) / "tasks/samples";
  model_init_write(o);
  return o.out_dir;
}

}  // namespace

TEST_CASE("kill -9 inside one large backend call keeps every answer that arrived", "[resume]") {
  const fs::path dir = temp_dir("kill9-one-call");
  const fs::path db = dir / "results" / "cache.sqlite";
  pid_t pid = spawn(one_call_command(dir), dir / "first.out");
  // The whole run is one call of every document: answers must reach the cache, and the
  // progress line must move, while that call is still running.
  REQUIRE(wait_until([&] { return cache_rows(db) >= 5; }));
  REQUIRE(wait_until([&] { return progress_count(read_file(dir / "first.out")) >= 5; }));
  kill(pid, SIGKILL);
  CHECK(wait_exit(pid) == 128 + SIGKILL);
  const long cached_at_kill = cache_rows(db);
  const std::vector<std::string> first = read_lines(dir / "requests.log");
  CHECK(run_dirs(dir / "results").empty());

  pid = spawn(one_call_command(dir), dir / "second.out");
  const int second_exit = wait_exit(pid);
  INFO(read_file(dir / "second.out"));
  REQUIRE(second_exit == 0);
  const std::vector<std::string> all = read_lines(dir / "requests.log");
  const auto runs = run_dirs(dir / "results");
  REQUIRE(runs.size() == 1);
  const auto run = nlohmann::json::parse(read_file(runs[0] / "run.json"));
  const long docs = run["requests"]["docs"];
  CHECK(static_cast<long>(first.size()) < docs);  // killed inside the call
  CHECK(run["requests"]["cache_hits"].get<long>() == cached_at_kill);
  const long resent = static_cast<long>(first.size()) - cached_at_kill;
  std::printf(
      "kill -9 inside one call of %ld requests: %zu answered, %ld in the cache at the kill, "
      "%ld answered but not yet committed and sent again\n",
      docs, first.size(), cached_at_kill, resent);
  CHECK(static_cast<long>(all.size()) == docs + resent);
  std::set<std::string> unique(all.begin(), all.end());
  CHECK(static_cast<long>(unique.size()) == docs);  // every request answered, none lost
  for (const auto& line : read_lines(runs[0] / "samples.jsonl")) {
    CHECK(nlohmann::json::parse(line)["error"].is_null());
  }
  fs::remove_all(dir);
}

TEST_CASE("one Ctrl-C inside one large builtin call stops admitting work and exits 130",
          "[resume][builtin]") {
  const fs::path model = tiny_model("sigint-builtin", nlohmann::json::object());
  const fs::path dir = temp_dir("sigint-one-call");
  const fs::path db = dir / "results" / "cache.sqlite";
  // max_batch 1: one sequence at a time, so most requests are still waiting when SIGINT comes.
  const std::vector<std::string> cmd = {moebench_bin(),
                                        "run",
                                        "--samples",
                                        "--suites",
                                        "gsm8k,math500",
                                        "--backend",
                                        "builtin:" + model.string(),
                                        "--backend-opt",
                                        "max_batch=1",
                                        "--batch-size",
                                        "1000",
                                        "--no-progress",
                                        "--results-dir",
                                        (dir / "results").string()};
  pid_t pid = spawn(cmd, dir / "first.out");
  REQUIRE(wait_until([&] { return cache_rows(db) >= 1; }));
  kill(pid, SIGINT);
  const int first_exit = wait_exit(pid);
  INFO(read_file(dir / "first.out"));
  CHECK(first_exit == 130);
  CHECK(run_dirs(dir / "results").empty());
  const long cached = cache_rows(db);
  pid = spawn(cmd, dir / "second.out");
  REQUIRE(wait_exit(pid) == 0);
  const auto runs = run_dirs(dir / "results");
  REQUIRE(runs.size() == 1);
  const auto run = nlohmann::json::parse(read_file(runs[0] / "run.json"));
  CHECK(run["requests"]["cache_hits"].get<long>() == cached);
  CHECK(cached < run["requests"]["docs"].get<long>());  // it stopped before the end
  fs::remove_all(dir);
  fs::remove_all(model.parent_path());
}

TEST_CASE("a run whose requests failed exits 4 with the error summary, results are written",
          "[cli]") {
  const fs::path dir = temp_dir("all-failed");
  // Port 9 (discard) has no listener on loopback: every request fails to connect.
  const std::string cmd = moebench_bin() +
                          " run --samples --suites gsm8k --backend api:local --backend-opt "
                          "base_url=http://127.0.0.1:9/v1 --backend-opt max_retries=0 "
                          "--no-progress --results-dir '" +
                          (dir / "results").string() + "'";
  CommandResult r = run_command(cmd, dir);
  INFO(r.output);
  CHECK(r.exit_code == 4);
  CHECK(r.output.find("samples failed (100.0%)") != std::string::npos);
  CHECK(r.output.find("connection") != std::string::npos);
  CHECK(run_dirs(dir / "results").size() == 1);
  CHECK(run_command(cmd + " --max-error-rate 1", dir).exit_code == 0);
  fs::remove_all(dir);
}

TEST_CASE("prompts longer than the context: refused, or left-truncated and recorded", "[builtin]") {
  // A 512-token context: the MATH-500 sample prompts (~1100 tokens) do not fit at all, and the
  // GSM8K ones (~260) do not leave room for their 256 new tokens.
  const fs::path model = tiny_model("truncate-model", {{"max_position_embeddings", 512}});
  const fs::path dir = temp_dir("truncate");
  const std::string cmd =
      moebench_bin() + " run --samples --suites gsm8k,math500 --backend builtin:" + model.string() +
      " --no-progress --results-dir '" + (dir / "results").string() + "'";
  CommandResult refused = run_command(cmd + " --run-id refused", dir);
  INFO(refused.output);
  CHECK(refused.exit_code == 4);
  CHECK(refused.output.find("does not fit the context of 512") != std::string::npos);
  CommandResult cut = run_command(cmd + " --run-id cut --backend-opt truncate=left", dir);
  INFO(cut.output);
  REQUIRE(cut.exit_code == 0);
  const auto run = nlohmann::json::parse(read_file(dir / "results" / "cut" / "run.json"));
  CHECK(run["backend"]["details"]["truncate"] == "left");
  int truncated = 0;
  for (const auto& line : read_lines(dir / "results" / "cut" / "samples.jsonl")) {
    const auto s = nlohmann::json::parse(line);
    INFO(s["suite"] << " " << s["doc_id"]);
    CHECK(s["error"].is_null());
    CHECK(s.value("truncated_prompt_tokens", 0) > 0);
    truncated += s.value("truncated_prompt_tokens", 0) > 0;
    // lm-eval's rule: the prompt keeps its last (context - max_tokens) tokens.
    if (s["suite"] == "gsm8k") CHECK(s["tokens"]["prompt"].get<long>() == 512 - 256);
  }
  CHECK(truncated > 0);
  fs::remove_all(dir);
  fs::remove_all(model.parent_path());
}
