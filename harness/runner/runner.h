// One evaluation run: suites -> requests -> (cache | backend) -> scoring -> aggregates -> results.
// Everything that can fail on bad input fails before the first request is sent.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "backends/backend.h"
#include "common/error_gate.h"
#include "harness/scoring/aggregate.h"
#include "harness/scoring/sandbox.h"
#include "harness/scoring/scorer.h"
#include "tasks/suite.h"

namespace moebench {

struct RunOptions {
  // "suite" or "suite@profile"; empty = every suite `profile` covers.
  std::vector<std::string> suites;
  std::string profile = kDefaultProfile;  // --profile: for names without "@profile"
  DataSource source;
  std::string backend = "oracle";                      // "oracle" | "oracle-chat" | "replay:<file>"
  std::map<std::string, std::string> backend_options;  // --backend-opt key=value
  std::string models_file;   // the models file api:<name> backends are named in
  std::string published_as;  // --published-as: the model as published tables name it
  // The first N documents of each suite (lm-eval's --limit); a shard takes every shard_count-th
  // of them, so the shards of a limited run partition exactly what the unsharded run evaluates.
  std::optional<long> limit;
  uint64_t seed = 1234;
  // --repeats N: each document asked N times with per-repeat seeds (repeat 0 = the run without
  // repeats); scores are averaged per document first (avg@N), so the CI counts documents.
  int repeats = 1;
  // --num-fewshot: every suite's prompt.num_fewshot (lm-eval's flag); unset = each spec's own.
  std::optional<int> num_fewshot;
  // --gen-kwargs key=value,...: every suite's generation settings (lm-eval's flag), in order.
  std::vector<std::pair<std::string, std::string>> gen_kwargs;
  int shard_index = 0;  // --shard i/N, 0 <= i < N
  int shard_count = 1;
  std::filesystem::path results_dir = "results";
  std::filesystem::path cache_file;  // default results_dir/cache.sqlite
  bool use_cache = true;
  int batch_size = 0;       // 0 = backend's max_batch()
  int scoring_threads = 0;  // 0 = number of cores
  SandboxOptions sandbox;
  std::string run_id;  // default: <UTC time>-<backend>-<config hash>
  bool force = false;  // --force: an existing results_dir/run_id is replaced
  // When non-empty, only these documents: suite name -> doc ids ("" = any suite). rescore uses it.
  std::map<std::string, std::set<std::string>> only_docs;
  std::string only_docs_file;  // where only_docs came from, named in its errors
  std::string command_line;    // recorded in run.json
  // --config: {file, text} of the TOML file flags were read from, recorded in run.json beside the
  // command line (which alone would not say what ran); null when none was given.
  nlohmann::json config;
  // rescore: where the responses came from (file, original run, backend, options), recorded in
  // run.json as "rescore" so reports keep the original model and scope; null otherwise.
  nlohmann::json rescore;
  // rescore: per suite key, the recorded run's spec.generation; the sampling settings it holds
  // (what that run sent) are the rescore's, so it records them and compares with that run.
  std::map<std::string, nlohmann::json> recorded_generation;
  // --dry-run: plan (specs, data, prompts, request hashes) and stop before any request is sent;
  // the first `dry_run_prompts` requests of each suite are kept rendered for printing.
  bool dry_run = false;
  int dry_run_prompts = 1;
  bool progress = true;
  double progress_interval_s = 10;  // between progress lines when stderr is not a terminal
  // The run fails (exit 4) when more than this share of its samples failed; results are written.
  double max_error_rate = kDefaultMaxErrorRate;
};

// Everything about one suite that the run carries from planning to results.
struct SuiteRun {
  std::unique_ptr<SuiteInstance> instance;
  std::unique_ptr<Scorer> scorer;
  bool loglikelihood = false;         // choice suite scored by likelihood
  bool chat = false;                  // prompts sent as chat messages
  std::vector<const Doc*> docs;       // selected (limit, then shard), each `repeats` times
  int repeats = 1;                    // consecutive entries of docs per document
  std::vector<Request> requests;      // one per doc
  std::vector<std::string> hashes;    // request hashes
  std::vector<std::string> rendered;  // --dry-run: the first prompts as the model reads them
  // Sampling settings the models file omits from every request ("temperature", "top_p"): null in
  // run.json's spec.generation, "not sent" in --dry-run (plan.cpp omitted_generation).
  std::vector<std::string> unsent;
  std::vector<Response> responses;                          // filled by dispatch
  std::vector<bool> cached;                                 // response came from the cache
  std::vector<DocScore> scores;                             // filled by scoring
  std::map<std::string, MetricStat> metrics;                // key id -> summary (n = documents)
  std::map<std::string, std::vector<double>> repeat_means;  // --repeats: key id -> each repeat's
  std::map<std::string, std::map<std::string, MetricStat>> groups;  // subject -> key id -> summary
  std::map<std::string, long> errors;                               // error type -> count
  long thinking_samples = 0;    // documents that thought (when one of their samples did)
  long truncated_thinking = 0;  // of them, those stopped while thinking (no answer)
  // Finish reason (Response::finish_reasons) -> answers that ended so, where the API told.
  std::map<std::string, long> finish_reasons;
  // Per doc, filled by dispatch: the tokens of the samples a partial answer in the cache brought
  // (an earlier run paid for them); the rest of the response's tokens were billed this run.
  std::vector<TokenCounts> resumed;
};

struct RunTimings {
  double load_s = 0, dispatch_s = 0, scoring_s = 0, write_s = 0, total_s = 0;
};

struct RunOutcome {
  std::string run_id;
  std::filesystem::path dir;  // results/<run-id>
  BackendInfo backend;
  std::vector<SuiteRun> suites;
  RunTimings timings;
  long requests_sent = 0, cache_hits = 0, docs = 0;
  // Tokens of the requests sent this run (cache hits excluded), processed in dispatch_s; the
  // failed attempts' included.
  long prompt_tokens = 0, output_tokens = 0;
  FailedAttempts failed_attempts;  // API attempts billed without an answer (counted apart)
  bool interrupted = false;        // SIGINT: nothing written, the cache keeps what arrived
  bool dry_run = false;            // planned only: nothing sent, nothing written
  long cached_already = 0;         // --dry-run: requests the cache already answers
  std::string sandbox_isolation;
  std::string sandbox_accounting;  // cgroup or /proc, and how the time limits are charged
};

// Runs the whole pipeline; throws InputError on bad input before any request is sent.
RunOutcome run_evaluation(const RunOptions& options);

// Parses "i/N" (0 <= i < N); InputError naming --shard otherwise.
void run_parse_shard(const std::string& text, int* index, int* count);

}  // namespace moebench
