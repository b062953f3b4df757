// A metric over documents: mean, standard error and count, as scoring aggregates it, run.json
// records it and the reports read it back. One type from the scorer to the leaderboard.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

namespace moebench {

struct MetricStat {
  double mean = 0;
  double stderr_ = 0;  // sample_std(ddof=1)/sqrt(n); 0 when n < 2
  long n = 0;
  bool higher_is_better = true;  // from the metric's key (run.json records it beside the stat)
  double ci95_half() const { return 1.96 * stderr_; }
  double ci95_low() const { return mean - 1.96 * stderr_; }
  double ci95_high() const { return mean + 1.96 * stderr_; }
  // The rule every report shows a stat by: no score without a document, and no stderr or 95% CI
  // below two (lm-eval's "N/A"); a shard past a small suite's end scores none.
  std::optional<double> score() const { return n > 0 ? std::optional(mean) : std::nullopt; }
  bool has_stderr() const { return n >= 2; }
  std::optional<double> ci95_half_known() const {
    return has_stderr() ? std::optional(ci95_half()) : std::nullopt;
  }
  // {"mean", "stderr", "n", "ci95": [low, high]}, as run.json records a metric or group; stderr
  // and ci95 null when n < 2 (the readers take a null or absent stderr as 0 with that n).
  nlohmann::json to_json() const;
};

// lm-eval's pooled_sample_stderr over groups (subjects): the size-weighted mean and
// sqrt( sum((n_i-1) n_i se_i^2) / (sum n_i - k) / sum n_i ), k the groups with documents. NOTE: it
// ignores the between-group variance, as lm-eval does.
MetricStat metric_stat_pooled(const std::vector<MetricStat>& groups);

// Whether a subject-weighted suite's stat is pooled over its subjects: with one subject, or one
// document per subject (the pooled formula is 0/0 there), its documents' plain stat stands.
bool metric_stat_pools_subjects(size_t subjects, long documents);

// The stat of the union of disjoint document sets from theirs: the exact mean and Bessel-corrected
// stderr of all their documents (each part's stderr is s_i/sqrt(n_i)).
MetricStat metric_stat_union(const std::vector<MetricStat>& parts);

}  // namespace moebench
