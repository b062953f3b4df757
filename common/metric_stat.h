// A metric over documents: mean, standard error and count, as scoring aggregates it, run.json
// records it and the reports read it back. One type from the scorer to the leaderboard.
#pragma once

#include <nlohmann/json.hpp>

namespace moebench {

struct MetricStat {
  double mean = 0;
  double stderr_ = 0;  // sample_std(ddof=1)/sqrt(n); 0 when n < 2
  long n = 0;
  bool higher_is_better = true;  // from the metric's key (run.json records it beside the stat)
  double ci95_half() const { return 1.96 * stderr_; }
  double ci95_low() const { return mean - 1.96 * stderr_; }
  double ci95_high() const { return mean + 1.96 * stderr_; }
  // {"mean", "stderr", "n", "ci95": [low, high]}, as run.json records a metric or group.
  nlohmann::json to_json() const;
};

}  // namespace moebench
