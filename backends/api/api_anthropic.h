// The Anthropic Messages wire format: system prompt apart, max_tokens required, stop_sequences,
// content blocks (text, thinking) whole or as streaming events (message_start ... message_stop).
#pragma once

#include "backends/api/api_wire.h"

namespace moebench {

// The API version sent in the anthropic-version header.
inline constexpr const char* kAnthropicVersion = "2023-06-01";
// Extended thinking's smallest budget_tokens; the API refuses less.
inline constexpr int kAnthropicMinThinkingBudget = 1024;

class AnthropicWire : public ApiWire {
 public:
  explicit AnthropicWire(ModelEntry model) : model_(std::move(model)) {}
  ApiCall generate_call(const Request& r, int n, int sample = 0) const override;
  ApiCall loglik_call(const Request& r) const override;
  std::vector<std::pair<std::string, std::string>> headers(const std::string& key) const override;
  ApiReply parse(const nlohmann::json& body, const ApiCall& call) const override;
  std::unique_ptr<ApiStream> stream(const ApiCall& call) const override;
  std::string error_message(const std::string& body) const override;

 private:
  ModelEntry model_;
};

// Token counts from a Messages usage object: input_tokens excludes cache reads and writes, so
// the prompt is their sum and the cached part is cache_read_input_tokens.
TokenCounts anthropic_usage(const nlohmann::json& usage);

}  // namespace moebench
