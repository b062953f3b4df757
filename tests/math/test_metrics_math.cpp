// The MATH filters and metrics through the registry, on adversarial responses (math_cases.h).
#include <string>
#include <vector>

#include "common/error.h"
#include "harness/scoring/builtins.h"
#include "harness/scoring/registry.h"
#include "tests/catch.h"
#include "tests/math/math_cases.h"

using namespace moebench;
using moebench_test::kMathCases;

namespace {

// Runs response -> filter step -> metric, as the Scorer does for n = 1.
MetricValue score(const std::string& filter, const std::string& metric, const std::string& response,
                  const std::string& solution) {
  scoring_register_math();
  FilterStep step = filter_make({{"fn", filter}}, "test.filter");
  std::vector<std::string> preds = step({response}, FilterContext{});
  MetricFn fn = metric_make({{"metric", metric}}, "test.metric", nullptr);
  MetricInput in;
  in.predictions = &preds;
  in.target = solution;
  return fn(in);
}

}  // namespace

TEST_CASE("math cases: at least 30 adversarial responses per metric") {
  STATIC_REQUIRE(sizeof(kMathCases) / sizeof(kMathCases[0]) >= 30);
}

TEST_CASE("minerva_equiv on adversarial responses") {
  for (const auto& c : kMathCases) {
    MetricValue v = score("minerva_answer", "minerva_equiv", c.response, c.solution);
    INFO(c.why << "\nresponse: " << c.response << "\ndetail: " << v.detail.dump());
    CHECK(v.value == c.minerva_equiv);
  }
}

TEST_CASE("math_string_match on adversarial responses") {
  for (const auto& c : kMathCases) {
    MetricValue v = score("minerva_answer", "math_string_match", c.response, c.solution);
    INFO(c.why << "\nresponse: " << c.response << "\ndetail: " << v.detail.dump());
    CHECK(v.value == c.string_match);
  }
}

TEST_CASE("hendrycks_is_equiv on adversarial responses") {
  for (const auto& c : kMathCases) {
    MetricValue v = score("hendrycks_answer", "hendrycks_is_equiv", c.response, c.solution);
    INFO(c.why << "\nresponse: " << c.response << "\ndetail: " << v.detail.dump());
    CHECK(v.value == c.hendrycks);
  }
}

TEST_CASE("math metrics: detail carries gold and pred") {
  MetricValue v = score("minerva_answer", "minerva_equiv",
                        "Final Answer: The final answer is $\\dfrac12$. I hope it is correct.",
                        "Thus $\\boxed{\\frac{1}{2}}$.");
  CHECK(v.value == 1);
  CHECK(v.detail["gold"] == "\\frac{1}{2}");
  CHECK(v.detail["pred"] == "\\dfrac{1}{2}");
  MetricValue h = score("hendrycks_answer", "hendrycks_is_equiv", "so $x = 3$", "$\\boxed{3}$");
  CHECK(h.value == 1);
  CHECK(h.detail["gold"] == "3");
  CHECK(h.detail["pred"] == "x = 3");
}

TEST_CASE("math metrics: a target without a box scores 0 with an error") {
  MetricValue v = score("minerva_answer", "minerva_equiv", "Final Answer: The final answer is 5.",
                        "The answer is 5.");
  CHECK(v.value == 0);
  CHECK(v.detail["gold"].is_null());
  CHECK(v.detail.contains("error"));
}

TEST_CASE("math metrics: several predictions give the mean") {
  scoring_register_math();
  MetricFn fn = metric_make({{"metric", "math_string_match"}}, "test", nullptr);
  std::vector<std::string> preds = {"5", "6", "5", "[invalidanswer]"};
  MetricInput in;
  in.predictions = &preds;
  in.target = "$\\boxed{5}$";
  CHECK(fn(in).value == 0.5);
  std::vector<std::string> none;
  in.predictions = &none;
  CHECK(fn(in).value == 0);
}

TEST_CASE("math filters map every response") {
  scoring_register_math();
  FilterStep minerva = filter_make({{"fn", "minerva_answer"}}, "test");
  auto out = minerva({"Final Answer: The final answer is $10,000$. I hope it is correct.", "no"},
                     FilterContext{});
  REQUIRE(out.size() == 2);
  CHECK(out[0] == "10000");
  CHECK(out[1] == "[invalidanswer]");
  FilterStep hendrycks = filter_make({{"fn", "hendrycks_answer"}}, "test");
  out = hendrycks({"a $b$ c $d$ e", "$x", "plain"}, FilterContext{});
  CHECK(out == std::vector<std::string>{"b$ c $d", "$x", "plain"});
}

TEST_CASE("math filters and metrics take no arguments") {
  scoring_register_math();
  CHECK_THROWS_AS(filter_make({{"fn", "minerva_answer"}, {"x", 1}}, "spec.filters[0]"), InputError);
  CHECK_THROWS_AS(metric_make({{"metric", "minerva_equiv"}, {"k", 1}}, "spec.metrics[0]", nullptr),
                  InputError);
  CHECK(metric_known("hendrycks_is_equiv"));
  CHECK(filter_known("hendrycks_answer"));
}
