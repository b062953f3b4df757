// Shards of a subject-weighted suite (MMLU, C-Eval, CMMLU) pooled as the unsharded run pools its
// documents: each subject's documents over the shards, then lm-eval's pooled stderr over the
// subjects. Pooling the shards' suite stderrs as if each were s/sqrt(n) gave another stderr than
// the run itself and `moebench merge` report (9.2 points beside 0.0 in the reviewer's repro).
#include <cmath>
#include <map>

#include "reports/leaderboard.h"
#include "tests/catch.h"

using namespace moebench;
using nlohmann::json;

namespace {

// A shard's stat of `values` (mean, Bessel stderr), as run.json records a group.
MetricStat stat(const std::vector<double>& values) {
  MetricStat s;
  s.n = static_cast<long>(values.size());
  double sum = 0;
  for (double v : values) sum += v;
  s.mean = sum / s.n;
  if (s.n > 1) {
    double ss = 0;
    for (double v : values) ss += (v - s.mean) * (v - s.mean);
    s.stderr_ = std::sqrt(ss / (s.n - 1) / s.n);
  }
  return s;
}

SuiteResult shard(const std::map<std::string, std::vector<double>>& subjects,
                  const MetricStat& overall) {
  SuiteResult r;
  r.primary_metric = "acc";
  r.metrics["acc"] = overall;
  for (const auto& [subject, values] : subjects) r.groups[subject]["acc"] = stat(values).to_json();
  r.spec = {{"weight_by_subject", true}};
  return r;
}

}  // namespace

TEST_CASE("leaderboard: shards of a subject-weighted suite pool per subject as the run does") {
  // Shard a: s1 [1, 0], s2 [0]; shard b: s1 [1], s2 [1, 0, 0]. The union: s1 [1, 0, 1] (mean 2/3,
  // se^2 1/9), s2 [0, 1, 0, 0] (mean 1/4, se^2 1/16); lm-eval's pooled stderr over the subjects:
  // sqrt((2*3/9 + 3*4/16) / (7 - 2) / 7) = sqrt(17/420).
  const SuiteResult a = shard({{"s1", {1, 0}}, {"s2", {0}}}, {1.0 / 3, 0.3, 3, true});
  const SuiteResult b = shard({{"s1", {1}}, {"s2", {1, 0, 0}}}, {0.5, 0.25, 4, true});
  const SuiteResult pooled = leaderboard_pool_shards({&a, &b});
  const MetricStat& m = pooled.metrics.at("acc");
  CHECK(m.n == 7);
  CHECK(std::abs(m.mean - 3.0 / 7) < 1e-12);
  CHECK(std::abs(m.stderr_ - std::sqrt(17.0 / 420)) < 1e-12);
  CHECK(std::abs(pooled.groups["s1"]["acc"]["mean"].get<double>() - 2.0 / 3) < 1e-12);
  CHECK(pooled.groups["s2"]["acc"]["n"] == 4);

  // One document per subject: lm-eval's formula is 0/0 there, and the run reports the plain
  // stderr of its documents ([1, 0]: 0.5); so does the pooled row.
  const SuiteResult c = shard({{"s1", {1}}}, {1, 0, 1, true});
  const SuiteResult d = shard({{"s2", {0}}}, {0, 0, 1, true});
  CHECK(std::abs(leaderboard_pool_shards({&c, &d}).metrics.at("acc").stderr_ - 0.5) < 1e-12);
}
