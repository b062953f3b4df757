// Aggregation as lm-eval does it: mean with Bessel-corrected standard error, groups pooled by
// size, 95% confidence interval as +-1.96 stderr (REFERENCE.md, "Standard error").
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/metric_stat.h"

namespace moebench {

MetricStat aggregate_mean(const std::vector<double>& values);

// The weighted mean sum(w v) / sum(w) over documents (weights > 0, one per value; n = documents)
// with the ratio estimator's linearized (Taylor) standard error,
//   se^2 = n/(n-1) * sum(w_i^2 (v_i - mean)^2) / (sum w)^2
// (Cochran, Sampling Techniques, 3rd ed., 1977, sec. 6.3-6.4: the mean is the ratio of two
// totals, sum(w v) and sum(w); this is the estimator survey packages use for it). With equal
// weights it is aggregate_mean's Bessel stderr exactly. 0 when n < 2.
MetricStat aggregate_weighted_mean(const std::vector<double>& values,
                                   const std::vector<double>& weights);

// One metric of a suite, from one value per document (a failed document's is 0) and the
// document's subject ("" = none): `overall` is the mean, or when `weight_by_subject` and there
// are several subjects the subjects' pool (metric_stat_pooled); `groups` has each named subject's
// mean. With `weights` (one per document: the spec's doc_weight) every mean is the weighted one
// (aggregate_weighted_mean). A run, a merge of its shards and a rescore all aggregate here, so
// they agree to the last digit.
struct MetricAggregate {
  MetricStat overall;
  std::map<std::string, MetricStat> groups;  // subject -> mean
};
MetricAggregate aggregate_metric(const std::vector<double>& values,
                                 const std::vector<std::string>& subjects, bool weight_by_subject,
                                 const std::vector<double>* weights = nullptr);

// --repeats: `values` holds `repeats` consecutive samples per document (subjects one per
// document). Each document's value is its mean over the repeats (avg@N), aggregated as above, so
// the standard error is over documents: clustered, it counts the spread between documents and,
// through each document's mean, between repeats. `repeat_means` (when given and repeats > 1)
// gets each repeat's own mean over the documents (weighted when `weights`, one per document).
MetricAggregate aggregate_metric_repeats(const std::vector<double>& values, int repeats,
                                         const std::vector<std::string>& subjects,
                                         bool weight_by_subject,
                                         std::vector<double>* repeat_means = nullptr,
                                         const std::vector<double>* weights = nullptr);

}  // namespace moebench
