// OpenAiWire: request bodies, whole responses, the SSE chunk stream, usage and echo logprobs.
#include "backends/api/api_openai.h"

#include <algorithm>
#include <limits>

#include "common/error.h"

namespace moebench {

using nlohmann::json;

namespace {

// OpenAI accepts at most 4 stop sequences (DeepSeek's API is taken to be as strict); the client
// cuts at the rest (api_cut_at_stop). An openai-compatible server (vLLM, SGLang, llama.cpp
// server, Ollama) takes any number, so it gets them all and stops where the client would cut.
constexpr size_t kMaxStops = 4;

size_t max_stops(const ModelEntry& m) {
  return m.provider == "openai-compatible" ? std::numeric_limits<size_t>::max() : kMaxStops;
}

size_t choice_index(const json& c, size_t n) {
  const json* i = api_field(c, "index");
  if (i && (!i->is_number_integer() || i->get<long>() < 0)) {
    throw ApiFormatError(ErrorType::protocol, "a choice index is not a non-negative integer");
  }
  const size_t idx = i ? i->get<size_t>() : 0;
  if (idx >= n) {
    throw ApiFormatError(ErrorType::protocol, "choice index " + std::to_string(idx) + " but " +
                                                  std::to_string(n) + " choice(s) were asked for");
  }
  return idx;
}

// A JSON object, or ApiFormatError naming what arrived instead.
const json& choices_of(const json& body) {
  if (const json* e = api_field(body, "error")) {
    const json* m = api_field(*e, "message");
    throw ApiFormatError(
        ErrorType::http,
        "error in a 200 response: " + (m && m->is_string() ? m->get<std::string>() : e->dump()),
        500);
  }
  const json* c = api_field(body, "choices");
  if (!c || !c->is_array())
    throw ApiFormatError(ErrorType::protocol, "the response has no 'choices' array");
  return *c;
}

// A choice's finish_reason ("stop", "length", "content_filter", ...), when it has one.
void read_finish_reason(const json& choice, std::string* out) {
  const json* f = api_field(choice, "finish_reason");
  if (f && f->is_string()) *out = f->get<std::string>();
}

class OpenAiStream : public ApiStream {
 public:
  OpenAiStream(bool chat, int n)
      : chat_(chat), texts_(n), reasoning_(n), finish_(n), seen_(n, false) {}

  bool on_event(const std::string& data) override {
    if (done_) return false;
    if (data == "[DONE]") {
      done_ = true;
      return false;
    }
    json j = json::parse(data, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      throw ApiFormatError(ErrorType::protocol,
                           "a stream event is not a JSON object: " + data.substr(0, 200));
    }
    if (const json* u = api_field(j, "usage"); u && u->is_object()) {
      tokens_ = openai_usage(*u, &reasoning_counted_);
      usage_ = true;
    }
    if (api_field(j, "error")) choices_of(j);  // throws with the server's message
    const json* choices = api_field(j, "choices");
    if (!choices) return false;
    if (!choices->is_array())
      throw ApiFormatError(ErrorType::protocol, "'choices' is not an array");
    bool text = false;
    for (const json& c : *choices) {
      size_t i = choice_index(c, texts_.size());
      seen_[i] = true;
      read_finish_reason(c, &finish_[i]);
      if (chat_) {
        const json* d = api_field(c, "delta");
        if (!d) continue;
        text |= api_append(*d, "content", &texts_[i]);
        text |= api_append(*d, "reasoning_content", &reasoning_[i]);
        text |= api_append(*d, "reasoning", &reasoning_[i]);
      } else {
        text |= api_append(c, "text", &texts_[i]);
      }
    }
    chunks_ += text;
    return text;
  }

  ApiReply finish() override {
    if (!done_)
      throw ApiFormatError(ErrorType::protocol, "the stream ended without 'data: [DONE]'");
    // A server that ignores n streams fewer choices; the missing ones are no samples.
    if (const long got = std::count(seen_.begin(), seen_.end(), true);
        got != static_cast<long>(seen_.size())) {
      throw ApiFormatError(ErrorType::protocol, "the stream carried " + std::to_string(got) +
                                                    " of the " + std::to_string(seen_.size()) +
                                                    " choices asked for");
    }
    ApiReply r;
    r.texts = std::move(texts_);
    if (std::any_of(reasoning_.begin(), reasoning_.end(), [](auto& s) { return !s.empty(); })) {
      r.reasoning = std::move(reasoning_);
    }
    if (std::any_of(finish_.begin(), finish_.end(), [](auto& s) { return !s.empty(); })) {
      r.finish_reasons = std::move(finish_);
    }
    r.usage = usage_;
    r.tokens = tokens_;
    r.reasoning_counted = reasoning_counted_;
    // NOTE: without a usage chunk (servers ignoring stream_options) the completion count is the
    // number of text chunks, a lower bound where a chunk carries several tokens, and the prompt
    // stays uncounted. vLLM's benchmark re-tokenizes the generated text instead, as `moebench
    // loadgen --tokenizer` does; ApiReply::usage tells the two apart.
    if (!usage_) r.tokens.completion = chunks_;
    api_settle_reasoning(&r);
    return r;
  }

