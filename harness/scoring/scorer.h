// Applies a suite's filters and metrics (from its spec, through the registry) to one document's
// response: the per-sample half of scoring. Aggregation lives in aggregate.h.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "backends/backend.h"
#include "harness/scoring/registry.h"
#include "tasks/suite.h"

namespace moebench {

struct MetricKey {
  std::string name;    // reported name, e.g. "exact_match"
  std::string filter;  // filter pipeline, e.g. "strict-match"; "none" for log-likelihood scoring
  bool higher_is_better = true;
  std::string id() const { return name + "," + filter; }  // lm-eval's "exact_match,strict-match"
};

struct DocScore {
  std::map<std::string, std::vector<std::string>> filtered;  // filter name -> predictions
  std::map<std::string, double> values;                      // MetricKey::id() -> value
  nlohmann::json details = nlohmann::json::object();         // MetricKey::id() -> detail
  std::string scored_by;                                     // "generation" | "loglikelihood"
  // Reasoning models: some sample carried thinking; some sample's thinking used up the tokens
  // before an answer came (it scores as the empty answer it is: 0), counted per suite.
  bool thinking = false;
  bool truncated_thinking = false;
};

class Scorer {
 public:
  // Builds the filters and metrics of the suite's spec; for choice suites `use_loglikelihood`
  // picks the spec's metrics (true) or its chat_fallback (false). InputError names the spec file
  // and field of an unknown filter/metric or a bad argument.
  static Scorer build(const SuiteInstance& suite, bool use_loglikelihood);

  const std::vector<MetricKey>& keys() const { return keys_; }
  bool needs_sandbox() const { return needs_sandbox_; }

  // Thread-safe. A response with an error is not scored here (the runner records the error).
  // `continuations`: the request's scored continuations (likelihood mode); when null they are
  // rebuilt from the suite's prompt, which costs a full prompt render.
  DocScore score(const Doc& doc, const Response& response, Sandbox* sandbox,
                 const std::vector<std::string>* continuations = nullptr) const;

 private:
  struct Pipeline {
    std::string name;
    std::vector<FilterStep> steps;
  };
  struct Metric {
    MetricKey key;
    MetricFn fn;
    std::vector<std::string> filters;  // pipelines it applies to
  };
  // `where` is "<spec file>: [chat_fallback.]filters" / "...metrics"; InputError names the entry.
  void build_pipelines(const nlohmann::json& filters, const std::string& where);
  void build_metrics(const nlohmann::json& metrics, const std::string& where);
  const SuiteInstance* suite_ = nullptr;
  bool loglikelihood_ = false;
  bool needs_sandbox_ = false;
  std::vector<Pipeline> pipelines_;
  std::vector<Metric> metrics_;
  std::vector<MetricKey> keys_;
};

}  // namespace moebench
