// Mean with Bessel-corrected standard error, lm-eval's size-weighted pooling of groups, and the
// JSON form of a summary.
#include "harness/scoring/aggregate.h"

#include <cmath>

namespace moebench {

MetricStat aggregate_mean(const std::vector<double>& values) {
  MetricStat s;
  s.n = static_cast<long>(values.size());
  if (s.n == 0) return s;
  double sum = 0;
  for (double v : values) sum += v;
  s.mean = sum / s.n;
  if (s.n < 2) return s;
  double ss = 0;  // two-pass: exact for 0/1 values, no cancellation
  for (double v : values) ss += (v - s.mean) * (v - s.mean);
  s.stderr_ = std::sqrt(ss / (s.n - 1)) / std::sqrt(static_cast<double>(s.n));
  return s;
}

MetricStat aggregate_weighted_mean(const std::vector<double>& values,
                                   const std::vector<double>& weights) {
  MetricStat s;
  s.n = static_cast<long>(values.size());
  if (s.n == 0) return s;
  double sum_w = 0, sum_wv = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    sum_w += weights[i];
    sum_wv += weights[i] * values[i];
  }
  s.mean = sum_wv / sum_w;
  if (s.n < 2) return s;
  double ss = 0;  // two-pass, as aggregate_mean
  for (size_t i = 0; i < values.size(); ++i) {
    const double r = weights[i] * (values[i] - s.mean);
    ss += r * r;
  }
  s.stderr_ = std::sqrt(ss * s.n / (s.n - 1)) / sum_w;
  return s;
}

MetricAggregate aggregate_metric(const std::vector<double>& values,
                                 const std::vector<std::string>& subjects, bool weight_by_subject,
                                 const std::vector<double>* weights) {
  struct Part {
    std::vector<double> values, weights;
  };
  std::map<std::string, Part> by_subject;
  for (size_t d = 0; d < values.size(); ++d) {
    Part& p = by_subject[subjects[d]];
    p.values.push_back(values[d]);
    if (weights) p.weights.push_back((*weights)[d]);
  }
  auto mean = [&](const std::vector<double>& v, const std::vector<double>& w) {
    return weights ? aggregate_weighted_mean(v, w) : aggregate_mean(v);
  };
  MetricAggregate a;
  std::vector<MetricStat> pools;
  for (const auto& [subject, part] : by_subject) {
    MetricStat m = mean(part.values, part.weights);
    if (!subject.empty()) a.groups[subject] = m;
    pools.push_back(m);
  }
  const bool pooled = weight_by_subject && metric_stat_pools_subjects(
                                               by_subject.size(), static_cast<long>(values.size()));
  a.overall = pooled    ? metric_stat_pooled(pools)
              : weights ? aggregate_weighted_mean(values, *weights)
                        : aggregate_mean(values);
  return a;
}

MetricAggregate aggregate_metric_repeats(const std::vector<double>& values, int repeats,
                                         const std::vector<std::string>& subjects,
                                         bool weight_by_subject, std::vector<double>* repeat_means,
                                         const std::vector<double>* weights) {
  const size_t per = static_cast<size_t>(repeats < 1 ? 1 : repeats);
  if (per == 1) return aggregate_metric(values, subjects, weight_by_subject, weights);
  std::vector<double> docs, by_repeat(per, 0.0);
  for (size_t i = 0; i < values.size(); ++i) {
    if (i % per == 0) docs.push_back(0.0);
    docs.back() += values[i] / static_cast<double>(per);
    by_repeat[i % per] += values[i];
  }
  if (repeat_means) {
    for (size_t r = 0; r < per; ++r) {
      if (!weights) {
        by_repeat[r] /= docs.empty() ? 1.0 : static_cast<double>(docs.size());
        continue;
      }
      std::vector<double> one;  // repeat r's value of each document
      for (size_t i = r; i < values.size(); i += per) one.push_back(values[i]);
      by_repeat[r] = aggregate_weighted_mean(one, *weights).mean;
    }
    *repeat_means = std::move(by_repeat);
  }
  return aggregate_metric(docs, subjects, weight_by_subject, weights);
}

}  // namespace moebench
