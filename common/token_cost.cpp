// tokens_cost_usd (common/token_cost.h).
#include "common/token_cost.h"

namespace moebench {

std::optional<double> tokens_cost_usd(const TokenCounts& t, const nlohmann::json& prices) {
  if (!prices.is_object() || !prices.contains("input") || !prices["input"].is_number() ||
      !prices.contains("output") || !prices["output"].is_number()) {
    return std::nullopt;
  }
  const double input = prices["input"].get<double>();
  auto price = [&](const char* key) {
    return prices.contains(key) && prices[key].is_number() ? prices[key].get<double>() : input;
  };
  return (static_cast<double>(t.prompt - t.cached_prompt - t.cache_write_prompt) * input +
          static_cast<double>(t.cached_prompt) * price("cached_input") +
          static_cast<double>(t.cache_write_prompt) * price("cache_write_input") +
          static_cast<double>(t.completion) * prices["output"].get<double>()) /
         1e6;
}

}  // namespace moebench
