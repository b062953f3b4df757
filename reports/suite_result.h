// One suite of run.json ("suites"[name]): the record harness/results writes (to_json) and reports
// read back (from_json), so the suite's fields are spelled once.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "common/metric_stat.h"
#include "common/token_counts.h"

namespace moebench {

struct SuiteResult {
  std::string name;
  std::string version;
  std::string primary_metric;  // run.json's primary_metric, else the first metric key
  std::string scored_by;       // loglikelihood | generation
  // The evaluation profile the suite ran under (name is "suite@profile" for any but the default)
  // and how the prompts were put: "completion" (raw text) or "chat" (messages).
  std::string profile = "lm-eval";
  nlohmann::json profile_info;  // {name, version, source, form, notes}; null in older runs
  std::string prompt_form;
  std::map<std::string, MetricStat> metrics;         // metric id -> stat (higher_is_better set)
  nlohmann::json groups = nlohmann::json::object();  // subject -> metric id -> MetricStat json
  std::map<std::string, long> errors;                // error type -> count
  long n_docs = 0;
  // --repeats N: every document asked N times; metrics are avg@N over documents (n = documents),
  // and each repeat's own mean is kept (metric id -> N means).
  int repeats = 1;
  nlohmann::json repeat_means = nlohmann::json::object();
  long thinking_samples = 0;    // documents that thought (one is when a sample or repeat did)
  long truncated_thinking = 0;  // of them, stopped while thinking (scored as no answer: 0)
  // The reasoning tokens of answers replayed from a recording (a rescore's: not this run's usage,
  // so not in tokens_all); thinking.reasoning_tokens is tokens_all's and these. nullopt: unknown.
  std::optional<long> recorded_reasoning = 0;
  // Finish reason ("stop", "length", "content_filter", ...) -> answers that ended so, where the
  // API told; run.json writes it only when non-empty.
  std::map<std::string, long> finish_reasons;
  long cache_hits = 0;
  TokenCounts tokens;              // billed: the tokens sent this run (cache hits excluded)
  TokenCounts tokens_all;          // every response's, cached ones included
  long usage_missing = 0;          // answers whose API reported no usage (sent or cached): no cost
  std::optional<double> cost_usd;  // from the backend's price table
  nlohmann::json prices;           // that table, when cost_usd is set
  // The answers from the cache (tokens_all less tokens) at the run's cached-answer table, so that
  // cost_usd + cached_usd is every sample's cost (the leaderboard's); cost.cached_usd in run.json,
  // written with cost. has_cached_usd false: a run.json written before it (the leaderboard then
  // prices them itself); true with no value: not priceable.
  bool has_cached_usd = false;
  std::optional<double> cached_usd;
  nlohmann::json latency;  // the latency summary of the responses received
  nlohmann::json spec;     // the suite spec as run
  // Which data the documents came from: "listed", "own copy" (with data_why), "unlisted" or
  // "samples" (SuiteInstance::data); "" in a run.json written before it was recorded.
  std::string data;
  std::string data_why;
  bool own_data() const { return data == "own copy"; }
  // Read the same data as `o`: both an own copy or neither, and the same kind where both say (a
  // run.json from before `data` was recorded says none, and is not own data).
  bool same_data(const SuiteResult& o) const {
    return own_data() == o.own_data() && (data.empty() || o.data.empty() || data == o.data);
  }
  // The spec's doc_weight when its means are weighted (sum(w v) / sum(w), gaokao's points per
  // document); null for a plain mean over documents. run.json writes it only when set.
  nlohmann::json doc_weight;
  long error_count() const;
  const MetricStat* primary() const;  // nullptr when the suite reports no metric

  nlohmann::json cost_json() const;  // run.json's cost: null when cost_usd is unknown
  // Sets cost_usd, prices and cached_usd from run.json's cost object (`at` its field path).
  void cost_from_json(const nlohmann::json& cost, const std::string& where, const std::string& at);
  nlohmann::json to_json() const;
  // `s` is run.json's suites[name]; InputError naming `where` and the field on a bad value.
  static SuiteResult from_json(const std::string& name, const nlohmann::json& s,
                               const std::string& where);
};

// How two results of one suite were set up differently, so that their scores are not comparable
// ("suite version 1.0 -> 1.1", "profile chat version 1 -> 2", "primary metric a -> b", "scored by
// loglikelihood -> generation", "num_fewshot 5 -> 0", "temperature 0.0 -> 0.7": the spec's
// prompt.num_fewshot and generation temperature, top_p, max_tokens, n_samples and
// thinking_budget); "" when they were set up alike.
std::string suite_setup_change(const SuiteResult& a, const SuiteResult& b);

// suite_setup_change in parts: the first field that differs (`what`: "suite version", "primary
// metric", "scored by", "num_fewshot", ...) and its two values (a's, b's; "" unknown, "unset" for
// a spec field one lacks); `what` is "" when they were set up alike.
struct SuiteSetupChange {
  std::string what, from, to;
  bool empty() const { return what.empty(); }
  std::string text() const;  // suite_setup_change's words
};
SuiteSetupChange suite_setup_diff(const SuiteResult& a, const SuiteResult& b);

// suite_setup_diff without the sampling sent (generation temperature, top_p, max_tokens,
// n_samples, thinking_budget): what makes two models' scores of a suite comparable, as the
// leaderboard ranks them. The sampling is each model's own (an entry that cannot take a
// temperature, a reasoning model given more tokens); compare of two runs refuses it all the same.
SuiteSetupChange suite_scoring_diff(const SuiteResult& a, const SuiteResult& b);

}  // namespace moebench