  TokenCounts tokens_seen(bool* usage) const override {
    *usage = usage_;
    if (usage_) return tokens_;
    TokenCounts t;
    t.completion = chunks_;
    return t;
  }

 private:
  bool chat_;
  std::vector<std::string> texts_, reasoning_, finish_;
  std::vector<bool> seen_;  // choice indices that arrived
  TokenCounts tokens_;
  bool usage_ = false, done_ = false, reasoning_counted_ = false;
  long chunks_ = 0;
};

}  // namespace

TokenCounts openai_usage(const json& u, bool* reasoning_counted) {
  TokenCounts t;
  t.prompt = api_count(u, "prompt_tokens");
  t.completion = api_count(u, "completion_tokens");
  // OpenAI reports cache hits in prompt_tokens_details, DeepSeek in prompt_cache_hit_tokens.
  if (const json* d = api_field(u, "prompt_tokens_details"))
    t.cached_prompt = api_count(*d, "cached_tokens");
  if (api_field(u, "prompt_cache_hit_tokens"))
    t.cached_prompt = api_count(u, "prompt_cache_hit_tokens");
  const json* d = api_field(u, "completion_tokens_details");
  if (d) t.reasoning = api_count(*d, "reasoning_tokens");
  if (reasoning_counted) *reasoning_counted = d && api_field(*d, "reasoning_tokens");
  return t;
}

double openai_span_loglik(const json& lp, std::pair<size_t, size_t> span) {
  const json* tokens = api_field(lp, "tokens");
  const json* values = api_field(lp, "token_logprobs");
  const json* offsets = api_field(lp, "text_offset");
  if (!tokens || !values || !offsets || !values->is_array() || !offsets->is_array() ||
      values->size() != offsets->size()) {
    throw ApiFormatError(ErrorType::protocol,
                         "logprobs without matching token_logprobs and text_offset arrays (does "
                         "the server support echo with logprobs?)");
  }
  // NOTE: non-negative integers only: get<size_t>() of a negative or huge float is undefined.
  auto offset_ok = [&](size_t k) {
    const json& o = (*offsets)[k];
    return o.is_number_integer() && (o.is_number_unsigned() || o.get<long>() >= 0);
  };
  double sum = 0;
  size_t used = 0;
  for (size_t i = 0; i < values->size(); ++i) {
    if (!offset_ok(i))
      throw ApiFormatError(ErrorType::protocol, "text_offset is not a non-negative integer");
    size_t start = (*offsets)[i].get<size_t>();
    size_t end = i + 1 < offsets->size() && offset_ok(i + 1) ? (*offsets)[i + 1].get<size_t>()
                                                             : static_cast<size_t>(-1);
    // A token belongs to the continuation when any of it lies inside the span; the generated
    // token (max_tokens 1) starts at the prompt's end and is left out. A token of no text (the
    // first bytes of a character the next token completes, as moebench serve and vLLM give them)
    // belongs with that character.
    if (std::max(end, start + 1) <= span.first || start >= span.second) continue;
    if (!(*values)[i].is_number()) {
      throw ApiFormatError(ErrorType::protocol, "no log-probability for prompt token " +
                                                    std::to_string(i) +
                                                    " (a continuation needs context before it)");
    }
    sum += (*values)[i].get<double>();
    ++used;
  }
  if (used == 0)
    throw ApiFormatError(ErrorType::protocol, "no echoed token covers the continuation");
  return sum;
}

bool OpenAiWire::sends(const char* param) const {
  return std::find(model_.api.omit.begin(), model_.api.omit.end(), param) == model_.api.omit.end();
}

ApiCall OpenAiWire::generate_call(const Request& r, int n, int sample) const {
  ApiCall call;
  call.n = n;
  call.stream = model_.api.stream;
  json& b = call.body;
  b["model"] = model_.model;
  if (model_.api.endpoint == "chat") {
    call.path = "/chat/completions";
    b["messages"] = json::array();
    for (const ChatMessage& m : r.messages) {
      b["messages"].push_back({{"role", m.role}, {"content", m.content}});
    }
    if (r.messages.empty()) b["messages"].push_back({{"role", "user"}, {"content", r.prompt}});
  } else {
    if (r.prompt.empty() && !r.messages.empty()) {
      throw InputError("api:" + model_.name +
                       ": a chat request for a completions endpoint (set api.endpoint to chat)");
    }
    call.path = "/completions";
    b["prompt"] = r.prompt;
  }
  b[model_.api.max_tokens_field] = api_max_tokens(model_, r);
  if (sends("temperature")) b["temperature"] = api_temperature(model_, r);
  if (sends("top_p") && api_top_p(model_, r) != 1.0) b["top_p"] = api_top_p(model_, r);
  // NOTE: DeepSeek documents no seed; OpenAI-compatible servers take it for sampled suites. The
  // run's 64-bit seed is cut to 31 bits: vLLM wants an int64, llama.cpp a uint32.
  if (sends("seed") && model_.provider != "deepseek") {
    b["seed"] = (r.seed + static_cast<uint64_t>(sample)) & 0x7fffffffu;
  }
  if (sends("stop") && !r.generation.stop.empty()) {
    json stops = json::array();
    for (const std::string& s : r.generation.stop) {
      if (!s.empty() && stops.size() < max_stops(model_)) stops.push_back(s);
    }
    b["stop"] = stops;
  }
  if (n > 1) b["n"] = n;
  if (call.stream) {
    b["stream"] = true;
    if (sends("stream_options")) b["stream_options"] = {{"include_usage", true}};
  }
  return call;
}

ApiCall OpenAiWire::loglik_call(const Request& r) const {
  ApiCall call;
  call.path = "/completions";
  call.n = static_cast<int>(r.continuations.size());
  json prompts = json::array();
  const size_t context = api_code_points(r.prompt);
  for (const std::string& c : r.continuations) {
    prompts.push_back(r.prompt + c);
    call.spans.emplace_back(context, context + api_code_points(c));
  }
  // lm-evaluation-harness' local-completions payload: one generated token, the prompt echoed.
  call.body = {{"model", model_.model}, {"prompt", prompts}, {"max_tokens", 1},
               {"temperature", 0},      {"logprobs", 1},     {"echo", true}};
  return call;
}

std::vector<std::pair<std::string, std::string>> OpenAiWire::headers(const std::string& key) const {
  if (key.empty()) return {};
  return {{"Authorization", "Bearer " + key}};
}

ApiReply OpenAiWire::parse(const json& body, const ApiCall& call) const {
  const json& choices = choices_of(body);
  const bool chat = call.path == "/chat/completions";
  ApiReply r;
  r.texts.assign(call.n, "");
  std::vector<std::string> reasoning(call.n), finish(call.n);
  std::vector<bool> seen(call.n, false);
  if (!call.spans.empty()) r.logliks.assign(call.n, 0.0);
  for (const json& c : choices) {
    size_t i = choice_index(c, static_cast<size_t>(call.n));
    seen[i] = true;
    read_finish_reason(c, &finish[i]);
    if (!call.spans.empty()) {
      const json* lp = api_field(c, "logprobs");
      if (!lp) throw ApiFormatError(ErrorType::protocol, "a scoring choice has no logprobs");
      r.logliks[i] = openai_span_loglik(*lp, call.spans[i]);
    } else if (chat) {
      const json* m = api_field(c, "message");
      if (!m) throw ApiFormatError(ErrorType::protocol, "a choice has no 'message'");
      api_append(*m, "content", &r.texts[i]);
      api_append(*m, "reasoning_content", &reasoning[i]);
      api_append(*m, "reasoning", &reasoning[i]);
    } else {
      api_append(c, "text", &r.texts[i]);
    }
  }
  if (std::count(seen.begin(), seen.end(), true) != call.n) {
    throw ApiFormatError(ErrorType::protocol, std::to_string(choices.size()) +
                                                  " choice(s) for the " + std::to_string(call.n) +
                                                  " asked for");
  }
  if (std::any_of(reasoning.begin(), reasoning.end(), [](auto& s) { return !s.empty(); })) {
    r.reasoning = std::move(reasoning);
  }
  if (call.spans.empty() &&
      std::any_of(finish.begin(), finish.end(), [](auto& s) { return !s.empty(); })) {
    r.finish_reasons = std::move(finish);
  }
  if (const json* u = api_field(body, "usage"); u && u->is_object()) {
    r.tokens = openai_usage(*u, &r.reasoning_counted);
    r.usage = true;
  }
  api_settle_reasoning(&r);
  return r;
}

std::unique_ptr<ApiStream> OpenAiWire::stream(const ApiCall& call) const {
  return std::make_unique<OpenAiStream>(call.path == "/chat/completions", call.n);
}

std::string OpenAiWire::error_message(const std::string& body) const {
  json j = json::parse(body, nullptr, false);
  if (const json* e = api_field(j, "error")) {
    if (const json* m = api_field(*e, "message"); m && m->is_string()) return m->get<std::string>();
    if (e->is_string()) return e->get<std::string>();
  }
  return body.substr(0, 300);
}

}  // namespace moebench
