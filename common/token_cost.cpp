// tokens_cost_usd (common/token_cost.h).
#include "common/token_cost.h"

namespace moebench {

std::optional<double> tokens_cost_usd(const TokenCounts& t, const nlohmann::json& prices) {
  if (!prices.is_object() || !prices.contains("input") || !prices["input"].is_number() ||
      !prices.contains("output") || !prices["output"].is_number()) {
    return std::nullopt;
  }
  const double input = prices["input"].get<double>();
  const double cached = prices.contains("cached_input") && prices["cached_input"].is_number()
                            ? prices["cached_input"].get<double>()
                            : input;
  return (static_cast<double>(t.prompt - t.cached_prompt) * input +
          static_cast<double>(t.cached_prompt) * cached +
          static_cast<double>(t.completion) * prices["output"].get<double>()) /
         1e6;
}

}  // namespace moebench
