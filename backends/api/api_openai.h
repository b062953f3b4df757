// The OpenAI wire format: Chat Completions and Completions, streamed (SSE chunks, usage in the
// last chunk) or whole; DeepSeek's fields (reasoning_content, prompt_cache_hit_tokens) and
// prompt log-likelihoods through Completions' echo + logprobs.
#pragma once

#include "backends/api/api_wire.h"

namespace moebench {

class OpenAiWire : public ApiWire {
 public:
  explicit OpenAiWire(ModelEntry model) : model_(std::move(model)) {}
  ApiCall generate_call(const Request& r, int n, int sample = 0) const override;
  ApiCall loglik_call(const Request& r) const override;
  std::vector<std::pair<std::string, std::string>> headers(const std::string& key) const override;
  ApiReply parse(const nlohmann::json& body, const ApiCall& call) const override;
  std::unique_ptr<ApiStream> stream(const ApiCall& call) const override;
  std::string error_message(const std::string& body) const override;

 private:
  bool sends(const char* param) const;
  ModelEntry model_;
};

// Token counts from an OpenAI or DeepSeek usage object; *reasoning_counted tells whether it counted
// the reasoning tokens (completion_tokens_details.reasoning_tokens).
TokenCounts openai_usage(const nlohmann::json& usage, bool* reasoning_counted = nullptr);
// Sum of the log-probabilities of the tokens of `span` (code points of the choice's text), from
// a Completions logprobs object {tokens, token_logprobs, text_offset}; throws ApiFormatError.
double openai_span_loglik(const nlohmann::json& logprobs, std::pair<size_t, size_t> span);

}  // namespace moebench
