// What tokens cost at a price table: the one formula run.json's costs, merge's sums and the
// leaderboard's whole-suite costs share.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>

#include "common/token_counts.h"

namespace moebench {

// $ for `tokens` at `prices` (BackendInfo::prices: input, cached_input, cache_write_input, output
// per 1M tokens; a table without cached_input or cache_write_input prices those at input; the
// tokens' off-peak part at its off_peak rates, when it has them); nullopt when the table has no
// input or output price.
std::optional<double> tokens_cost_usd(const TokenCounts& tokens, const nlohmann::json& prices);

}  // namespace moebench
