// MetricStat as run.json records it.
#include "common/metric_stat.h"

#include <cmath>

namespace moebench {

nlohmann::json MetricStat::to_json() const {
  // Below two documents there is no stderr (lm-eval writes "N/A"), so no interval either.
  if (!has_stderr()) return {{"mean", mean}, {"stderr", nullptr}, {"n", n}, {"ci95", nullptr}};
  return {{"mean", mean}, {"stderr", stderr_}, {"n", n}, {"ci95", {ci95_low(), ci95_high()}}};
}

MetricStat metric_stat_pooled(const std::vector<MetricStat>& groups) {
  MetricStat s;
  double weighted = 0, pooled = 0;
  long k = 0;
  for (const auto& g : groups) {
    if (g.n <= 0) continue;  // adds nothing to the mean; k would count a group without samples
    ++k;
    s.n += g.n;
    weighted += g.mean * g.n;
    pooled += static_cast<double>(g.n - 1) * g.n * g.stderr_ * g.stderr_;
  }
  if (s.n == 0) return s;
  s.mean = weighted / s.n;
  if (s.n - k > 0) s.stderr_ = std::sqrt(pooled / (s.n - k) / s.n);
  return s;
}

bool metric_stat_pools_subjects(size_t subjects, long documents) {
  return subjects > 1 && static_cast<long>(subjects) < documents;
}

// NOTE: each part's s_i^2 = stderr_i^2 * n_i; the union's sum of squares about the pooled mean is
// sum((n_i-1) s_i^2) + sum(n_i (mean_i - mean)^2).
MetricStat metric_stat_union(const std::vector<MetricStat>& parts) {
  MetricStat out;
  if (!parts.empty()) out.higher_is_better = parts.back().higher_is_better;
  double sum = 0;
  for (const MetricStat& m : parts) {
    out.n += m.n;
    sum += static_cast<double>(m.n) * m.mean;
  }
  if (out.n <= 0) return out;
  out.mean = sum / static_cast<double>(out.n);
  double ss = 0;
  for (const MetricStat& m : parts) {
    const double n = static_cast<double>(m.n);
    const double d = m.mean - out.mean;
    ss += (n > 1 ? (n - 1) * m.stderr_ * m.stderr_ * n : 0) + n * d * d;
  }
  if (out.n > 1) out.stderr_ = std::sqrt(ss / static_cast<double>(out.n - 1) / out.n);
  return out;
}

}  // namespace moebench
