// Request hashing and Response/BackendInfo (de)serialization.
#include "backends/backend.h"

#include "common/hash.h"

namespace moebench {
namespace {

nlohmann::json counts_json(const TokenCounts& t) {
  return {
      {"prompt", t.prompt},
      {"cached_prompt", t.cached_prompt},
      {"completion", t.completion},
      {"reasoning", t.reasoning_unknown ? nlohmann::json(nullptr) : nlohmann::json(t.reasoning)}};
}

TokenCounts counts_of(const nlohmann::json& t) {
  TokenCounts c;
  c.prompt = t.value("prompt", 0L);
  c.cached_prompt = t.value("cached_prompt", 0L);
  c.completion = t.value("completion", 0L);
  c.reasoning_unknown = t.contains("reasoning") && t["reasoning"].is_null();
  if (!c.reasoning_unknown) c.reasoning = t.value("reasoning", 0L);
  return c;
}

}  // namespace

nlohmann::json Request::to_json() const {
  nlohmann::json msgs = nlohmann::json::array();
  for (const auto& m : messages) msgs.push_back({{"role", m.role}, {"content", m.content}});
  nlohmann::json j = {{"prompt", prompt},
                      {"messages", msgs},
                      {"continuations", continuations},
                      {"max_tokens", generation.max_tokens},
                      {"stop", generation.stop},
                      {"temperature", generation.temperature},
                      {"top_p", generation.top_p},
                      {"n", generation.n_samples},
                      {"seed", seed}};
  if (!profile.empty()) j["profile"] = profile;
  if (generation.thinking_budget > 0) j["thinking_budget"] = generation.thinking_budget;
  return j;
}

std::string Request::hash() const { return sha256_hex(to_json().dump()); }

nlohmann::json Response::to_json() const {
  nlohmann::json j = {{"texts", texts},
                      {"logliks", logliks},
                      {"tokens", counts_json(tokens)},
                      {"ttft_s", ttft_s},
                      {"total_s", total_s}};
  // Only when present: the built-in and validation backends' samples stay as they were.
  if (!reasoning.empty()) j["reasoning"] = reasoning;
  if (!finish_reasons.empty()) j["finish_reasons"] = finish_reasons;
  if (!itl_s.empty()) j["itl_s"] = itl_s;
  if (thinking_s > 0) j["thinking_s"] = thinking_s;
  if (retries > 0) j["retries"] = retries;
  if (truncated_prompt_tokens > 0) j["truncated_prompt_tokens"] = truncated_prompt_tokens;
  if (usage_missing) j["usage_missing"] = true;
  if (recorded_tokens) j["recorded_tokens"] = counts_json(*recorded_tokens);
  if (hidden_reasoning > 0) j["hidden_reasoning"] = hidden_reasoning;
  if (tokens.cache_write_prompt > 0) j["tokens"]["cache_write_prompt"] = tokens.cache_write_prompt;
  if (tokens.off_peak_prompt > 0 || tokens.off_peak_completion > 0) {
    j["tokens"]["off_peak"] = {{"prompt", tokens.off_peak_prompt},
                               {"cached_prompt", tokens.off_peak_cached_prompt},
                               {"completion", tokens.off_peak_completion}};
  }
  if (error) j["error"] = {{"type", error_type_name(error->type)}, {"message", error->message}};
  return j;
}

Response Response::from_json(const nlohmann::json& j) {
  Response r;
  r.texts = j.value("texts", std::vector<std::string>{});
  r.logliks = j.value("logliks", std::vector<double>{});
  if (j.contains("tokens")) {
    const auto& t = j["tokens"];
    r.tokens = counts_of(t);
    r.tokens.cache_write_prompt = t.value("cache_write_prompt", 0L);
    if (t.contains("off_peak") && t["off_peak"].is_object()) {
      const auto& o = t["off_peak"];
      r.tokens.off_peak_prompt = o.value("prompt", 0L);
      r.tokens.off_peak_cached_prompt = o.value("cached_prompt", 0L);
      r.tokens.off_peak_completion = o.value("completion", 0L);
    }
  }
  r.ttft_s = j.value("ttft_s", 0.0);
  r.thinking_s = j.value("thinking_s", 0.0);
  r.total_s = j.value("total_s", 0.0);
  r.reasoning = j.value("reasoning", std::vector<std::string>{});
  r.finish_reasons = j.value("finish_reasons", std::vector<std::string>{});
  r.itl_s = j.value("itl_s", std::vector<double>{});
  r.retries = j.value("retries", 0);
  r.truncated_prompt_tokens = j.value("truncated_prompt_tokens", 0L);
  r.usage_missing = j.value("usage_missing", false);
  r.hidden_reasoning = j.value("hidden_reasoning", 0L);
  if (j.contains("recorded_tokens") && j["recorded_tokens"].is_object()) {
    r.recorded_tokens = counts_of(j["recorded_tokens"]);
  }
  if (j.contains("error")) {
    r.error = ResponseError{error_type_parse(j["error"].value("type", ""), "response error"),
                            j["error"].value("message", "")};
  }
  return r;
}

Response response_append_samples(Response earlier, const Response& later) {
  Response out = later;
  if (!earlier.reasoning.empty() || !later.reasoning.empty()) {
    earlier.reasoning.resize(earlier.texts.size());
    out.reasoning.resize(later.texts.size());
    out.reasoning.insert(out.reasoning.begin(), earlier.reasoning.begin(), earlier.reasoning.end());
  }
  if (!earlier.finish_reasons.empty() || !later.finish_reasons.empty()) {
    earlier.finish_reasons.resize(earlier.texts.size());
    out.finish_reasons.insert(out.finish_reasons.begin(), earlier.finish_reasons.begin(),
                              earlier.finish_reasons.end());
  }
  out.texts.insert(out.texts.begin(), earlier.texts.begin(), earlier.texts.end());
  out.tokens += earlier.tokens;
  out.tokens_by_price += earlier.tokens_by_price;  // none from the cache: this run's calls only
  out.hidden_reasoning += earlier.hidden_reasoning;
  out.usage_missing |= earlier.usage_missing;
  return out;
}

nlohmann::json BackendInfo::to_json() const {
  nlohmann::json j = {{"id", id},
                      {"family", family},
                      {"capabilities",
                       {{"chat", chat},
                        {"completion", completion},
                        {"loglikelihood", loglikelihood},
                        {"streaming", streaming}}},
                      {"prices", prices},
                      {"details", details}};
  if (!published_as.empty()) j["published_as"] = published_as;
  // What answers depend on beyond the id (--backend-opt truncate=left, an API entry's endpoint or
  // generation overrides): merge refuses shards that differ in it.
  if (!cache_tag.empty()) j["cache_tag"] = cache_tag;
  return j;
}

std::vector<Response> Backend::run_streaming(const std::vector<Request>& batch,
                                             const ResponseSink& on_done) {
  std::vector<Response> out = run(batch);
  for (size_t i = 0; i < out.size() && i < batch.size(); ++i) on_done(i, out[i]);
  return out;
}

}  // namespace moebench
