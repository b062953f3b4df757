// Named filters and metrics (lm-eval style): a spec names them, code enters only through this
// registry. Built-in ones register themselves at startup (scoring_register_builtins()).
#pragma once

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/regex.h"
#include "tasks/suite.h"

namespace moebench {

class Sandbox;

// What a filter step may look at besides the responses.
struct FilterContext {
  const SuiteInstance* suite = nullptr;
  const Doc* doc = nullptr;
  Sandbox* sandbox = nullptr;  // set when the run executes code (HumanEval, MBPP)
};

// A filter step maps the n responses of one document to n filtered predictions.
using FilterStep =
    std::function<std::vector<std::string>(std::vector<std::string>, const FilterContext&)>;
// Builds a step from its spec object ({"fn": name, ...args}); `where` names the spec field for
// InputError messages, e.g. "tasks/math/gsm8k.json: filters[0].steps[1]".
using FilterFactory =
    std::function<FilterStep(const nlohmann::json& args, const std::string& where)>;

struct MetricInput {
  const SuiteInstance* suite = nullptr;
  const Doc* doc = nullptr;
  const std::vector<std::string>* predictions = nullptr;  // filtered, one per sample
  std::string target;                                     // suite->target(doc)
  std::vector<int> gold;                                  // choice suites: suite->gold_choices(doc)
  const std::vector<double>* logliks = nullptr;           // choice suites scored by likelihood
  const std::vector<std::string>* continuations = nullptr;
};

struct MetricValue {
  double value = 0;
  nlohmann::json detail;  // optional per-sample explanation, copied into samples.jsonl
};

using MetricFn = std::function<MetricValue(const MetricInput&)>;
using MetricFactory = std::function<MetricFn(const nlohmann::json& args, const std::string& where)>;

struct MetricDef {
  std::string name;  // the registry key used in specs, e.g. "exact_match", "pass_at_k"
  bool higher_is_better = true;
  MetricFactory make;
  // Reported name when the spec gives none (e.g. pass_at_k {k: 5} -> "pass@5"); unset: `name`.
  std::function<std::string(const nlohmann::json& args)> reported_name = nullptr;
  // Samples per problem the metric needs (pass@k: k); unset: 1.
  std::function<long(const nlohmann::json& args)> min_samples = nullptr;
};

void filter_register(const std::string& name, FilterFactory factory);
void metric_register(MetricDef def);
bool filter_known(const std::string& name);
bool metric_known(const std::string& name);
std::vector<std::string> filter_names();
std::vector<std::string> metric_names();

// Builds one step / metric from a spec object; InputError naming `where` on unknown names or args.
FilterStep filter_make(const nlohmann::json& step, const std::string& where);
MetricFn metric_make(const nlohmann::json& spec, const std::string& where, MetricDef* def_out);

// Registers every built-in filter and metric once (idempotent, thread-safe).
void scoring_register_builtins();

// Argument helpers for factories. `args` is the step/metric object without its fn/metric/name/
// filters keys; errors are InputError "<where>.<key>: expected <type>, got <json>".
// Throws on any key of `args` not in `allowed`.
void scoring_check_args(const nlohmann::json& args, const std::string& where,
                        const std::vector<std::string>& allowed);
std::string scoring_arg_string(const nlohmann::json& args, const std::string& key,
                               const std::string& where, const std::string& fallback);
bool scoring_arg_bool(const nlohmann::json& args, const std::string& key, const std::string& where,
                      bool fallback);
long scoring_arg_int(const nlohmann::json& args, const std::string& key, const std::string& where,
                     long fallback);
std::vector<std::string> scoring_arg_strings(const nlohmann::json& args, const std::string& key,
                                             const std::string& where);
// "letters": choice labels, upper-case ASCII letters (and digits where `digits`: ARC labels some
// items 1-5); InputError "<where>.letters: ..." when empty or holding anything else.
std::string scoring_arg_letters(const nlohmann::json& args, const std::string& where,
                                const std::string& fallback, bool digits);
// A step's regex, compiled once; a bad pattern is InputError "<where>: regex ...".
std::shared_ptr<const Regex> scoring_regex(const std::string& pattern, Regex::Options options,
                                           const std::string& where);

}  // namespace moebench
