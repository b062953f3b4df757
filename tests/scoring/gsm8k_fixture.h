// GSM8K scoring as lm-eval 3.0 specifies it (REFERENCE.md), built through the registry: the two
// filter pipelines and exact_match with GSM8K's arguments. Shared by the scoring tests.
#pragma once

#include <string>
#include <vector>

#include "harness/scoring/registry.h"

namespace moebench::test {

struct Gsm8kVerdict {
  std::string strict, flexible;  // filtered predictions (after take_first)
  double strict_em = 0, flexible_em = 0;
};

// A hand-written response with the verdicts lm-eval gives it (test_gsm8k_chain.cpp).
struct Gsm8kCase {
  const char* response;
  const std::string* target;
  const char* strict;  // filtered string
  double strict_em;
  const char* flexible;
  double flexible_em;
};
const std::vector<Gsm8kCase>& gsm8k_hand_cases();

class Gsm8kChain {
 public:
  Gsm8kChain() {
    scoring_register_builtins();
    strict_ = {filter_make({{"fn", "regex"}, {"pattern", "#### (\\-?[0-9\\.\\,]+)"}}, "strict[0]"),
               filter_make({{"fn", "take_first"}}, "strict[1]")};
    flexible_ = {
        filter_make(
            {{"fn", "regex"}, {"pattern", "(-?[$0-9.,]{2,})|(-?[0-9]+)"}, {"group_select", -1}},
            "flexible[0]"),
        filter_make({{"fn", "take_first"}}, "flexible[1]")};
    em_ = metric_make({{"metric", "exact_match"},
                       {"ignore_case", true},
                       {"ignore_punctuation", false},
                       {"regexes_to_ignore", {",", "\\$", "(?s).*#### ", "\\.$"}}},
                      "metrics[0]", nullptr);
  }

  Gsm8kVerdict score(const std::string& response, const std::string& target) const {
    Gsm8kVerdict v;
    auto s = run(strict_, response), f = run(flexible_, response);
    v.strict = s.at(0);
    v.flexible = f.at(0);
    v.strict_em = em(s, target);
    v.flexible_em = em(f, target);
    return v;
  }

 private:
  static std::vector<std::string> run(const std::vector<FilterStep>& steps,
                                      const std::string& response) {
    std::vector<std::string> preds = {response};
    for (const auto& step : steps) preds = step(std::move(preds), FilterContext{});
    return preds;
  }
  double em(const std::vector<std::string>& preds, const std::string& target) const {
    MetricInput in;
    in.predictions = &preds;
    in.target = target;
    return em_(in).value;
  }
  std::vector<FilterStep> strict_, flexible_;
  MetricFn em_;
};

}  // namespace moebench::test
