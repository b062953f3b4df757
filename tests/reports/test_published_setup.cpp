// "Published vs measured" judged a run whose setup is not the paper's (reviewer 83, F4): a 2-shot
// run on the bundled samples was "above" DeepSeek-V3's 8-shot GSM8K. Such a run's figure is
// shown with the reason, and no verdict.
#include <nlohmann/json.hpp>

#include "reports/published_scores.h"
#include "tests/catch.h"

using namespace moebench;

namespace {

SuiteResult gsm8k_at(double mean) {
  SuiteResult s;
  s.name = "gsm8k@deepseek-v3-base";
  s.profile = "deepseek-v3-base";
  s.primary_metric = "exact_match,strict-match";
  MetricStat m;
  m.mean = mean;
  m.stderr_ = 0.001;
  m.n = 1319;
  s.metrics[s.primary_metric] = m;
  return s;
}

}  // namespace

TEST_CASE("published vs measured: a run on other documents or shots gets no verdict") {
  PublishedScore p;
  p.suite = "gsm8k";
  p.profile = "deepseek-v3-base";
  p.score = 89.3;
  const nlohmann::json options = {
      {"samples", true}, {"limit", 5}, {"num_fewshot", 2}, {"shard", "0/1"}};
  const std::string setup = published_setup_differs(options);
  CHECK(setup == "the bundled samples, --limit 5, --num-fewshot 2");
  const PublishedComparison c = published_compare(p, gsm8k_at(1.0), setup);
  CHECK(c.verdict == PublishedVerdict::kNotComparable);
  CHECK(c.verdict_text() == "not comparable (the bundled samples, --limit 5, --num-fewshot 2)");
  CHECK_FALSE(c.delta);
  REQUIRE(c.measured);
  CHECK(*c.measured == 100.0);
  // The paper's setup: the full data, the profile's own shots.
  const nlohmann::json full = {{"samples", false}, {"limit", nullptr}, {"num_fewshot", nullptr}};
  CHECK(published_setup_differs(full).empty());
  CHECK(published_compare(p, gsm8k_at(1.0), "").verdict == PublishedVerdict::kAbove);
}
