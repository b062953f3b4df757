// published_scores_parse (every field checked, unknown fields refused by name), the lookup, and
// published_compare.
#include "reports/published_scores.h"

#include <cctype>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <tuple>

#include "common/error.h"
#include "common/json_error.h"
#include "common/json_file.h"

namespace moebench {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct Fields {
  std::string where;
  [[noreturn]] void fail(const std::string& field, const std::string& what) const {
    throw input_error(where, "field '" + field + "': " + what);
  }
  void only(const json& j, const std::string& at, const std::set<std::string>& known) const {
    if (!j.is_object()) fail(at.empty() ? "(top)" : at, "expected an object");
    for (const auto& [key, v] : j.items()) {
      if (known.count(key)) continue;
      std::string list;
      for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
      fail(at.empty() ? key : at + "." + key, "unknown field (known: " + list + ")");
    }
  }
  // j[key] as a non-empty string; "" when absent and not required.
  std::string str(const json& j, const char* key, const std::string& at, bool required) const {
    const std::string field = at.empty() ? key : at + "." + key;
    if (!j.contains(key)) {
      if (required) fail(field, "missing");
      return "";
    }
    if (!j[key].is_string() || j[key].get<std::string>().empty()) {
      fail(field, "expected a non-empty string");
    }
    return j[key].get<std::string>();
  }
};

PublishedSource read_source(const Fields& f, const json& e, const std::string& at) {
  const std::string field = at + ".source";
  if (!e.contains("source")) f.fail(field, "missing (where the score was published)");
  const json& s = e["source"];
  f.only(s, field, {"document", "url", "table", "row", "column"});
  PublishedSource src;
  src.document = f.str(s, "document", field, true);
  src.url = f.str(s, "url", field, true);
  src.table = f.str(s, "table", field, true);
  src.row = f.str(s, "row", field, true);
  src.column = f.str(s, "column", field, true);
  if (src.url.rfind("https://", 0) != 0 && src.url.rfind("http://", 0) != 0) {
    f.fail(field + ".url", "expected an http(s) URL");
  }
  return src;
}

PublishedScore read_entry(const Fields& f, const json& e, const std::string& at) {
  f.only(e, at, {"model", "suite", "profile", "metric", "score", "source", "notes"});
  PublishedScore p;
  p.model = f.str(e, "model", at, true);
  p.suite = f.str(e, "suite", at, true);
  if (p.suite.find('@') != std::string::npos) {
    f.fail(at + ".suite", "a suite name without '@' (the profile has its own field)");
  }
  p.profile = f.str(e, "profile", at, true);
  p.metric = f.str(e, "metric", at, true);
  if (!e.contains("score")) f.fail(at + ".score", "missing");
  const json& score = e["score"];
  if (!score.is_number() || !std::isfinite(score.get<double>()) || score.get<double>() < 0 ||
      score.get<double>() > 100) {
    f.fail(at + ".score", "expected a number from 0 to 100 (percent, as published)");
  }
  p.score = score.get<double>();
  p.source = read_source(f, e, at);
  p.notes = f.str(e, "notes", at, false);
  return p;
}

// "omitted": [{what, why}]: what the table leaves out and why (read for validation only).
void check_omitted(const Fields& f, const json& top) {
  if (!top.contains("omitted")) return;
  if (!top["omitted"].is_array()) f.fail("omitted", "expected a list of {what, why}");
  for (size_t i = 0; i < top["omitted"].size(); ++i) {
    const std::string at = "omitted[" + std::to_string(i) + "]";
    f.only(top["omitted"][i], at, {"what", "why"});
    f.str(top["omitted"][i], "what", at, true);
    f.str(top["omitted"][i], "why", at, true);
  }
}

bool iequal(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const unsigned char x = a[i], y = b[i];
    if (std::tolower(x) != std::tolower(y)) return false;
  }
  return true;
}

