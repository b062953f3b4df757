// Scorer: builds a suite's filter pipelines and metrics from its spec through the registry, and
// scores one document's response with them (thread-safe; the runner calls it from a pool).
#include "harness/scoring/scorer.h"

#include <set>

#include "common/error.h"

namespace moebench {
namespace {

// NOTE: the one filter that runs programs; a suite using it needs a Sandbox from the runner.
constexpr const char* kSandboxFilter = "code_exec";
// Filter name of metrics computed from log-likelihoods (lm-eval reports them under "none").
constexpr const char* kNoFilter = "none";

const nlohmann::json& list_field(const nlohmann::json& parent, const char* key,
                                 const std::string& where) {
  static const nlohmann::json kEmpty = nlohmann::json::array();
  if (!parent.is_object() || !parent.contains(key) || parent[key].is_null()) return kEmpty;
  if (!parent[key].is_array()) {
    throw input_error(where, std::string("expected a list, got ") + parent[key].dump());
  }
  return parent[key];
}

// A gold target that is a list of label groups ("B", "3", "B C A", "AC", "A、C"): only upper-case
// ASCII letters, digits, spaces and list punctuation. Anything else (an answer text) is not used by
// choice_match, which then falls back to the gold indexes.
bool is_letter_list(const std::string& s) {
  bool letter = false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
      letter = true;
    } else if (s.compare(i, 3, "、") == 0 || s.compare(i, 3, "，") == 0 ||
               s.compare(i, 3, "；") == 0) {
      i += 2;
    } else if (!(c == ' ' || c == '\t' || c == '\n' || c == ',' || c == ';' || c == '/')) {
      return false;
    }
  }
  return letter;
}

}  // namespace

Scorer Scorer::build(const SuiteInstance& suite, bool use_loglikelihood) {
  scoring_register_builtins();
  Scorer s;
  s.suite_ = &suite;
  const SuiteSpec& spec = suite.spec();
  const std::string file = spec.file.string();
  const bool choice = spec.output == OutputKind::kChoice;
  s.loglikelihood_ = choice && use_loglikelihood;

  nlohmann::json filters = nlohmann::json::array();
  const nlohmann::json* metrics = &spec.metrics;
  std::string prefix;  // spec path of the filters/metrics in use
  if (choice && !use_loglikelihood) {
    if (!spec.chat_fallback.is_object() || !spec.chat_fallback.contains("metrics")) {
      throw input_error(file + ": chat_fallback",
                        "missing: this backend gives no log-likelihoods, so the suite needs "
                        "chat_fallback {filters, metrics} to score generated answers");
    }
    prefix = "chat_fallback.";
    filters = list_field(spec.chat_fallback, "filters", file + ": chat_fallback.filters");
    metrics = &spec.chat_fallback["metrics"];
  } else if (!s.loglikelihood_) {
    filters = spec.filters.is_null() ? nlohmann::json::array() : spec.filters;
  }
  s.build_pipelines(filters, file + ": " + prefix + "filters");
  s.build_metrics(*metrics, file + ": " + prefix + "metrics");
  return s;
}

void Scorer::build_pipelines(const nlohmann::json& filters, const std::string& where) {
  if (!filters.is_array()) throw input_error(where, "expected a list, got " + filters.dump());
  if (loglikelihood_ || filters.empty()) {  // identity pipeline: metrics see the raw responses
    pipelines_.push_back({kNoFilter, {}});
    return;
  }
  std::set<std::string> seen;
  for (size_t i = 0; i < filters.size(); ++i) {
    const std::string at = where + "[" + std::to_string(i) + "]";
    const auto& f = filters[i];
    if (!f.is_object() || !f.contains("name") || !f["name"].is_string()) {
      throw input_error(at + ".name", "expected {\"name\": \"...\", \"steps\": [...]}");
    }
    Pipeline p{f["name"].get<std::string>(), {}};
    if (!seen.insert(p.name).second) throw input_error(at + ".name", "duplicate '" + p.name + "'");
    const auto& steps = list_field(f, "steps", at + ".steps");
    for (size_t j = 0; j < steps.size(); ++j) {
      p.steps.push_back(filter_make(steps[j], at + ".steps[" + std::to_string(j) + "]"));
      if (steps[j].value("fn", "") == kSandboxFilter) needs_sandbox_ = true;
    }
    pipelines_.push_back(std::move(p));
  }
}

