// SampleRecord: a samples.jsonl line to and from JSON.
#include "reports/sample_record.h"

#include <cmath>

#include "common/error.h"
#include "reports/json_fields.h"

namespace moebench {

using nlohmann::json;

std::string SampleRecord::prompt_text() const {
  if (prompt.is_string()) return prompt.get<std::string>();
  if (!prompt.is_array()) return prompt.dump();
  std::string out;
  for (const auto& m : prompt) {
    if (!out.empty()) out += "\n\n";
    out += "[" + str_or(m, "role", "?") + "]\n" + str_or(m, "content");
  }
  return out;
}

json SampleRecord::to_json() const {
  json j = {{"suite", suite},         {"doc_id", doc_id},
            {"subject", subject},     {"request_hash", request_hash},
            {"prompt", prompt},       {"responses", responses},
            {"filtered", filtered},   {"gold", gold},
            {"metrics", metrics},     {"details", details},
            {"scored_by", scored_by}, {"tokens", tokens_json(tokens)},
            {"latency_s", latency_s}, {"ttft_s", ttft_s},
            {"cached", cached},       {"error", nullptr}};
  if (!continuations.empty()) {
    j["continuations"] = continuations;
    j["logliks"] = logliks;
  }
  if (!error_type.empty()) j["error"] = {{"type", error_type}, {"message", error_message}};
  if (!reasoning.empty()) j["reasoning"] = reasoning;
  if (!finish_reasons.empty()) j["finish_reasons"] = finish_reasons;
  if (truncated_thinking) j["truncated_thinking"] = true;
  if (repeat) j["repeat"] = *repeat;
  if (thinking_s > 0) j["thinking_s"] = thinking_s;
  if (retries > 0) j["retries"] = retries;
  if (truncated_prompt_tokens > 0) j["truncated_prompt_tokens"] = truncated_prompt_tokens;
  if (tpot_s) j["tpot_s"] = *tpot_s;
  if (!itl_s.empty()) j["itl_s"] = itl_s;
  if (tokens_cached_part) j["tokens_cached_part"] = tokens_json(*tokens_cached_part);
  if (cost_usd) j["cost_usd"] = *cost_usd;
  if (usage_missing) j["usage_missing"] = true;
  if (weight) j["weight"] = *weight;
  return j;
}

namespace {

std::vector<std::string> strings_of(const json& j, const char* key) {
  std::vector<std::string> out;
  if (j.contains(key) && j[key].is_array()) {
    for (const auto& t : j[key]) out.push_back(t.is_string() ? t.get<std::string>() : t.dump());
  }
  return out;
}

std::vector<double> numbers_of(const json& j, const char* key) {
  std::vector<double> out;
  if (j.contains(key) && j[key].is_array()) {
    for (const auto& v : j[key]) out.push_back(v.is_number() ? v.get<double>() : NAN);
  }
  return out;
}

std::optional<double> number_if(const json& j, const char* key) {
  if (j.contains(key) && j[key].is_number()) return j[key].get<double>();
  return std::nullopt;
}

}  // namespace

SampleRecord SampleRecord::from_json(const json& j, const std::string& where) {
  if (!j.is_object() || !j.contains("suite") || !j["suite"].is_string()) {
    throw input_error(where, "missing string field 'suite'");
  }
  SampleRecord s;
  s.suite = j["suite"];
  s.doc_id = str_or(j, "doc_id");
  if (s.doc_id.empty()) throw input_error(where, "missing string field 'doc_id'");
  s.subject = str_or(j, "subject");
  s.prompt = j.value("prompt", json());
  s.responses = strings_of(j, "responses");
  s.continuations = strings_of(j, "continuations");
  s.logliks = numbers_of(j, "logliks");
  s.filtered = j.value("filtered", json::object());
  s.gold = j.value("gold", json());
  // NOTE: a metric of another type is bad input, not a missing value: left out, compare counted
  // the document 0. null is a document not scored for it.
  if (j.contains("metrics") && !j["metrics"].is_null()) {
    if (!j["metrics"].is_object()) throw input_error(where, "field 'metrics' must be an object");
    for (const auto& [k, v] : j["metrics"].items()) {
      if (v.is_number()) {
        s.metrics[k] = v.get<double>();
      } else if (!v.is_null()) {
        throw input_error(where, "field 'metrics." + k + "' must be a number or null");
      }
    }
  }
  s.scored_by = str_or(j, "scored_by");
  s.tokens = tokens_of(j.value("tokens", json::object()), where, "tokens.");
  if (j.contains("tokens_cached_part")) {
    s.tokens_cached_part = tokens_of(j["tokens_cached_part"], where, "tokens_cached_part.");
  }
  s.latency_s = num_or(j, "latency_s");
  s.ttft_s = num_or(j, "ttft_s");
  s.cached = j.contains("cached") && j["cached"].is_boolean() && j["cached"].get<bool>();
  if (j.contains("error") && j["error"].is_object()) {
    s.error_type = str_or(j["error"], "type", "error");
    s.error_message = str_or(j["error"], "message");
  }
  s.request_hash = str_or(j, "request_hash");
  if (j.contains("details") && j["details"].is_object()) s.details = j["details"];
  s.reasoning = strings_of(j, "reasoning");
  s.finish_reasons = strings_of(j, "finish_reasons");
  s.truncated_thinking = j.value("truncated_thinking", nlohmann::json(false)) == true;
  if (j.contains("repeat")) s.repeat = static_cast<int>(count_or(j, "repeat", where, ""));
  s.thinking_s = num_or(j, "thinking_s");
  s.retries = static_cast<int>(count_or(j, "retries", where, ""));
  s.truncated_prompt_tokens = count_or(j, "truncated_prompt_tokens", where, "");
  s.tpot_s = number_if(j, "tpot_s");
  s.itl_s = numbers_of(j, "itl_s");
  s.cost_usd = number_if(j, "cost_usd");
  s.usage_missing = j.value("usage_missing", nlohmann::json(false)) == true;
  if (j.contains("weight")) {
    s.weight = number_if(j, "weight");
    if (!s.weight || !std::isfinite(*s.weight) || *s.weight <= 0) {
      throw input_error(where, "field 'weight': expected a number > 0, got " + j["weight"].dump());
    }
  }
  return s;
}

}  // namespace moebench
