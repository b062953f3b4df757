// The typed field reads of run.json and samples.jsonl.
#include "reports/json_fields.h"

#include <cmath>

#include "common/error.h"

namespace moebench {

using nlohmann::json;

const json& json_field(const json& j, const char* key, const std::string& where,
                       const std::string& path) {
  if (!j.is_object() || !j.contains(key)) {
    throw input_error(where, "missing field '" + path + key + "'");
  }
  return j[key];
}

std::string str_or(const json& j, const char* key, const std::string& fallback) {
  return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>()
                                                                : fallback;
}

double num_or(const json& j, const char* key, double fallback) {
  return j.is_object() && j.contains(key) && j[key].is_number() ? j[key].get<double>() : fallback;
}

long count_of(const json& v, const std::string& where, const std::string& path) {
  if (!v.is_number()) throw input_error(where, "field '" + path + "' is not a count");
  const double d = v.get<double>();
  if (!(std::fabs(d) < 9.0e18)) throw input_error(where, "field '" + path + "' is not a count");
  return static_cast<long>(d);
}

long count_or(const json& j, const char* key, const std::string& where, const std::string& path) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_number()) return 0;
  return count_of(j[key], where, path + key);
}

TokenCounts tokens_of(const json& j, const std::string& where, const std::string& path) {
  TokenCounts t;
  t.prompt = count_or(j, "prompt", where, path);
  t.cached_prompt = count_or(j, "cached_prompt", where, path);
  t.cache_write_prompt = count_or(j, "cache_write_prompt", where, path);
  t.completion = count_or(j, "completion", where, path);
  t.reasoning = count_or(j, "reasoning", where, path);
  t.reasoning_unknown = j.is_object() && j.contains("reasoning") && j["reasoning"].is_null();
  if (j.is_object() && j.contains("off_peak")) {
    const json& o = j["off_peak"];
    t.off_peak_prompt = count_or(o, "prompt", where, path + "off_peak.");
    t.off_peak_cached_prompt = count_or(o, "cached_prompt", where, path + "off_peak.");
    t.off_peak_completion = count_or(o, "completion", where, path + "off_peak.");
  }
  return t;
}

json tokens_json(const TokenCounts& t) {
  json j = {{"prompt", t.prompt},
            {"cached_prompt", t.cached_prompt},
            {"completion", t.completion},
            {"reasoning", t.reasoning_unknown ? json(nullptr) : json(t.reasoning)}};
  if (t.cache_write_prompt != 0) j["cache_write_prompt"] = t.cache_write_prompt;
  if (t.off_peak_prompt != 0 || t.off_peak_completion != 0) {
    j["off_peak"] = {{"prompt", t.off_peak_prompt},
                     {"cached_prompt", t.off_peak_cached_prompt},
                     {"completion", t.off_peak_completion}};
  }
  return j;
}

FailedAttempts failed_attempts_of(const json& j, const std::string& where,
                                  const std::string& path) {
  FailedAttempts f;
  f.attempts = count_or(j, "attempts", where, path);
  f.usage_missing = count_or(j, "usage_missing", where, path);
  f.tokens = tokens_of(j, where, path);
  return f;
}

json failed_attempts_json(const FailedAttempts& f) {
  json j = tokens_json(f.tokens);
  j["attempts"] = f.attempts;
  j["usage_missing"] = f.usage_missing;
  return j;
}

}  // namespace moebench
