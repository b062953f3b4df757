// Scores one response as a suite spec (or a profile's patched spec) does: the filter pipeline a
// metric names, then that metric, through the registry. Tests of a spec's scoring use it so they
// check the spec file itself, not only the functions it names.
#pragma once

#include <string>
#include <vector>

#include "harness/scoring/registry.h"
#include "tasks/profile.h"
#include "tests/catch.h"

namespace moebench_test {

// `response` scored by the spec's metric reported as `reported` (e.g. "exact_match") against
// `target` (what suite->target(doc) gives). Fails the test when the spec has no such metric.
// NOTE: no document is passed; the math and letter metrics read only the target.
inline moebench::MetricValue spec_score(const moebench::SuiteSpec& spec,
                                        const std::string& reported, const std::string& response,
                                        const std::string& target) {
  moebench::scoring_register_builtins();
  for (const auto& m : spec.metrics) {
    if (m.value("name", m.value("metric", std::string())) != reported) continue;
    std::vector<std::string> preds = {response};
    const std::string pipeline = m.at("filters").at(0).get<std::string>();
    for (const auto& f : spec.filters) {
      if (f.at("name") != pipeline) continue;
      for (const auto& step : f.at("steps")) {
        preds = moebench::filter_make(step, "test")(preds, moebench::FilterContext{});
      }
    }
    moebench::MetricInput in;
    in.predictions = &preds;
    in.target = target;
    return moebench::metric_make(m, "test", nullptr)(in);
  }
  FAIL("spec " << spec.name << " reports no metric " << reported);
  return {};
}

}  // namespace moebench_test