std::string suite_of_key(const std::string& key) { return key.substr(0, key.find('@')); }

PublishedScores published_scores_from_json(const json& top, const std::string& where) {
  const Fields f{where};
  f.only(top, "", {"schema", "description", "notes", "omitted", "entries"});
  if (!top.contains("schema")) f.fail("schema", "missing");
  if (!top["schema"].is_number_integer() || top["schema"].get<long>() != kPublishedScoresSchema) {
    f.fail("schema", "expected " + std::to_string(kPublishedScoresSchema));
  }
  f.str(top, "description", "", false);
  f.str(top, "notes", "", false);
  check_omitted(f, top);
  if (!top.contains("entries") || !top["entries"].is_array()) {
    f.fail("entries", "expected a list of entries");
  }
  PublishedScores out;
  out.file = where;
  // NOTE: one number per (model, suite, profile, document, table); the same model and suite may
  // be printed by two papers (DeepSeek-R1's table repeats DeepSeek-V3's for its comparators).
  std::map<std::tuple<std::string, std::string, std::string, std::string, std::string>, size_t>
      seen;
  for (size_t i = 0; i < top["entries"].size(); ++i) {
    const std::string at = "entries[" + std::to_string(i) + "]";
    PublishedScore p = read_entry(f, top["entries"][i], at);
    auto key = std::make_tuple(p.model, p.suite, p.profile, p.source.document, p.source.table);
    if (auto [it, fresh] = seen.emplace(key, i); !fresh) {
      f.fail(at, "duplicate of entries[" + std::to_string(it->second) +
                     "] (same model, suite, profile, document and table)");
    }
    out.entries.push_back(std::move(p));
  }
  return out;
}

}  // namespace

PublishedScores published_scores_parse(const std::string& text, const std::string& where) {
  json top;
  try {
    top = json::parse(text);
  } catch (const json::exception& e) {
    throw input_error(where, "malformed JSON (" + json_error_reason(e) + ")");
  }
  return published_scores_from_json(top, where);
}

PublishedScores published_scores_read(const fs::path& file) {
  return published_scores_from_json(
      json_read_file(file, file.string(), "cannot read the published scores table"), file.string());
}

PublishedScores published_scores_load(const fs::path& file) {
  std::error_code ec;
  if (file.empty() || !fs::exists(file, ec)) return {};
  return published_scores_read(file);
}

fs::path published_scores_default_file(const fs::path& tasks_dir) {
  return tasks_dir / "published_scores.json";
}

std::vector<const PublishedScore*> PublishedScores::find(const std::string& model,
                                                         const std::string& suite_key,
                                                         const std::string& profile) const {
  const std::string suite = suite_of_key(suite_key);
  std::vector<const PublishedScore*> out;
  for (const PublishedScore& p : entries) {
    if (iequal(p.model, model) && p.suite == suite && (profile.empty() || p.profile == profile)) {
      out.push_back(&p);
    }
  }
  return out;
}

bool PublishedScores::has_model(const std::string& model) const {
  for (const PublishedScore& p : entries) {
    if (iequal(p.model, model)) return true;
  }
  return false;
}

std::string PublishedComparison::verdict_text() const {
  switch (verdict) {
    case PublishedVerdict::kWithinCi:
      return "within CI";
    case PublishedVerdict::kBelow:
      return "below";
    case PublishedVerdict::kAbove:
      return "above";
    case PublishedVerdict::kNotComparable:
      if (!other_setup.empty()) return "not comparable (" + other_setup + ")";
      return "not comparable (profile " + run_profile + " vs " +
             (published ? published->profile : std::string("?")) + ")";
    case PublishedVerdict::kTooFew:
      return "too few documents (" + std::to_string(n) + "): no standard error";
    case PublishedVerdict::kNotMeasured:
      break;
  }
  return "not measured";
}

