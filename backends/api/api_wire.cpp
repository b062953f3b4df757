// The helpers every wire format shares and the choice of format.
#include "backends/api/api_wire.h"

#include <cmath>

#include "backends/api/api_anthropic.h"
#include "backends/api/api_openai.h"
#include "common/thinking.h"

namespace moebench {

std::unique_ptr<ApiWire> api_wire_create(const ModelEntry& model) {
  if (model.provider == "anthropic") return std::make_unique<AnthropicWire>(model);
  return std::make_unique<OpenAiWire>(model);
}

int api_max_tokens(const ModelEntry& model, const Request& r) {
  return model.generation.max_tokens.value_or(r.generation.max_tokens) +
         model.generation.thinking_budget.value_or(r.generation.thinking_budget);
}

double api_temperature(const ModelEntry& model, const Request& r) {
  return model.generation.temperature.value_or(r.generation.temperature);
}

double api_top_p(const ModelEntry& model, const Request& r) {
  return model.generation.top_p.value_or(r.generation.top_p);
}

std::string api_cut_at_stop(const std::string& text, const std::vector<std::string>& stops) {
  // Stop strings never fire inside inline thinking. They stand in for the server's, so the first
  // one outside it cuts, whatever follows (thinking_template_end); what is left is split by the
  // one rule when scored.
  for (size_t from = thinking_template_end(text); from < text.size();) {
    const size_t reopen = text.find(kThinkOpen, from);
    const size_t end = reopen == std::string::npos ? text.size() : reopen;
    size_t cut = std::string::npos;
    for (const std::string& s : stops) {
      if (s.empty()) continue;
      const size_t at = text.find(s, from);
      if (at != std::string::npos && at + s.size() <= end) cut = std::min(cut, at);
    }
    if (cut != std::string::npos) return text.substr(0, cut);
    if (reopen == std::string::npos) break;
    from = thinking_span_end(text, reopen);
  }
  return text;
}

long api_hidden_reasoning(const ApiReply& reply) {
  if (!reply.usage || !reply.reasoning.empty()) return 0;
  for (const std::string& t : reply.texts)
    if (t.find("think>") != std::string::npos) return 0;  // <think> or </think>: thought inline
  return reply.tokens.reasoning;
}

void api_settle_reasoning(ApiReply* reply) {
  if (reply->reasoning_counted) return;
  bool thought = false;
  for (const std::string& r : reply->reasoning) thought |= !r.empty();
  for (const std::string& t : reply->texts) thought |= thinking_split(t).has_thinking;
  if (thought) reply->tokens.reasoning_unknown = true;
}

size_t api_code_points(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

const nlohmann::json* api_field(const nlohmann::json& obj, const char* key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  return it == obj.end() || it->is_null() ? nullptr : &*it;
}

long api_count(const nlohmann::json& obj, const char* key) {
  const nlohmann::json* v = api_field(obj, key);
  if (!v || !v->is_number()) return 0;
  if (v->is_number_float()) {
    // NOTE: converting a double beyond a long (1e300) is undefined behavior; no server counts
    // that many tokens, so such a count is taken as no count.
    const double d = v->get<double>();
    return std::fabs(d) < 9e18 ? static_cast<long>(d) : 0;
  }
  return v->get<long>();
}

bool api_append(const nlohmann::json& obj, const char* key, std::string* out) {
  const nlohmann::json* v = api_field(obj, key);
  if (!v) return false;
  if (!v->is_string()) {
    throw ApiFormatError(ErrorType::protocol, std::string("'") + key + "' is not a string");
  }
  const std::string& s = v->get_ref<const std::string&>();
  out->append(s);
  return !s.empty();
}

}  // namespace moebench
