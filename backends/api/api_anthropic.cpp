// AnthropicWire: Messages request bodies, whole responses and the streaming event sequence.
#include "backends/api/api_anthropic.h"

#include <algorithm>

#include "common/error.h"

namespace moebench {

using nlohmann::json;

namespace {

const std::string& str(const json& obj, const char* key, const char* what) {
  const json* v = api_field(obj, key);
  if (!v || !v->is_string()) {
    throw ApiFormatError(ErrorType::protocol,
                         std::string(what) + " without a string '" + key + "'");
  }
  return v->get_ref<const std::string&>();
}

bool blank(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isspace(c); });
}

[[noreturn]] void throw_error_object(const json& e) {
  const json* m = api_field(e, "message");
  const std::string type =
      api_field(e, "type") && e["type"].is_string() ? e["type"].get<std::string>() : "error";
  const std::string msg = type + ": " + (m && m->is_string() ? m->get<std::string>() : e.dump());
  if (type == "rate_limit_error") throw ApiFormatError(ErrorType::rate_limit, msg, 429);
  if (type == "overloaded_error") throw ApiFormatError(ErrorType::http, msg, 529);
  throw ApiFormatError(ErrorType::http, msg, type == "api_error" ? 500 : 400);
}

// stop_reason in OpenAI's words, as Response::finish_reasons records it: max_tokens is "length",
// refusal "content_filter", end_turn and stop_sequence "stop"; any other as Anthropic says it.
std::string finish_reason_of(const json& obj) {
  const json* s = api_field(obj, "stop_reason");
  if (!s || !s->is_string()) return "";
  const std::string& r = s->get_ref<const std::string&>();
  if (r == "max_tokens") return "length";
  if (r == "refusal") return "content_filter";
  if (r == "end_turn" || r == "stop_sequence") return "stop";
  return r;
}

// Streaming state: blocks by index; text and thinking kept apart.
class AnthropicStream : public ApiStream {
 public:
  bool on_event(const std::string& data) override {
    json j = json::parse(data, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      throw ApiFormatError(ErrorType::protocol,
                           "a stream event is not a JSON object: " + data.substr(0, 200));
    }
    const std::string& type = str(j, "type", "a stream event");
    if (done_) return false;
    if (type == "error") throw_error_object(api_field(j, "error") ? j["error"] : j);
    if (type == "message_start") {
      if (const json* m = api_field(j, "message")) {
        if (const json* u = api_field(*m, "usage")) merge_usage(*u);
      }
    } else if (type == "content_block_start") {
      const json* b = api_field(j, "content_block");
      if (!b)
        throw ApiFormatError(ErrorType::protocol, "content_block_start without content_block");
      const std::string& bt = str(*b, "type", "a content block");
      bool text = false;
      if (bt == "text") text = api_append(*b, "text", &text_);
      if (bt == "thinking") text = api_append(*b, "thinking", &thinking_);
      return counted(text);
    } else if (type == "content_block_delta") {
      const json* d = api_field(j, "delta");
      if (!d) throw ApiFormatError(ErrorType::protocol, "content_block_delta without delta");
      const std::string& dt = str(*d, "type", "a delta");
      if (dt == "text_delta") return counted(api_append(*d, "text", &text_));
      if (dt == "thinking_delta") return counted(api_append(*d, "thinking", &thinking_));
    } else if (type == "message_delta") {
      if (const json* u = api_field(j, "usage")) merge_usage(*u);
      if (const json* d = api_field(j, "delta")) finish_ = finish_reason_of(*d);
    } else if (type == "message_stop") {
      done_ = true;
    }
    // ping, content_block_stop, signature deltas and unknown event types carry no text.
    return false;
  }

  ApiReply finish() override {
    if (!done_)
      throw ApiFormatError(ErrorType::protocol, "the stream ended without a message_stop event");
    ApiReply r;
    r.texts = {text_};
    if (!thinking_.empty()) r.reasoning = {thinking_};
    if (!finish_.empty()) r.finish_reasons = {finish_};
    r.tokens = anthropic_usage(usage_);
    r.tokens.reasoning_unknown = !thinking_.empty();  // Anthropic counts no thinking apart
    r.usage = !usage_.empty();
    return r;
  }

  // message_start reports the input and a placeholder output count; the final output count comes
  // with message_delta, near the end: until then the text chunks are the better output count.
  TokenCounts tokens_seen(bool* usage) const override {
    *usage = !usage_.empty();
    TokenCounts t = anthropic_usage(usage_);
    t.completion = std::max(t.completion, chunks_);
    return t;
  }

 private:
  bool counted(bool text) {
    chunks_ += text;
    return text;
  }
  // message_start holds the input counts, message_delta the final output count.
  void merge_usage(const json& u) {
    if (!u.is_object()) return;
    for (const auto& [k, v] : u.items()) {
      if (v.is_number()) usage_[k] = v;
    }
  }
  std::string text_, thinking_, finish_;
  json usage_ = json::object();
  bool done_ = false;
  long chunks_ = 0;  // events that carried text or thinking
};

}  // namespace

