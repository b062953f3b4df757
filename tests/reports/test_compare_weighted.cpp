// compare on a point-weighted suite (gaokao's doc_weight): the means and the change are the
// weighted ones the runs report, and the paired test is on the weighted change. compare took the
// plain mean over documents, which for gaokao is not the number either run reports.
#include <cmath>

#include "reports/compare_runs.h"
#include "tests/catch.h"

using namespace moebench;

namespace {

void add(std::vector<SampleRecord>* v, const std::string& doc, double x, double weight) {
  SampleRecord s;
  s.suite = "gaokao";
  s.doc_id = doc;
  s.metrics["m"] = x;
  s.weight = weight;
  v->push_back(s);
}

}  // namespace

TEST_CASE("compare of a weighted suite takes the weighted means the runs report") {
  std::vector<SampleRecord> a, b;
  // A: a 30-point item at 0.95 and three 5-point items wrong; B: the other way round.
  add(&a, "1", 0.95, 30);
  add(&b, "1", 0.0, 30);
  for (const char* doc : {"2", "3", "4"}) {
    add(&a, doc, 0.0, 5);
    add(&b, doc, 1.0, 5);
  }
  const SuiteComparison c = compare_suite_samples("gaokao", "m", true, a, b, CompareOptions{});
  // Weighted: A 28.5/45 = 0.6333, B 15/45 = 0.3333 (plain means: 0.2375 and 0.75).
  CHECK(std::abs(c.mean_a - 28.5 / 45) < 1e-12);
  CHECK(std::abs(c.mean_b - 15.0 / 45) < 1e-12);
  CHECK(std::abs(c.delta - (15.0 - 28.5) / 45) < 1e-12);
  CHECK(c.test == "sign-flip");
  // The sign-flip test on the weighted change (each document's change times w n / sum w): the
  // 30-point document outweighs the other three together, so every one of the 2^4 sign patterns
  // changes the mean at least as much: p 1 (the plain changes gave 0.25).
  CHECK(c.p_value == 1.0);
}
