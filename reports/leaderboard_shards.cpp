// leaderboard_pool_shards: the results of one suite run as N shards (--shard i/N), pooled into the
// result the unsharded run would have had.
#include <cmath>

#include "reports/leaderboard.h"

namespace moebench {
namespace {

// NOTE: exact for the mean and the sample stderr of the union. Each shard's stderr is s_i/sqrt(n_i)
// with s_i^2 its Bessel-corrected variance, so s_i^2 = stderr_i^2 * n_i; the union's sum of
// squares about the pooled mean is sum((n_i-1) s_i^2) + sum(n_i (mean_i - mean)^2).
MetricStat pool_metric(const std::vector<const MetricStat*>& parts) {
  MetricStat out;
  out.higher_is_better = parts.back()->higher_is_better;
  double sum = 0;
  for (const MetricStat* m : parts) {
    out.n += m->n;
    sum += static_cast<double>(m->n) * m->mean;
  }
  if (out.n <= 0) return out;
  out.mean = sum / static_cast<double>(out.n);
  double ss = 0;
  for (const MetricStat* m : parts) {
    const double n = static_cast<double>(m->n);
    const double var = m->stderr_ * m->stderr_ * n;  // s_i^2
    const double d = m->mean - out.mean;
    ss += (n > 1 ? (n - 1) * var : 0) + n * d * d;
  }
  if (out.n > 1) {
    const double var = ss / static_cast<double>(out.n - 1);
    out.stderr_ = std::sqrt(var / static_cast<double>(out.n));
  }
  return out;
}

}  // namespace

SuiteResult leaderboard_pool_shards(const std::vector<const SuiteResult*>& shards) {
  if (shards.empty()) return SuiteResult{};
  const SuiteResult& last = *shards.back();
  SuiteResult out;
  out.name = last.name;
  out.version = last.version;
  out.primary_metric = last.primary_metric;
  out.scored_by = last.scored_by;
  out.cost_usd = 0.0;
  for (const SuiteResult* s : shards) {
    out.n_docs += s->n_docs;
    out.cache_hits += s->cache_hits;
    for (const auto& [type, count] : s->errors) out.errors[type] += count;
    out.tokens += s->tokens;
    out.tokens_all += s->tokens_all;
    if (!s->cost_usd) out.cost_usd.reset();
    if (out.cost_usd) *out.cost_usd += *s->cost_usd;
  }
  // A metric is pooled when every shard reports it; one missing from a shard would be a mean over
  // part of the documents.
  for (const auto& [key, unused] : last.metrics) {
    std::vector<const MetricStat*> parts;
    for (const SuiteResult* s : shards) {
      auto it = s->metrics.find(key);
      if (it != s->metrics.end()) parts.push_back(&it->second);
    }
    if (parts.size() == shards.size()) out.metrics[key] = pool_metric(parts);
  }
  return out;
}

}  // namespace moebench
