// MetricStat as run.json records it.
#include "common/metric_stat.h"

namespace moebench {

nlohmann::json MetricStat::to_json() const {
  return {{"mean", mean}, {"stderr", stderr_}, {"n", n}, {"ci95", {ci95_low(), ci95_high()}}};
}

}  // namespace moebench
