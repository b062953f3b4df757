// run.json: the record harness/results writes (to_json) and reports read back (from_json), so
// its keys are spelled once. RunSummary (run_load.h) is the reports' view derived from it.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/token_counts.h"
#include "reports/suite_result.h"

namespace moebench {

// The run.json schema this moebench writes and reads: a run.json of another schema_version is
// refused by name instead of being misread.
constexpr int kRunSchemaVersion = 1;

struct RunRecord {
  std::string run_id;
  std::string created;    // ISO 8601 UTC
  std::string command;    // the command line
  nlohmann::json config;  // --config {file, text}; null when the flags were all on the command line
  nlohmann::json moebench = nlohmann::json::object();  // version and build
  nlohmann::json host = nlohmann::json::object();      // hostname, CPUs, GPUs, ...
  nlohmann::json backend = nlohmann::json::object();   // BackendInfo::to_json (id required)
  nlohmann::json options = nlohmann::json::object();   // seed, limit, shard, data_dir, samples
  nlohmann::json rescore;                              // set by `moebench rescore`, else null
  nlohmann::json merge;  // set by `moebench merge`: the shard runs it was made of; else null
  std::string sandbox;   // the code sandbox's isolation
  nlohmann::json sandbox_accounting;   // its accounting note, or null
  std::vector<SuiteResult> suites;     // run.json keeps them by name
  std::map<std::string, long> errors;  // error type -> count, all suites
  long requests_sent = 0, cache_hits = 0, docs = 0;
  TokenCounts billed;  // over every suite: the tokens of the requests sent this run
  // API attempts that failed after their HTTP 200: billed, answering nothing; not in `billed`.
  FailedAttempts failed_attempts;
  // null, or {usd, prices, failed_attempts_usd}: usd prices `billed`, failed_attempts_usd the
  // known tokens of the failed attempts (a lower bound when some reported no usage).
  nlohmann::json cost;
  nlohmann::json latency;                     // the latency summary of the responses received
  long prompt_tokens = 0, output_tokens = 0;  // what the backend processed, failed attempts too
  double prompt_tokens_per_s = 0, output_tokens_per_s = 0;
  double load_s = 0, dispatch_s = 0, scoring_s = 0, write_s = 0, total_s = 0, docs_per_s = 0;

  // The share of the run's documents whose sample failed (0 for a run without documents).
  double failed_share() const;

  nlohmann::json to_json() const;
  // InputError naming `where` (the file) and the field: run_id and backend.id must be strings,
  // suites an object; a schema_version other than kRunSchemaVersion is refused (none: version 1).
  static RunRecord from_json(const nlohmann::json& j, const std::string& where);
};

}  // namespace moebench
