// Aggregation as lm-eval does it: mean with Bessel-corrected standard error, groups pooled by
// size, 95% confidence interval as +-1.96 stderr (REFERENCE.md, "Standard error").
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace moebench {

struct MetricSummary {
  double mean = 0;
  double stderr_ = 0;  // sample_std(ddof=1)/sqrt(n); 0 when n < 2
  long n = 0;
  double ci95_low() const { return mean - 1.96 * stderr_; }
  double ci95_high() const { return mean + 1.96 * stderr_; }
  nlohmann::json to_json() const;
};

MetricSummary aggregate_mean(const std::vector<double>& values);
// Size-weighted mean of groups with lm-eval's pooled stderr:
// sqrt( sum((n_i-1) n_i se_i^2) / (sum n_i - k) / sum n_i ).
MetricSummary aggregate_pooled(const std::vector<MetricSummary>& groups);

}  // namespace moebench
