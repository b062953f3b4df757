// serve_parse_request and the prompt readers: OpenAI's parameters and their limits.
#include "backends/builtin/serve/server_request.h"

#include <cmath>
#include <random>
#include <set>

namespace moebench {
namespace {

using json = nlohmann::json;

// The parameters serve reads; any other is refused as OpenAI refuses one it does not know.
const std::set<std::string>& known_parameters(bool chat) {
  static const std::set<std::string> kCommon = {"model",
                                                "temperature",
                                                "top_p",
                                                "top_k",
                                                "seed",
                                                "max_tokens",
                                                "stop",
                                                "n",
                                                "stream",
                                                "stream_options",
                                                "logprobs",
                                                "user",
                                                "ignore_eos",
                                                "frequency_penalty",
                                                "presence_penalty",
                                                "logit_bias"};
  static const std::set<std::string> kChat = [] {
    std::set<std::string> s = kCommon;
    s.insert({"messages", "max_completion_tokens", "top_logprobs"});
    return s;
  }();
  static const std::set<std::string> kCompletions = [] {
    std::set<std::string> s = kCommon;
    s.insert({"prompt", "echo"});
    return s;
  }();
  return chat ? kChat : kCompletions;
}

// An integer parameter in [lo, hi], `fallback` when absent or null. A fraction, a string or a
// value out of range is BadRequest naming it (a JSON 1e10 must not wrap into an int).
long integer_param(const json& body, const char* key, long fallback, long lo, long hi) {
  if (!body.contains(key) || body[key].is_null()) return fallback;
  const json& v = body[key];
  const std::string range = "[" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
  // NOTE: nlohmann stores a non-negative integer as unsigned; one above LONG_MAX is out of range.
  const bool integer = v.is_number_integer() &&
                       (!v.is_number_unsigned() || v.get<uint64_t>() <= static_cast<uint64_t>(hi));
  const long x = integer ? v.get<long>() : 0;
  if (!integer || x < lo || x > hi)
    throw BadRequest{std::string("'") + key + "' must be an integer in " + range, key};
  return x;
}

// A number parameter in [lo, hi].
double number_param(const json& body, const char* key, double fallback, double lo, double hi,
                    const char* range) {
  if (!body.contains(key) || body[key].is_null()) return fallback;
  const json& v = body[key];
  const double x = v.is_number() ? v.get<double>() : NAN;
  if (!(x >= lo && x <= hi))
    throw BadRequest{std::string("'") + key + "' must be a number in " + range, key};
  return x;
}

// OpenAI's limits: Completions' logprobs up to 5, Chat's top_logprobs up to 20.
constexpr int kMaxCompletionLogprobs = 5;
constexpr int kMaxChatTopLogprobs = 20;

bool present(const json& body, const char* key) {
  return body.contains(key) && !body[key].is_null();
}

void parse_stop(const json& body, GenerateRequest* gen) {
  if (!present(body, "stop")) return;
  const json& s = body["stop"];
  if (s.is_string()) {
    gen->stop.push_back(s.get<std::string>());
  } else if (s.is_array() && s.size() <= 4) {
    for (const json& x : s) {
      if (!x.is_string()) throw BadRequest{"'stop' must hold strings", "stop"};
      gen->stop.push_back(x.get<std::string>());
    }
  } else {
    throw BadRequest{"'stop' must be a string or up to 4 strings", "stop"};
  }
}

// echo and logprobs (Completions), logprobs and top_logprobs (Chat).
void parse_logprobs(const json& body, bool chat, ServeRequest* r) {
  if (chat) {
    if (present(body, "echo")) throw BadRequest{"'echo' is a Completions parameter", "echo"};
    const bool wanted = serve_param<bool>(body, "logprobs", false);
    const int top =
        static_cast<int>(integer_param(body, "top_logprobs", 0, 0, kMaxChatTopLogprobs));
    if (present(body, "top_logprobs") && !wanted)
      throw BadRequest{"'top_logprobs' needs 'logprobs': true", "top_logprobs"};
    if (wanted) r->logprobs = top;
    return;
  }
  r->echo = serve_param<bool>(body, "echo", false);
  // NOTE: a bool is not an integer here; OpenAI takes only a count.
  if (present(body, "logprobs"))
    r->logprobs = static_cast<int>(integer_param(body, "logprobs", 0, 0, kMaxCompletionLogprobs));
}

// The seed of a request without one: fresh randomness, as OpenAI and vLLM sample then (a fixed
// default made every repeat of a request the same sample).
uint64_t fresh_seed() {
  thread_local std::mt19937_64 gen([] {
    std::random_device device;
    return (uint64_t{device()} << 32) ^ device();
  }());
  return gen();
}

}  // namespace

ServeRequest serve_parse_request(const json& body, bool chat) {
  for (const auto& [key, value] : body.items()) {
    if (!known_parameters(chat).count(key))
      throw BadRequest{"Unrecognized request argument supplied: " + key, key};
  }
  // Sampling penalties and logit biases are not implemented: only their no-op values pass.
  for (const char* key : {"frequency_penalty", "presence_penalty"}) {
    if (number_param(body, key, 0, -2, 2, "[-2, 2]") != 0)
      throw BadRequest{std::string("'") + key + "' is not supported (only 0)", key};
  }
  if (present(body, "logit_bias") &&
      !(body["logit_bias"].is_object() && body["logit_bias"].empty()))
    throw BadRequest{"'logit_bias' is not supported", "logit_bias"};
  serve_param<std::string>(body, "user", "");
  ServeRequest r;
  SamplingParams& s = r.gen.sampling;
  s.temperature = number_param(body, "temperature", 1.0, 0, 2, "[0, 2]");
  s.top_p = number_param(body, "top_p", 1.0, 0, 1, "(0, 1]");
  if (s.top_p == 0) throw BadRequest{"'top_p' must be a number in (0, 1]", "top_p"};
  // vLLM's top_k: -1 or 0 turn it off.
  s.top_k = static_cast<int>(std::max(0L, integer_param(body, "top_k", 0, -1, 1L << 30)));
  // NOTE: OpenAI's seed is a signed 64-bit integer; its bits seed the sampler.
  if (present(body, "seed") && !body["seed"].is_number_integer())
    throw BadRequest{"'seed' must be an integer", "seed"};
  s.seed = present(body, "seed") ? body["seed"].get<uint64_t>() : fresh_seed();
  parse_logprobs(body, chat, &r);
  // Chat generates until the context is full by default, Completions 16 tokens (OpenAI's);
  // serve_check_context refuses an explicit limit the context cannot hold.
  const char* limit_key =
      present(body, "max_completion_tokens") ? "max_completion_tokens" : "max_tokens";
  r.limit_key = limit_key;
  r.max_tokens_given = present(body, limit_key);
  // NOTE: OpenAI allows max_tokens 0 with echo: the prompt's logprobs and no generation.
  r.gen.max_tokens = static_cast<int>(
      integer_param(body, limit_key, chat ? kMaxTokensUnset : 16, r.echo ? 0 : 1, 1L << 30));
  parse_stop(body, &r.gen);
  r.gen.ignore_eos = serve_param<bool>(body, "ignore_eos", false);
  r.n = static_cast<int>(integer_param(body, "n", 1, 1, 16));
  r.stream = serve_param<bool>(body, "stream", false);
  if (present(body, "stream_options")) {
    if (!body["stream_options"].is_object())
      throw BadRequest{"'stream_options' must be an object", "stream_options"};
    r.include_usage = serve_param<bool>(body["stream_options"], "include_usage", false);
  }
  if (r.stream && r.echo) throw BadRequest{"'echo' is not supported with 'stream'", "echo"};
  if (r.stream && r.logprobs)
    throw BadRequest{"'logprobs' is not supported with 'stream'", "logprobs"};
  return r;
}

std::vector<ChatMessage> serve_parse_messages(const json& body) {
  if (!body.contains("messages") || !body["messages"].is_array() || body["messages"].empty())
    throw BadRequest{"'messages' must be a non-empty array", "messages"};
  std::vector<ChatMessage> out;
  for (const json& m : body["messages"]) {
    if (!m.is_object()) throw BadRequest{"each message must be an object", "messages"};
    ChatMessage msg;
    msg.role = serve_param<std::string>(m, "role", "");
    if (msg.role != "system" && msg.role != "user" && msg.role != "assistant" &&
        msg.role != "developer")
      throw BadRequest{"message role '" + msg.role + "' is not supported", "messages"};
    if (msg.role == "developer") msg.role = "system";
    const json& c = m.value("content", json(nullptr));
    if (c.is_string()) {
      msg.content = c.get<std::string>();
    } else if (c.is_array()) {  // [{type: text, text}] parts
      for (const json& part : c) {
        if (!part.is_object() || serve_param<std::string>(part, "type", "") != "text" ||
            !part.contains("text") || !part["text"].is_string())
          throw BadRequest{"only text content parts {type: text, text: string} are supported",
                           "messages"};
        msg.content += part["text"].get<std::string>();
      }
    } else {
      throw BadRequest{"message content must be a string or text parts", "messages"};
    }
    out.push_back(std::move(msg));
  }
  return out;
}

namespace {

// A prompt of token ids: each an integer in the vocabulary, compared as the JSON's own integer
// (an id past int's range must not wrap into it).
std::vector<int> token_ids(const json& ids, int vocab) {
  std::vector<int> out;
  for (const json& x : ids) {
    if (!x.is_number_integer()) {
      std::string got = x.dump();
      if (got.size() > 40) got = got.substr(0, 40) + "...";
      throw BadRequest{"each token id in 'prompt' must be an integer, got " + got, "prompt"};
    }
    const bool known = x.is_number_unsigned() ? x.get<uint64_t>() < static_cast<uint64_t>(vocab)
                                              : x.get<int64_t>() >= 0 && x.get<int64_t>() < vocab;
    if (!known) {
      throw BadRequest{"'prompt' holds token id " + x.dump() + ", outside the vocabulary (0.." +
                           std::to_string(vocab - 1) + ")",
                       "prompt"};
    }
    out.push_back(x.get<int>());
  }
  return out;
}

}  // namespace

std::vector<std::vector<int>> serve_parse_prompts(const json& body, const BuiltinModel& model) {
  if (!body.contains("prompt")) throw BadRequest{"'prompt' is required", "prompt"};
  const json& pr = body["prompt"];
  const int vocab = model.config().vocab_size;
  std::vector<std::vector<int>> out;
  if (pr.is_string()) {
    out.push_back(model.encode_text(pr.get<std::string>(), false));
  } else if (pr.is_array() && !pr.empty() && pr[0].is_number_integer()) {
    out.push_back(token_ids(pr, vocab));
  } else if (pr.is_array() && !pr.empty()) {
    for (const json& x : pr) {
      if (x.is_string()) {
        out.push_back(model.encode_text(x.get<std::string>(), false));
      } else if (x.is_array()) {
        out.push_back(token_ids(x, vocab));
      } else {
        throw BadRequest{"'prompt' must hold strings or arrays of token ids", "prompt"};
      }
    }
  } else {
    throw BadRequest{"'prompt' must be a string, strings, token ids or arrays of them", "prompt"};
  }
  for (const std::vector<int>& ids : out) {
    if (ids.empty()) throw BadRequest{"'prompt' holds an empty prompt", "prompt"};
  }
  return out;
}

}  // namespace moebench
