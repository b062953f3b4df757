// Reads finished runs back from disk (results/<run-id>/run.json and samples.jsonl) into plain
// records for the reports: the leaderboard, the sample pages, the Markdown summary and compare.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/metric_stat.h"
#include "reports/run_record.h"
#include "reports/sample_record.h"
#include "reports/suite_result.h"

namespace moebench {

// Where a `moebench rescore` run's responses came from (run.json "rescore"): the file and the
// run that wrote it. The summary then carries that run's backend id and data scope, so the rescore
// lands on the original model's leaderboard row.
struct RescoreSource {
  std::string source;     // the responses file that was rescored
  std::string of_run;     // the run that produced it
  std::string replay_id;  // the backend that did the rescoring ("replay:<hash>")
  std::string family;     // the original backend's family
};

struct RunSummary {
  std::filesystem::path dir;
  std::string run_id;
  std::string created;     // ISO 8601 UTC
  std::string backend_id;  // the original backend's for a rescore
  std::string backend_family;
  std::string device;      // "cpu", "cuda", ... for built-in runs; "" otherwise
  std::string data_scope;  // "samples", "full", "full, limit 50", "full, shard 1/4"
  std::string base_scope;  // data_scope without the shard: "full", "samples, limit 10"
  int shard_index = 0;     // --shard i/N
  int shard_count = 1;
  std::optional<RescoreSource> rescore;  // set for `moebench rescore` of a recorded run
  std::vector<std::string> merged_runs;  // `moebench merge`: the run ids of the shards it holds
  // More than the run's --max-error-rate of its samples failed (run.json options.max_error_rate;
  // 5%, the default, when absent): `run`, `rescore` and `merge` exited 4, "not to be trusted".
  bool over_error_gate = false;
  std::string moebench_version;
  std::string host;
  int gpus = 0;
  double total_s = 0, dispatch_s = 0;
  long prompt_tokens = 0, output_tokens = 0;  // what the backend processed (throughput)
  std::optional<double> prompt_tokens_per_s, output_tokens_per_s;
  std::vector<SuiteResult> suites;  // by name
  nlohmann::json raw;               // run.json as read

  const SuiteResult* suite(const std::string& name) const;
  std::optional<double> cost_usd() const;  // sum over suites when every suite is priced
  TokenCounts tokens() const;
};

// Reads DIR/run.json. InputError names the file and field on malformed input, and the version of
// a schema_version other than kRunSchemaVersion (a run.json without one predates the field).
RunSummary run_load_summary(const std::filesystem::path& dir);

// Reads DIR/samples.jsonl, keeping the samples of `suite` only when it is non-empty. InputError
// names file:line on a malformed line.
std::vector<SampleRecord> run_load_samples(const std::filesystem::path& dir,
                                           const std::string& suite = "");
// The same walk, handing each line's text with its record to `visit` (merge writes the lines
// verbatim); the lines of other suites than a non-empty `suite` are skipped before parsing.
void run_visit_samples(const std::filesystem::path& dir, const std::string& suite,
                       const std::function<void(std::string&& line, SampleRecord&& sample)>& visit);
// The walk over a samples file named by its path (rescore's, a run's samples.jsonl or a copy).
void run_visit_samples_file(
    const std::filesystem::path& file, const std::string& suite,
    const std::function<void(std::string&& line, SampleRecord&& sample)>& visit);

// Where samples.jsonl disagrees with run.json: one message per suite whose sample count differs
// from the documents run.json says it scored (a truncated or edited file); empty when they agree.
std::vector<std::string> run_samples_mismatch(const RunSummary& run,
                                              const std::vector<SampleRecord>& samples);
// The same for `file`, said to hold the run's samples, from its count of samples per suite.
std::vector<std::string> run_samples_mismatch(const RunSummary& run,
                                              const std::map<std::string, long>& count,
                                              const std::filesystem::path& file);

// Every run directly under RESULTS_DIR (a directory holding run.json; hidden in-progress
// directories are ignored), oldest first. A run that cannot be read is left out and its one-line
// error appended to `problems`.
std::vector<RunSummary> run_scan_dir(const std::filesystem::path& results_dir,
                                     std::vector<std::string>* problems);

// A run directory given on the command line: DIR, or DIR/run.json.
std::filesystem::path run_dir_of(const std::filesystem::path& arg);

}  // namespace moebench