TokenCounts anthropic_usage(const json& u) {
  TokenCounts t;
  t.cached_prompt = api_count(u, "cache_read_input_tokens");
  t.cache_write_prompt = api_count(u, "cache_creation_input_tokens");
  t.prompt = api_count(u, "input_tokens") + t.cached_prompt + t.cache_write_prompt;
  t.completion = api_count(u, "output_tokens");
  return t;
}

ApiCall AnthropicWire::generate_call(const Request& r, int n, int /*sample*/) const {
  if (n != 1)
    throw InputError("api:" + model_.name + ": the Messages API returns one answer per call");
  ApiCall call;
  call.path = "/messages";
  call.stream = model_.api.stream;
  json& b = call.body;
  b["model"] = model_.model;
  std::string system;
  json messages = json::array();
  for (const ChatMessage& m : r.messages) {
    if (m.role == "system") {
      system += (system.empty() ? "" : "\n\n") + m.content;
    } else {
      messages.push_back({{"role", m.role}, {"content", m.content}});
    }
  }
  if (r.messages.empty()) messages.push_back({{"role", "user"}, {"content", r.prompt}});
  if (!system.empty()) b["system"] = system;
  b["messages"] = messages;
  b["max_tokens"] = api_max_tokens(model_, r);  // the thinking budget on top of the answer's
  auto sends = [&](const char* p) {
    return std::find(model_.api.omit.begin(), model_.api.omit.end(), p) == model_.api.omit.end();
  };
  // Extended thinking: budget_tokens of max_tokens go to thinking. The API wants at least 1024
  // and takes no temperature or top_p beside it (the model samples at its default, T = 1).
  const int budget = model_.generation.thinking_budget.value_or(r.generation.thinking_budget);
  if (budget > 0) {
    if (budget < kAnthropicMinThinkingBudget) {
      throw InputError("api:" + model_.name + ": Anthropic's extended thinking needs " +
                       "thinking_budget >= " + std::to_string(kAnthropicMinThinkingBudget) +
                       " (got " + std::to_string(budget) + ")");
    }
    b["thinking"] = {{"type", "enabled"}, {"budget_tokens", budget}};
  } else if (sends("temperature")) {
    b["temperature"] = std::min(1.0, api_temperature(model_, r));
  }
  // NOTE: newer Claude models reject temperature and top_p together; top_p only when asked.
  if (budget == 0 && sends("top_p") && api_top_p(model_, r) != 1.0 && !sends("temperature")) {
    b["top_p"] = api_top_p(model_, r);
  }
  if (sends("stop")) {
    // Whitespace-only sequences are refused by the API; the client cuts at them instead.
    json stops = json::array();
    for (const std::string& s : r.generation.stop) {
      if (!s.empty() && !blank(s)) stops.push_back(s);
    }
    if (!stops.empty()) b["stop_sequences"] = stops;
  }
  if (call.stream) b["stream"] = true;
  return call;
}

ApiCall AnthropicWire::loglik_call(const Request&) const {
  throw InputError("api:" + model_.name +
                   ": the Messages API gives no prompt log-probabilities (choice suites are "
                   "scored by the generated letter)");
}

std::vector<std::pair<std::string, std::string>> AnthropicWire::headers(
    const std::string& key) const {
  std::vector<std::pair<std::string, std::string>> h = {{"anthropic-version", kAnthropicVersion}};
  if (!key.empty()) h.emplace_back("x-api-key", key);
  return h;
}

ApiReply AnthropicWire::parse(const json& body, const ApiCall&) const {
  if (!body.is_object())
    throw ApiFormatError(ErrorType::protocol, "the response is not a JSON object");
  if (const json* t = api_field(body, "type"); t && t->is_string() && *t == "error") {
    throw_error_object(api_field(body, "error") ? body["error"] : body);
  }
  const json* content = api_field(body, "content");
  if (!content || !content->is_array()) {
    throw ApiFormatError(ErrorType::protocol, "the response has no 'content' array");
  }
  std::string text, thinking;
  for (const json& block : *content) {
    const std::string& type = str(block, "type", "a content block");
    if (type == "text") text += str(block, "text", "a text block");
    if (type == "thinking") thinking += str(block, "thinking", "a thinking block");
  }
  ApiReply r;
  r.texts = {text};
  if (!thinking.empty()) r.reasoning = {thinking};
  if (std::string f = finish_reason_of(body); !f.empty()) r.finish_reasons = {f};
  if (const json* u = api_field(body, "usage"); u && u->is_object()) {
    r.tokens = anthropic_usage(*u);
    r.usage = true;
  }
  r.tokens.reasoning_unknown = !thinking.empty();  // Anthropic counts no thinking apart
  return r;
}

std::unique_ptr<ApiStream> AnthropicWire::stream(const ApiCall&) const {
  return std::make_unique<AnthropicStream>();
}

std::string AnthropicWire::error_message(const std::string& body) const {
  json j = json::parse(body, nullptr, false);
  if (const json* e = api_field(j, "error")) {
    const json* m = api_field(*e, "message");
    const json* t = api_field(*e, "type");
    if (m && m->is_string()) {
      return (t && t->is_string() ? t->get<std::string>() + ": " : "") + m->get<std::string>();
    }
  }
  return body.substr(0, 300);
}

}  // namespace moebench
