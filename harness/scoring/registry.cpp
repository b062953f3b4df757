// The filter and metric registry: name -> factory maps guarded for concurrent readers, the
// spec-facing make functions with their InputErrors, and the argument helpers factories share.
#include "harness/scoring/registry.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <shared_mutex>

#include "common/error.h"
#include "harness/scoring/builtins.h"

namespace moebench {
namespace {

struct Registry {
  std::shared_mutex mu;
  std::map<std::string, FilterFactory> filters;
  std::map<std::string, MetricDef> metrics;
};

Registry& registry() {
  static Registry r;
  return r;
}

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out.empty() ? "none" : out;
}

// Keys that belong to the spec wrapper (the Scorer), not to the step or metric itself.
const std::vector<std::string> kFilterWrapperKeys = {"fn"};
const std::vector<std::string> kMetricWrapperKeys = {"metric", "name", "filters", "aggregation",
                                                     "higher_is_better"};

nlohmann::json strip_keys(const nlohmann::json& spec, const std::vector<std::string>& keys) {
  nlohmann::json args = spec;
  for (const auto& k : keys) args.erase(k);
  return args;
}

std::string type_error(const nlohmann::json& v, const char* expected) {
  return std::string("expected ") + expected + ", got " + v.dump();
}

}  // namespace

void filter_register(const std::string& name, FilterFactory factory) {
  std::unique_lock lock(registry().mu);
  registry().filters[name] = std::move(factory);
}

void metric_register(MetricDef def) {
  std::unique_lock lock(registry().mu);
  std::string name = def.name;
  registry().metrics[name] = std::move(def);
}

bool filter_known(const std::string& name) {
  std::shared_lock lock(registry().mu);
  return registry().filters.count(name) > 0;
}

bool metric_known(const std::string& name) {
  std::shared_lock lock(registry().mu);
  return registry().metrics.count(name) > 0;
}

std::vector<std::string> filter_names() {
  std::shared_lock lock(registry().mu);
  std::vector<std::string> out;
  for (const auto& [k, v] : registry().filters) out.push_back(k);
  return out;
}

std::vector<std::string> metric_names() {
  std::shared_lock lock(registry().mu);
  std::vector<std::string> out;
  for (const auto& [k, v] : registry().metrics) out.push_back(k);
  return out;
}

FilterStep filter_make(const nlohmann::json& step, const std::string& where) {
  if (!step.is_object()) throw input_error(where, type_error(step, "an object {\"fn\": ...}"));
  if (!step.contains("fn") || !step["fn"].is_string()) {
    throw input_error(where + ".fn", "missing filter name (known: " + join(filter_names()) + ")");
  }
  const std::string name = step["fn"].get<std::string>();
  FilterFactory factory;
  {
    std::shared_lock lock(registry().mu);
    auto it = registry().filters.find(name);
    if (it != registry().filters.end()) factory = it->second;
  }
  if (!factory) {
    throw input_error(where + ".fn",
                      "unknown filter '" + name + "' (known: " + join(filter_names()) + ")");
  }
  return factory(strip_keys(step, kFilterWrapperKeys), where);
}

MetricFn metric_make(const nlohmann::json& spec, const std::string& where, MetricDef* def_out) {
  if (!spec.is_object()) throw input_error(where, type_error(spec, "an object {\"metric\": ...}"));
  if (!spec.contains("metric") || !spec["metric"].is_string()) {
    throw input_error(where + ".metric",
                      "missing metric name (known: " + join(metric_names()) + ")");
  }
  const std::string name = spec["metric"].get<std::string>();
  MetricDef def;
  {
    std::shared_lock lock(registry().mu);
    auto it = registry().metrics.find(name);
    if (it != registry().metrics.end()) def = it->second;
  }
  if (!def.make) {
    throw input_error(where + ".metric",
                      "unknown metric '" + name + "' (known: " + join(metric_names()) + ")");
  }
  // NOTE: lm-eval metric_list entries carry aggregation/higher_is_better; only "mean" is
  // implemented, so anything else is refused rather than silently averaged.
  if (spec.contains("aggregation") && spec["aggregation"] != "mean") {
    throw input_error(where + ".aggregation",
                      "only \"mean\" is supported, got " + spec["aggregation"].dump());
  }
  MetricFn fn = def.make(strip_keys(spec, kMetricWrapperKeys), where);
  if (def_out) *def_out = std::move(def);
  return fn;
}

void scoring_register_builtins() {
  static std::once_flag once;
  std::call_once(once, [] {
    scoring_register_text();
    scoring_register_basic_metrics();
    scoring_register_math();
    scoring_register_code();
    scoring_register_simple_evals();
  });
}

void scoring_check_args(const nlohmann::json& args, const std::string& where,
                        const std::vector<std::string>& allowed) {
  if (!args.is_object()) throw input_error(where, type_error(args, "an object"));
  for (const auto& [key, value] : args.items()) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      std::string known;
      for (const auto& a : allowed) known += (known.empty() ? "" : ", ") + a;
      throw input_error(where + "." + key,
                        "unknown argument (known: " + (known.empty() ? "none" : known) + ")");
    }
  }
}

std::string scoring_arg_string(const nlohmann::json& args, const std::string& key,
                               const std::string& where, const std::string& fallback) {
  if (!args.contains(key)) return fallback;
  const auto& v = args[key];
  if (!v.is_string()) throw input_error(where + "." + key, type_error(v, "a string"));
  return v.get<std::string>();
}

bool scoring_arg_bool(const nlohmann::json& args, const std::string& key, const std::string& where,
                      bool fallback) {
  if (!args.contains(key)) return fallback;
  const auto& v = args[key];
  if (!v.is_boolean()) throw input_error(where + "." + key, type_error(v, "true or false"));
  return v.get<bool>();
}

long scoring_arg_int(const nlohmann::json& args, const std::string& key, const std::string& where,
                     long fallback) {
  if (!args.contains(key)) return fallback;
  const auto& v = args[key];
  if (!v.is_number_integer()) throw input_error(where + "." + key, type_error(v, "an integer"));
  return v.get<long>();
}

std::vector<std::string> scoring_arg_strings(const nlohmann::json& args, const std::string& key,
                                             const std::string& where) {
  std::vector<std::string> out;
  if (!args.contains(key)) return out;
  const auto& v = args[key];
  if (!v.is_array()) throw input_error(where + "." + key, type_error(v, "a list of strings"));
  for (size_t i = 0; i < v.size(); ++i) {
    if (!v[i].is_string()) {
      throw input_error(where + "." + key + "[" + std::to_string(i) + "]",
                        type_error(v[i], "a string"));
    }
    out.push_back(v[i].get<std::string>());
  }
  return out;
}

std::string scoring_arg_letters(const nlohmann::json& args, const std::string& where,
                                const std::string& fallback, bool digits) {
  std::string letters = scoring_arg_string(args, "letters", where, fallback);
  if (letters.empty()) throw input_error(where + ".letters", "must not be empty");
  for (char c : letters) {
    if (!(c >= 'A' && c <= 'Z') && !(digits && c >= '0' && c <= '9')) {
      throw input_error(where + ".letters", std::string("expected upper-case ASCII letters") +
                                                (digits ? " or digits" : "") + ", got '" + letters +
                                                "'");
    }
  }
  return letters;
}

std::shared_ptr<const Regex> scoring_regex(const std::string& pattern, Regex::Options options,
                                           const std::string& where) {
  try {
    return std::make_shared<const Regex>(pattern, options);
  } catch (const InputError& e) {
    throw input_error(where, e.what());
  }
}

}  // namespace moebench
