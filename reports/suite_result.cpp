// SuiteResult: run.json's suites[name] to and from JSON.
#include "reports/suite_result.h"

#include <algorithm>
#include <string_view>

#include "common/error.h"
#include "reports/json_fields.h"

namespace moebench {

using nlohmann::json;

long SuiteResult::error_count() const {
  long n = 0;
  for (const auto& [type, count] : errors) n += count;
  return n;
}

const MetricStat* SuiteResult::primary() const {
  auto it = metrics.find(primary_metric);
  return it == metrics.end() ? nullptr : &it->second;
}

json SuiteResult::cost_json() const {
  if (!cost_usd) return nullptr;
  json c = {{"usd", *cost_usd}, {"prices", prices}};
  if (has_cached_usd) c["cached_usd"] = cached_usd ? json(*cached_usd) : json(nullptr);
  return c;
}

json SuiteResult::to_json() const {
  json m = json::object();
  for (const auto& [id, stat] : metrics) {
    m[id] = stat.to_json();
    m[id]["higher_is_better"] = stat.higher_is_better;
  }
  json j = {{"version", version},
            {"n_docs", n_docs},
            {"scored_by", scored_by},
            {"profile", profile_info.is_object() ? profile_info : json{{"name", profile}}},
            {"prompt_form", prompt_form},
            // The first metric of the spec (with its first filter) is the suite's headline score:
            // the one the leaderboard shows and compare tests first.
            {"primary_metric", primary_metric},
            {"metrics", m},
            {"groups", groups},
            {"errors", errors},
            {"repeats", {{"n", repeats}, {"means", repeat_means}}},
            {"thinking",
             {{"samples", thinking_samples},
              {"truncated", truncated_thinking},
              {"reasoning_tokens", tokens_all.reasoning_unknown || !recorded_reasoning
                                       ? json(nullptr)
                                       : json(tokens_all.reasoning + *recorded_reasoning)}}},
            {"tokens",
             {{"all", tokens_json(tokens_all)},
              {"billed", tokens_json(tokens)},
              {"usage_missing", usage_missing}}},
            {"cost", cost_json()},
            {"latency", latency},
            {"cache_hits", cache_hits},
            {"spec", spec}};
  if (!doc_weight.is_null()) j["doc_weight"] = doc_weight;
  if (!data.empty()) j["data"] = data;
  if (!data_why.empty()) j["data_why"] = data_why;
  if (!finish_reasons.empty()) j["finish_reasons"] = finish_reasons;
  return j;
}

void SuiteResult::cost_from_json(const json& cost, const std::string& where,
                                 const std::string& at) {
  if (!cost["usd"].is_number()) throw input_error(where, "field '" + at + "usd' must be a number");
  cost_usd = cost["usd"].get<double>();
  prices = cost.value("prices", json());
  if (!cost.contains("cached_usd")) return;
  const json& c = cost["cached_usd"];
  if (!c.is_null() && !c.is_number())
    throw input_error(where, "field '" + at + "cached_usd' must be a number or null");
  has_cached_usd = true;
  if (c.is_number()) cached_usd = c.get<double>();
}

namespace {

// thinking.reasoning_tokens beyond tokens.all's: a rescore's recorded ones (null while tokens.all
// counts them: unknown).
void recorded_reasoning_of(const json& thinking, const std::string& where, const std::string& at,
                           SuiteResult* r) {
  if (!thinking.contains("reasoning_tokens")) return;
  if (thinking["reasoning_tokens"].is_null()) {
    if (!r->tokens_all.reasoning_unknown) r->recorded_reasoning.reset();
    return;
  }
  const long all = count_or(thinking, "reasoning_tokens", where, at + "thinking.");
  if (!r->tokens_all.reasoning_unknown) {
    r->recorded_reasoning = std::max(0L, all - r->tokens_all.reasoning);
  }
}

}  // namespace

SuiteResult SuiteResult::from_json(const std::string& name, const json& s,
                                   const std::string& where) {
  const std::string at = "suites." + name + ".";
  SuiteResult r;
  r.name = name;
  r.version = s.contains("version") ? (s["version"].is_string() ? s["version"].get<std::string>()
                                                                : s["version"].dump())
                                    : "";
  r.scored_by = str_or(s, "scored_by");
  r.prompt_form = str_or(s, "prompt_form");
  if (s.contains("profile")) {
    if (!s["profile"].is_object() || !s["profile"].contains("name") ||
        !s["profile"]["name"].is_string()) {
      throw input_error(where, "field '" + at + "profile.name' must be a string");
    }
    r.profile = s["profile"]["name"].get<std::string>();
    r.profile_info = s["profile"];
  }
  r.n_docs = count_or(s, "n_docs", where, at);
  r.cache_hits = count_or(s, "cache_hits", where, at);
  const json& metrics = json_field(s, "metrics", where, at);
  if (!metrics.is_object()) throw input_error(where, "field '" + at + "metrics' must be an object");
  for (const auto& [key, m] : metrics.items()) {
    if (!m.is_object() || !m.contains("mean") || !m["mean"].is_number()) {
      throw input_error(where, "field '" + at + "metrics." + key + ".mean' must be a number");
    }
    MetricStat st;
    st.mean = m["mean"].get<double>();
    st.stderr_ = num_or(m, "stderr");
    st.n = count_or(m, "n", where, at + "metrics." + key + ".");
    st.higher_is_better = !m.contains("higher_is_better") || m["higher_is_better"] != false;
    r.metrics[key] = st;
  }
  // Runs written before primary_metric existed: the first key is as good a guess as any.
  r.primary_metric = str_or(s, "primary_metric");
  if (r.primary_metric.empty() && !r.metrics.empty()) r.primary_metric = r.metrics.begin()->first;
  if (s.contains("errors") && s["errors"].is_object()) {
    for (const auto& [type, count] : s["errors"].items()) {
      if (count.is_number()) r.errors[type] = count_of(count, where, at + "errors." + type);
    }
  }
  if (s.contains("tokens") && s["tokens"].is_object()) {
    r.tokens = tokens_of(s["tokens"].value("billed", s["tokens"].value("all", json::object())),
                         where, at + "tokens.");
    r.tokens_all = tokens_of(s["tokens"].value("all", json::object()), where, at + "tokens.all.");
    r.usage_missing = count_or(s["tokens"], "usage_missing", where, at + "tokens.");
  }
  if (s.contains("cost") && s["cost"].is_object() && s["cost"].contains("usd")) {
    r.cost_from_json(s["cost"], where, at + "cost.");
  }
  if (s.contains("repeats") && s["repeats"].is_object()) {
    r.repeats = static_cast<int>(count_or(s["repeats"], "n", where, at + "repeats."));
    if (r.repeats < 1) throw input_error(where, "field '" + at + "repeats.n' must be >= 1");
    r.repeat_means = s["repeats"].value("means", json::object());
  }
  if (s.contains("thinking") && s["thinking"].is_object()) {
    const json& t = s["thinking"];
    r.thinking_samples = count_or(t, "samples", where, at + "thinking.");
    r.truncated_thinking = count_or(t, "truncated", where, at + "thinking.");
    recorded_reasoning_of(t, where, at, &r);
  }
  if (s.contains("finish_reasons")) {
    // Of another shape it would read as "no answer was cut": refused, never taken as clean.
    if (!s["finish_reasons"].is_object()) {
      throw input_error(where, "field '" + at + "finish_reasons' is not an object of counts");
    }
    for (const auto& [why, count] : s["finish_reasons"].items()) {
      r.finish_reasons[why] = count_of(count, where, at + "finish_reasons." + why);
    }
  }
  // Kept as written; the reports do not read inside them.
  if (s.contains("groups") && s["groups"].is_object()) r.groups = s["groups"];
  r.latency = s.value("latency", json());
  r.spec = s.value("spec", json());
  r.doc_weight = s.value("doc_weight", json());
  r.data = str_or(s, "data");
  r.data_why = str_or(s, "data_why");
  return r;
}

namespace {

// How the suite was asked differently: its few-shot count or the sampling sent (the spec as run:
// main writes the sampling actually sent into spec.generation); none when alike, or when a run has
// no spec (a run.json from before it was recorded).
SuiteSetupChange spec_change(const json& a, const json& b, bool sampling) {
  if (!a.is_object() || !b.is_object()) return {};
  auto field = [](const json& spec, const char* section, const char* key) {
    const json s = spec.value(section, json::object());
    return s.is_object() && s.contains(key) ? s[key] : json();
  };
  auto text = [](const json& v) { return v.is_null() ? std::string("unset") : v.dump(); };
  static const std::pair<const char*, const char*> kFields[] = {
      {"prompt", "num_fewshot"},   {"generation", "temperature"},
      {"generation", "top_p"},     {"generation", "max_tokens"},
      {"generation", "n_samples"}, {"generation", "thinking_budget"}};
  for (const auto& [section, key] : kFields) {
    if (!sampling && std::string_view(section) == "generation") continue;
    const json x = field(a, section, key), y = field(b, section, key);
    if (x != y) return {key, text(x), text(y)};
  }
  return {};
}

// suite_setup_diff, with or without the sampling sent.
SuiteSetupChange setup_diff(const SuiteResult& a, const SuiteResult& b, bool sampling) {
  if (a.version != b.version) return {"suite version", a.version, b.version};
  auto profile_version = [](const SuiteResult& s) {
    const json& v = s.profile_info.is_object() ? s.profile_info.value("version", json()) : json();
    return v.is_string() ? v.get<std::string>() : v.is_null() ? std::string() : v.dump();
  };
  if (a.profile != b.profile) return {"profile", a.profile, b.profile};
  if (profile_version(a) != profile_version(b)) {
    return {"profile " + a.profile + " version", profile_version(a), profile_version(b)};
  }
  if (a.primary_metric != b.primary_metric) {
    return {"primary metric", a.primary_metric, b.primary_metric};
  }
  if (a.scored_by != b.scored_by) return {"scored by", a.scored_by, b.scored_by};
  // Another copy of the data is other documents (or other golds) under the same ids.
  if (a.own_data() != b.own_data()) return {"data", a.data, b.data};
  return spec_change(a.spec, b.spec, sampling);
}

}  // namespace

SuiteSetupChange suite_setup_diff(const SuiteResult& a, const SuiteResult& b) {
  return setup_diff(a, b, true);
}

SuiteSetupChange suite_scoring_diff(const SuiteResult& a, const SuiteResult& b) {
  return setup_diff(a, b, false);
}

std::string SuiteSetupChange::text() const {
  if (what.empty()) return "";
  return what + " " + (from.empty() ? "?" : from) + " -> " + (to.empty() ? "?" : to);
}

std::string suite_setup_change(const SuiteResult& a, const SuiteResult& b) {
  return suite_setup_diff(a, b).text();
}

}  // namespace moebench