std::string published_setup_differs(const nlohmann::json& options) {
  if (!options.is_object()) return "";
  std::vector<std::string> why;
  const json samples = options.value("samples", json());
  if (samples.is_boolean() && samples.get<bool>()) why.push_back("the bundled samples");
  const json limit = options.value("limit", json());
  if (limit.is_number()) why.push_back("--limit " + limit.dump());
  const json shots = options.value("num_fewshot", json());
  if (shots.is_number()) why.push_back("--num-fewshot " + shots.dump());
  // A shard is a part of the data (a merged run is "0/1"); the paper's number is of the whole.
  const json shard = options.value("shard", json());
  if (shard.is_string() && shard.get<std::string>() != "0/1") {
    why.push_back("--shard " + shard.get<std::string>());
  }
  // Other sampling than the profile's (reviewer 94, F1): the paper's number is of its settings.
  const json gen_kwargs = options.value("gen_kwargs", json());
  if (gen_kwargs.is_string() && !gen_kwargs.get<std::string>().empty()) {
    why.push_back("--gen-kwargs " + gen_kwargs.get<std::string>());
  }
  std::string out;
  for (const std::string& w : why) out += (out.empty() ? "" : ", ") + w;
  return out;
}

std::string published_method_differs(const SuiteResult& suite) {
  const json form =
      suite.profile_info.is_object() ? suite.profile_info.value("form", json()) : json();
  // An own copy of the data (a subset, a conversion) is not the paper's documents (reviewer 94).
  if (suite.own_data()) return "own data";
  if (form != "completion") return "";
  std::vector<std::string> why;
  const bool choice = suite.spec.is_object() && suite.spec.value("output", json()) == "choice";
  if (choice && suite.scored_by == "generation") {
    why.push_back("scored by generation where the profile uses log-likelihood");
  }
  if (suite.prompt_form == "chat")
    why.push_back("chat messages where the profile sends raw prompts");
  std::string out;
  for (const std::string& w : why) out += (out.empty() ? "" : ", ") + w;
  return out;
}

PublishedComparison published_compare(const PublishedScore& published, const SuiteResult& suite,
                                      const std::string& setup) {
  PublishedComparison c;
  c.published = &published;
  c.suite_key = suite.name;
  c.run_profile = suite.profile.empty() ? "lm-eval" : suite.profile;
  c.metric_id = suite.primary_metric;
  const MetricStat* m = suite.primary();
  if (m && std::isfinite(m->mean)) {
    c.measured = 100 * m->mean;
    c.n = m->n;
    if (m->has_stderr()) c.ci95 = 100 * m->ci95_half();
  }
  const std::string method = published_method_differs(suite);
  if (c.run_profile != published.profile || !setup.empty() || !method.empty()) {
    c.verdict = PublishedVerdict::kNotComparable;
    if (c.run_profile == published.profile) {
      c.other_setup = setup + (setup.empty() || method.empty() ? "" : ", ") + method;
    }
    return c;
  }
  if (c.measured && c.n < 2) {
    c.verdict = PublishedVerdict::kTooFew;
    return c;
  }
  if (!c.measured || !std::isfinite(*c.ci95)) return c;  // kNotMeasured
  c.delta = *c.measured - published.score;
  if (std::fabs(*c.delta) <= *c.ci95) {
    c.verdict = PublishedVerdict::kWithinCi;
  } else {
    c.verdict = *c.delta < 0 ? PublishedVerdict::kBelow : PublishedVerdict::kAbove;
  }
  return c;
}

std::vector<PublishedComparison> published_compare_suites(const PublishedScores& table,
                                                          const std::string& model,
                                                          const std::vector<SuiteResult>& suites,
                                                          const std::string& setup) {
  std::vector<PublishedComparison> out;
  for (const SuiteResult& s : suites) {
    for (const PublishedScore* p : table.find(model, s.name)) {
      out.push_back(published_compare(*p, s, setup));
    }
  }
  return out;
}

}  // namespace moebench
