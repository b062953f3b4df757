// Writes small run directories (run.json + samples.jsonl in the format harness/results writes)
// for the report and compare tests.
#pragma once

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "reports/report_site.h"
#include "tests/catch.h"

namespace moebench::test {

struct FixtureSample {
  std::string suite, doc_id, response;
  double value = 0;  // the primary metric's value
  double latency_s = 0.5;
  std::string error;  // error type, "" for none
};

struct FixtureRun {
  std::string run_id, backend_id, family = "builtin", created = "2026-11-23T00:00:00Z";
  std::string metric = "exact_match,strict-match";
  std::string suite_version = "1.0";
  double dispatch_s = 10;
  bool samples_scope = false;
  std::string shard = "0/1";  // --shard i/N
  long limit = -1;            // --limit; -1 = none
  bool higher_is_better = true;
  // --max-error-rate, recorded in options; 1 = no gate (as a nightly's shards run)
  double max_error_rate = 1;
  std::vector<FixtureSample> samples;
};

inline FixtureRun fixture_run(const std::string& run_id, const std::string& backend_id) {
  FixtureRun r;
  r.run_id = run_id;
  r.backend_id = backend_id;
  return r;
}

inline std::filesystem::path fixture_write_run(const std::filesystem::path& results,
                                               const FixtureRun& run) {
  const std::filesystem::path dir = results / run.run_id;
  std::filesystem::create_directories(dir);
  std::map<std::string, std::vector<double>> values;
  std::map<std::string, long> errors;
  std::ofstream samples(dir / "samples.jsonl");
  for (const auto& s : run.samples) {
    nlohmann::json j = {
        {"suite", s.suite},
        {"doc_id", s.doc_id},
        {"subject", ""},
        {"prompt", "Question " + s.doc_id + "?"},
        {"responses", {s.response}},
        {"filtered", {{"strict-match", {s.response}}}},
        {"gold", "42"},
        {"metrics", {{run.metric, s.value}}},
        {"scored_by", "generation"},
        {"tokens", {{"prompt", 100}, {"cached_prompt", 0}, {"completion", 20}, {"reasoning", 0}}},
        {"latency_s", s.latency_s},
        {"ttft_s", 0.1},
        {"cached", false},
        {"error", nullptr}};
    if (!s.error.empty()) j["error"] = {{"type", s.error}, {"message", "it failed"}};
    samples << j.dump() << "\n";
    values[s.suite].push_back(s.value);
    if (!s.error.empty()) ++errors[s.suite];
  }
  nlohmann::json suites = nlohmann::json::object();
  long prompt = 0, completion = 0, failed = 0;
  for (const auto& [suite, v] : values) {
    double mean = 0;
    for (double x : v) mean += x;
    mean /= v.size();
    double ss = 0;
    for (double x : v) ss += (x - mean) * (x - mean);
    const double se = v.size() > 1 ? std::sqrt(ss / (v.size() - 1) / v.size()) : 0.0;
    nlohmann::json errs = nlohmann::json::object();
    if (errors.count(suite)) errs["backend_error"] = errors[suite];
    const long n = static_cast<long>(v.size());
    suites[suite] = {
        {"version", run.suite_version},
        {"n_docs", n},
        {"scored_by", "generation"},
        {"primary_metric", run.metric},
        {"metrics",
         {{run.metric,
           {{"mean", mean},
            {"stderr", se},
            {"n", n},
            {"higher_is_better", run.higher_is_better}}}}},
        {"errors", errs},
        {"tokens",
         {{"billed",
           {{"prompt", 100 * n}, {"cached_prompt", 0}, {"completion", 20 * n}, {"reasoning", 0}}}}},
        {"cost", nullptr},
        {"cache_hits", 0}};
    prompt += 100 * n;
    completion += 20 * n;
    failed += errors[suite];
  }
  nlohmann::json j = {
      {"schema_version", 1},
      {"run_id", run.run_id},
      {"created", run.created},
      {"backend",
       {{"id", run.backend_id}, {"family", run.family}, {"details", {{"engine", "cpu"}}}}},
      {"options",
       {{"samples", run.samples_scope},
        {"limit", run.limit < 0 ? nlohmann::json(nullptr) : nlohmann::json(run.limit)},
        {"shard", run.shard},
        {"max_error_rate", run.max_error_rate}}},
      {"errors", failed > 0 ? nlohmann::json{{"backend_error", failed}} : nlohmann::json::object()},
      {"requests", {{"docs", static_cast<long>(run.samples.size())}}},
      {"host", {{"hostname", "test"}, {"gpus", nlohmann::json::array()}}},
      {"moebench", {{"version", "0.1.0"}}},
      {"command", "moebench run --backend " + run.backend_id},
      {"suites", suites},
      {"throughput",
       {{"prompt_tokens", prompt},
        {"output_tokens", completion},
        {"prompt_tokens_per_s", prompt / run.dispatch_s},
        {"output_tokens_per_s", completion / run.dispatch_s}}},
      {"timings", {{"total_s", run.dispatch_s + 1}, {"dispatch_s", run.dispatch_s}}}};
  std::ofstream(dir / "run.json") << j.dump(1) << "\n";
  return dir;
}

// A fresh empty directory under the system temp dir.
inline std::filesystem::path fixture_temp_dir(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("moebench-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

// Four samples per suite, the first `correct` of them right.
inline FixtureRun suites_run(const std::string& id, const std::string& model,
                             const std::vector<std::string>& suites, int correct,
                             const std::string& created = "2026-11-01T00:00:00Z") {
  FixtureRun r = fixture_run(id, model);
  r.created = created;
  for (const std::string& s : suites) {
    for (int i = 0; i < 4; ++i) {
      r.samples.push_back({s, s + "/" + std::to_string(i), "42", i < correct ? 1.0 : 0.0, 0.5, ""});
    }
  }
  return r;
}

// The leaderboard row of `model` (a test failure when there is none).
inline const LeaderboardRow& row_of(const Leaderboard& board, const std::string& model) {
  for (const LeaderboardRow& r : board.rows) {
    if (r.model == model) return r;
  }
  FAIL("no row for " << model);
  return board.rows.front();
}

// A file's whole text ("" when it cannot be read).
inline std::string fixture_read_text(const std::filesystem::path& p) {
  std::ifstream in(p);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace moebench::test
