// serve_parse_request and the prompt readers: OpenAI's parameters and their limits.
#include "backends/builtin/server_request.h"

namespace moebench {
namespace {

using json = nlohmann::json;

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
    const int top = present(body, "top_logprobs") && !body["top_logprobs"].is_number_integer()
                        ? -1
                        : serve_param<int>(body, "top_logprobs", 0);
    if (present(body, "top_logprobs") && !wanted)
      throw BadRequest{"'top_logprobs' needs 'logprobs': true", "top_logprobs"};
    if (top < 0 || top > kMaxChatTopLogprobs)
      throw BadRequest{"'top_logprobs' must be in [0, 20]", "top_logprobs"};
    if (wanted) r->logprobs = top;
    return;
  }
  r->echo = serve_param<bool>(body, "echo", false);
  if (present(body, "logprobs")) {
    // NOTE: a bool converts to an int in nlohmann::json; OpenAI takes only a count here.
    const int n = body["logprobs"].is_number_integer() ? body["logprobs"].get<int>() : -1;
    if (n < 0 || n > kMaxCompletionLogprobs)
      throw BadRequest{"'logprobs' must be an integer in [0, 5]", "logprobs"};
    r->logprobs = n;
  }
}

}  // namespace

ServeRequest serve_parse_request(const json& body, bool chat) {
  ServeRequest r;
  SamplingParams& s = r.gen.sampling;
  s.temperature = serve_param<double>(body, "temperature", 1.0);
  s.top_p = serve_param<double>(body, "top_p", 1.0);
  s.top_k = serve_param<int>(body, "top_k", 0);
  s.seed = serve_param<uint64_t>(body, "seed", 0);
  if (s.temperature < 0 || s.temperature > 2)
    throw BadRequest{"'temperature' must be in [0, 2]", "temperature"};
  if (s.top_p <= 0 || s.top_p > 1) throw BadRequest{"'top_p' must be in (0, 1]", "top_p"};
  parse_logprobs(body, chat, &r);
  // Chat generates until the context is full by default, Completions 16 tokens (OpenAI's).
  const int max_tokens = serve_param<int>(
      body, "max_completion_tokens", serve_param<int>(body, "max_tokens", chat ? 1 << 30 : 16));
  // NOTE: OpenAI allows max_tokens 0 with echo: the prompt's logprobs and no generation.
  if (max_tokens < (r.echo ? 0 : 1))
    throw BadRequest{r.echo ? "'max_tokens' must be at least 0" : "'max_tokens' must be at least 1",
                     "max_tokens"};
  r.gen.max_tokens = max_tokens;
  parse_stop(body, &r.gen);
  r.n = serve_param<int>(body, "n", 1);
  if (r.n < 1 || r.n > 16) throw BadRequest{"'n' must be in [1, 16]", "n"};
  r.stream = serve_param<bool>(body, "stream", false);
  if (present(body, "stream_options") && body["stream_options"].is_object()) {
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
        if (part.value("type", "") != "text")
          throw BadRequest{"only text content parts are supported", "messages"};
        msg.content += part.value("text", "");
      }
    } else {
      throw BadRequest{"message content must be a string or text parts", "messages"};
    }
    out.push_back(std::move(msg));
  }
  return out;
}

namespace {

std::vector<int> token_ids(const json& ids, int vocab) {
  std::vector<int> out;
  for (const json& x : ids) {
    const int id = x.is_number_integer() ? x.get<int>() : -1;
    if (id < 0 || id >= vocab)
      throw BadRequest{"'prompt' holds a token id outside the vocabulary", "prompt"};
    out.push_back(id);
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
