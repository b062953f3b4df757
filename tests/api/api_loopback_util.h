// Shared by the API backend's end-to-end tests: an in-process loopback server, a models file
// naming it, `moebench run --backend api:<name>` through the binary, and the results read back.
#pragma once

#include <signal.h>

#include <chrono>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "tests/loopback/server/loopback_server.h"
#include "tests/runner/cli_harness.h"

namespace moebench::testing {

// Prices of the test models (USD per 1M tokens), chosen so that every token class counts.
inline const nlohmann::json kLoopPrices = {
    {"input_cache_hit", 0.5}, {"input", 2.0}, {"output", 8.0}};

// A models file with one entry `name` at `base_url` (+ "/v1"); `extra` is merged into the entry.
inline fs::path write_loop_models(const fs::path& dir, const std::string& name,
                                  const std::string& provider, const std::string& base_url,
                                  const nlohmann::json& extra = nlohmann::json::object()) {
  nlohmann::json entry = {
      {"provider", provider},
      {"base_url", base_url + "/v1"},
      {"model", provider == "deepseek" ? "deepseek-chat" : "loop-model"},
      {"prices",
       {{{"currency", "USD"}, {"effective_from", "2020-01-01"}, {"per_million", kLoopPrices}}}},
      {"limits", {{"max_in_flight", 16}}},
      // NOTE: 3 s is far above what a loaded 2-core machine takes to answer; a fault meant to
      // time out is slower than that.
      {"transport",
       {{"read_timeout_s", 3},
        {"total_timeout_s", 30},
        {"max_retries", 3},
        {"backoff_base_s", 0.01},
        {"backoff_max_s", 0.05},
        {"max_response_mb", 1}}}};
  entry.update(extra, true);
  const fs::path file = dir / ("models-" + name + ".json");
  std::ofstream(file) << nlohmann::json{{"schema", 1}, {"models", {{name, entry}}}}.dump(2);
  return file;
}

struct LoopRun {
  CommandResult command;
  fs::path dir;  // results/<run-id>, empty when none was written
  nlohmann::json run;
  std::vector<nlohmann::json> samples;
};

// `moebench run` with `args` under a run id of its own (two runs in one second would share the
// default one); reads that run's results back when it wrote any.
inline LoopRun run_moebench(const std::string& args, const fs::path& results,
                            const fs::path& workdir) {
  static int counter = 0;
  const std::string run_id = "run" + std::to_string(++counter);
  LoopRun r;
  r.command = run_command(moebench_bin() + " run " + args + " --results-dir '" + results.string() +
                              "' --run-id " + run_id + " --no-progress",
                          workdir);
  if (!fs::exists(results / run_id / "run.json")) return r;
  r.dir = results / run_id;
  r.run = nlohmann::json::parse(read_file(r.dir / "run.json"));
  for (const std::string& line : read_lines(r.dir / "samples.jsonl")) {
    r.samples.push_back(nlohmann::json::parse(line));
  }
  return r;
}

inline const fs::path kData = fs::path(MOEBENCH_SOURCE_DIR "/../shared/datasets");

// The answers the loopback server gives: the samples of an oracle run sending chat messages, as
// the API run will (gold answers, keyed by the same messages).
inline fs::path oracle_answers(const fs::path& dir, const std::string& suites, bool full) {
  LoopRun r =
      run_moebench("--backend oracle-chat --backend-opt chat=1 --no-cache --suites " + suites +
                       (full ? " --data-dir '" + kData.string() + "'" : " --samples"),
                   dir / "oracle", dir);
  INFO(r.command.output);
  REQUIRE(r.command.exit_code == 0);
  return r.dir / "samples.jsonl";
}

// Sum of one token class over the ledger's successfully served attempts (`what` "served"), or
// over its faulted attempts that told the client their usage ("billed_failed").
inline long ledger_served(const nlohmann::json& ledger, const char* field,
                          const char* what = "served") {
  long n = 0;
  for (const nlohmann::json& k : ledger["keys"]) {
    if (k.contains(what) && k[what].is_object()) n += k[what].value(field, 0L);
  }
  return n;
}

// Starts `moebench run --backend api:loop` (`models`, the samples of gsm8k, math500 and mmlu,
// results in dir/results, output in dir/first.out, then `extra`) and sends it SIGINT once the
// server has answered 4 requests; returns its exit code.
inline int interrupted_loop_run(const fs::path& dir, loopback::Server& server,
                                const fs::path& models, const std::vector<std::string>& extra) {
  std::vector<std::string> args = {moebench_bin(),
                                   "run",
                                   "--backend",
                                   "api:loop",
                                   "--models",
                                   models.string(),
                                   "--samples",
                                   "--suites",
                                   "gsm8k,math500,mmlu",
                                   "--results-dir",
                                   (dir / "results").string(),
                                   "--no-progress"};
  args.insert(args.end(), extra.begin(), extra.end());
  const pid_t pid = spawn(args, dir / "first.out");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (server.ledger()["keys"].size() < 4 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(pid, SIGINT);
  return wait_exit(pid);
}

}  // namespace moebench::testing