void Scorer::build_metrics(const nlohmann::json& metrics, const std::string& where) {
  if (!metrics.is_array() || metrics.empty()) {
    throw input_error(where,
                      "expected a non-empty list of {\"metric\": ...}, got " + metrics.dump());
  }
  std::set<std::string> ids;
  for (size_t i = 0; i < metrics.size(); ++i) {
    const std::string at = where + "[" + std::to_string(i) + "]";
    MetricDef def;
    Metric m;
    m.fn = metric_make(metrics[i], at, &def);
    const auto& spec = metrics[i];
    m.key.name = def.reported_name ? def.reported_name(spec) : def.name;
    if (spec.contains("name")) {
      if (!spec["name"].is_string()) throw input_error(at + ".name", "expected a string");
      m.key.name = spec["name"].get<std::string>();
    }
    m.key.higher_is_better = def.higher_is_better;
    const int n_samples = suite_->spec().generation.n_samples;
    if (const long need = def.min_samples ? def.min_samples(spec) : 1; need > n_samples) {
      throw input_error(at + (spec.contains("k") ? ".k" : ""),
                        m.key.name + " needs at least " + std::to_string(need) +
                            " samples per problem; generation.n_samples is " +
                            std::to_string(n_samples) +
                            " (raise it with --gen-kwargs n=" + std::to_string(need) + ")");
    }
    for (const auto& name : list_field(spec, "filters", at + ".filters")) {
      if (!name.is_string()) throw input_error(at + ".filters", "expected filter names");
      m.filters.push_back(name.get<std::string>());
    }
    if (m.filters.empty()) {
      for (const auto& p : pipelines_) m.filters.push_back(p.name);
    }
    for (const auto& f : m.filters) {
      bool known = false;
      std::string names;
      for (const auto& p : pipelines_) {
        known |= p.name == f;
        names += (names.empty() ? "" : ", ") + p.name;
      }
      if (!known) {
        throw input_error(at + ".filters", "unknown filter '" + f + "' (known: " + names + ")");
      }
      MetricKey key = m.key;
      key.filter = f;
      if (!ids.insert(key.id()).second) {
        throw input_error(at, "metric '" + key.id() + "' is reported twice; give it a name");
      }
      keys_.push_back(key);
    }
    metrics_.push_back(std::move(m));
  }
}

DocScore Scorer::score(const Doc& doc, const Response& response, Sandbox* sandbox,
                       const std::vector<std::string>* continuations) const {
  DocScore out;
  const bool choice = suite_->spec().output == OutputKind::kChoice;
  MetricInput in;
  in.suite = suite_;
  in.doc = &doc;
  in.target = suite_->target(doc);
  if (choice) in.gold = suite_->gold_choices(doc);
  if (choice && !loglikelihood_ && !is_letter_list(in.target)) in.target.clear();

  Prompt prompt;  // log-likelihood scoring: acc_norm needs the continuations
  if (loglikelihood_) {
    out.scored_by = "loglikelihood";
    if (!continuations) {
      prompt = suite_->prompt(doc);
      continuations = &prompt.continuations;
    }
    in.logliks = &response.logliks;
    in.continuations = continuations;
  } else {
    out.scored_by = "generation";
    FilterContext ctx{suite_, &doc, sandbox};
    for (const auto& p : pipelines_) {
      std::vector<std::string> preds = response.texts;
      for (const auto& step : p.steps) preds = step(std::move(preds), ctx);
      out.filtered[p.name] = std::move(preds);
    }
  }
  for (const auto& m : metrics_) {
    for (const auto& f : m.filters) {
      auto it = out.filtered.find(f);
      in.predictions = it == out.filtered.end() ? nullptr : &it->second;
      MetricValue v = m.fn(in);
      MetricKey key = m.key;
      key.filter = f;
      out.values[key.id()] = v.value;
      if (!v.detail.is_null()) out.details[key.id()] = std::move(v.detail);
    }
  }
  return out;
}

}  // namespace moebench
