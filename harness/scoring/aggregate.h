// Aggregation as lm-eval does it: mean with Bessel-corrected standard error, groups pooled by
// size, 95% confidence interval as +-1.96 stderr (REFERENCE.md, "Standard error").
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/metric_stat.h"

namespace moebench {

MetricStat aggregate_mean(const std::vector<double>& values);
// Size-weighted mean of groups with lm-eval's pooled stderr:
// sqrt( sum((n_i-1) n_i se_i^2) / (sum n_i - k) / sum n_i ).
MetricStat aggregate_pooled(const std::vector<MetricStat>& groups);

}  // namespace moebench
