// tokens_cost_usd (common/token_cost.h).
#include "common/token_cost.h"

namespace moebench {

namespace {

// $ per 1M tokens of each class in one price period.
struct Rates {
  double input, cached, write, output;
};

double usd(long prompt, long cached, long writes, long completion, const Rates& r) {
  return static_cast<double>(prompt - cached - writes) * r.input +
         static_cast<double>(cached) * r.cached + static_cast<double>(writes) * r.write +
         static_cast<double>(completion) * r.output;
}

// A table's rates; a class it does not price costs `input` (cache hits, writes) or `fallback`'s.
Rates rates_of(const nlohmann::json& table, const Rates& fallback) {
  auto price = [&](const char* key, double otherwise) {
    return table.contains(key) && table[key].is_number() ? table[key].get<double>() : otherwise;
  };
  const double input = price("input", fallback.input);
  return {input, price("cached_input", input), price("cache_write_input", input),
          price("output", fallback.output)};
}

}  // namespace

std::optional<double> tokens_cost_usd(const TokenCounts& t, const nlohmann::json& prices) {
  if (!prices.is_object() || !prices.contains("input") || !prices["input"].is_number() ||
      !prices.contains("output") || !prices["output"].is_number()) {
    return std::nullopt;
  }
  const Rates standard = rates_of(prices, {0, 0, 0, 0});
  const Rates off_peak = prices.contains("off_peak") && prices["off_peak"].is_object()
                             ? rates_of(prices["off_peak"], standard)
                             : standard;
  // NOTE: the off-peak windows are DeepSeek's, which reports no cache writes.
  return (usd(t.prompt - t.off_peak_prompt, t.cached_prompt - t.off_peak_cached_prompt,
              t.cache_write_prompt, t.completion - t.off_peak_completion, standard) +
          usd(t.off_peak_prompt, t.off_peak_cached_prompt, 0, t.off_peak_completion, off_peak)) /
         1e6;
}

}  // namespace moebench
