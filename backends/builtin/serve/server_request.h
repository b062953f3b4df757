// Reading `moebench serve`'s request bodies: the Chat Completions and legacy Completions
// parameters, checked, with BadRequest (HTTP 400) naming the parameter for anything else.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "backends/builtin/builtin_model.h"

namespace moebench {

// A client error: HTTP 400 with OpenAI's error body naming the parameter.
struct BadRequest {
  std::string message;
  std::string param;
};

// Chat's max_tokens when the request gives none: until the context is full.
constexpr int kMaxTokensUnset = 1 << 30;

// What one request asks for.
struct ServeRequest {
  GenerateRequest gen;                    // sampling, max_tokens (0 only with echo), stops
  std::vector<std::vector<int>> prompts;  // chat: one; completions: one or more, n choices each
  int n = 1;
  bool max_tokens_given = false;         // an explicit limit must fit the context beside the prompt
  std::string limit_key = "max_tokens";  // or "max_completion_tokens": the one the request gave
  bool stream = false;
  bool include_usage = false;
  bool echo = false;
  // Chat: the template opened the thinking (R1); stops then wait for its end, and the response
  // carries the thinking apart as reasoning_content. An inline "<think>" is split off too.
  bool starts_in_thinking =
      false;  // completions: the prompt's text (and its tokens' logprobs) come first
  // Alternatives per token when log-probabilities are asked for: Completions' `logprobs` (0..5),
  // Chat's `top_logprobs` (0..20) with `logprobs: true`.
  std::optional<int> logprobs;

  size_t choices() const { return prompts.size() * static_cast<size_t>(n); }
};

// Every parameter but the prompt (messages or prompt); an unknown one is refused as OpenAI does.
// Throws BadRequest.
ServeRequest serve_parse_request(const nlohmann::json& body, bool chat);
// Chat `messages`: text contents only; `developer` is taken as `system`.
std::vector<ChatMessage> serve_parse_messages(const nlohmann::json& body);
// Completions `prompt`: a string, strings, token ids or arrays of token ids, encoded by `model`
// without special tokens.
std::vector<std::vector<int>> serve_parse_prompts(const nlohmann::json& body,
                                                  const BuiltinModel& model);

// body[key], or `fallback` when absent or null; BadRequest naming the key for a wrong type.
template <typename T>
T serve_param(const nlohmann::json& body, const char* key, T fallback) {
  if (!body.contains(key) || body[key].is_null()) return fallback;
  try {
    return body[key].get<T>();
  } catch (const nlohmann::json::exception&) {
    throw BadRequest{std::string("'") + key + "' has the wrong type", key};
  }
}

}  // namespace moebench
