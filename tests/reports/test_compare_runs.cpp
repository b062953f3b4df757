// moebench compare on run directories: a planted drop is flagged (and the CLI exits 1), noise on
// a few items is not; McNemar for 0/1 metrics, the paired sign-flip test otherwise.
#include <sys/wait.h>

#include <cmath>
#include <cstdlib>
#include <random>

#include "common/error.h"
#include "reports/compare_runs.h"
#include "tests/catch.h"
#include "tests/reports/report_fixtures.h"

using namespace moebench;
using test::FixtureRun;
using test::FixtureSample;

namespace {

constexpr int kItems = 1319;  // GSM8K's test set

// A run of `correct` (0/1 per item) on gsm8k.
FixtureRun binary_run(const std::string& id, const std::vector<int>& correct) {
  FixtureRun r = test::fixture_run(id, "model-" + id);
  for (size_t i = 0; i < correct.size(); ++i) {
    r.samples.push_back({"gsm8k", "gsm8k/" + std::to_string(i), correct[i] ? "42" : "41",
                         static_cast<double>(correct[i]), 0.5, ""});
  }
  return r;
}

// 80% right, in a random order.
std::vector<int> eighty_percent(std::mt19937& rng) {
  std::vector<int> v(kItems, 0);
  for (int i = 0; i < kItems * 8 / 10; ++i) v[i] = 1;
  std::shuffle(v.begin(), v.end(), rng);
  return v;
}

// Flips `n` items equal to `from` into 1 - from.
void flip(std::vector<int>* v, int from, int n, std::mt19937& rng) {
  std::vector<size_t> idx;
  for (size_t i = 0; i < v->size(); ++i) {
    if ((*v)[i] == from) idx.push_back(i);
  }
  std::shuffle(idx.begin(), idx.end(), rng);
  for (int i = 0; i < n; ++i) (*v)[idx[i]] = 1 - from;
}

int cli_exit_code(const std::string& args) {
  const char* bin = std::getenv("MOEBENCH_BIN");
  REQUIRE(bin != nullptr);
  const int status = std::system((std::string(bin) + " compare " + args + " > /dev/null").c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

TEST_CASE("compare flags a planted drop from 80 to 70 percent on 1319 shared items") {
  const auto results = test::fixture_temp_dir("compare-drop");
  std::mt19937 rng(7);
  const std::vector<int> a = eighty_percent(rng);
  std::vector<int> b = a;
  // 80% -> 70%: 172 right answers lost, 40 wrong ones fixed (net -132 = -10.0 points).
  flip(&b, 1, 172, rng);
  flip(&b, 0, 40, rng);
  const auto dir_a = test::fixture_write_run(results, binary_run("a", a));
  const auto dir_b = test::fixture_write_run(results, binary_run("b", b));

  const RunComparison c = compare_runs(dir_a, dir_b, CompareOptions{});
  REQUIRE(c.suites.size() == 1);
  const SuiteComparison& s = c.suites[0];
  CHECK(s.test == "mcnemar");
  CHECK(s.shared == kItems);
  CHECK(std::abs(s.mean_a - (1055.0 / kItems)) < 1e-9);
  CHECK(std::abs(s.mean_b - (923.0 / kItems)) < 1e-9);
  CHECK(s.a_only_right >= 172 - 40);
  CHECK(s.a_only_right - s.b_only_right == 132);
  CHECK(s.p_value < 1e-15);
  CHECK(s.ci_high < 0);
  CHECK(s.regression);
  CHECK(c.any_regression());
  CHECK(compare_format_text(c).find("REGRESSION") != std::string::npos);
  CHECK(cli_exit_code(dir_a.string() + " " + dir_b.string()) == 1);
  // The other way round it is a significant gain, not a regression.
  CHECK(cli_exit_code(dir_b.string() + " " + dir_a.string()) == 0);
  std::filesystem::remove_all(results);
}

TEST_CASE("compare does not flag two runs that differ by noise on a few items") {
  const auto results = test::fixture_temp_dir("compare-noise");
  std::mt19937 rng(11);
  const std::vector<int> a = eighty_percent(rng);
  std::vector<int> b = a;
  flip(&b, 1, 4, rng);  // 4 lost, 2 gained: -0.15 points
  flip(&b, 0, 2, rng);
  const auto dir_a = test::fixture_write_run(results, binary_run("a", a));
  const auto dir_b = test::fixture_write_run(results, binary_run("b", b));
  const RunComparison c = compare_runs(dir_a, dir_b, CompareOptions{});
  REQUIRE(c.suites.size() == 1);
  CHECK(c.suites[0].a_only_right == 4);
  CHECK(c.suites[0].b_only_right == 2);
  // Exact two-sided binomial: 2 * P[X <= 2 | n = 6] = 2 * 22 / 64.
  CHECK(std::abs(c.suites[0].p_value - (44.0 / 64)) < 1e-9);
  CHECK_FALSE(c.suites[0].significant);
  CHECK_FALSE(c.any_regression());
  CHECK(cli_exit_code(dir_a.string() + " " + dir_b.string()) == 0);
  std::filesystem::remove_all(results);
}

TEST_CASE("compare uses the paired sign-flip test for graded metrics") {
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<SampleRecord> a, b, same;
  for (int i = 0; i < 500; ++i) {
    SampleRecord s;
    s.suite = "math";
    s.doc_id = std::to_string(i);
    const double base = u(rng);
    s.metrics["score"] = base;
    a.push_back(s);
    s.metrics["score"] = std::max(0.0, base - 0.05 - 0.02 * u(rng));  // about 6 points lower
    b.push_back(s);
    s.metrics["score"] = base + (u(rng) - 0.5) * 0.01;  // noise around zero
    same.push_back(s);
  }
  const SuiteComparison drop = compare_suite_samples("math", "score", true, a, b, CompareOptions{});
  CHECK(drop.test == "sign-flip");
  CHECK(drop.delta < -0.05);
  CHECK(drop.ci_high < 0);
  CHECK(drop.regression);
  const SuiteComparison noise =
      compare_suite_samples("math", "score", true, a, same, CompareOptions{});
  CHECK(noise.test == "sign-flip");
  CHECK(std::abs(noise.delta) < 0.001);
  CHECK_FALSE(noise.regression);
}

// A bootstrap p was 0 whenever every document moved one way: three documents a little lower (or
// one) were a REGRESSION. The sign-flip test gives 0.25 (2 of 8 sign patterns), no interval.
TEST_CASE("compare of three graded documents all lower is no significant change") {
  std::vector<SampleRecord> a, b;
  const double after[3] = {0.5, 0.75, 0.75};
  for (int i = 0; i < 3; ++i) {
    SampleRecord s;
    s.suite = "humaneval";
    s.doc_id = std::to_string(i);
    s.metrics["pass@1"] = 1.0;
    a.push_back(s);
    s.metrics["pass@1"] = after[i];
    b.push_back(s);
  }
  const SuiteComparison c =
      compare_suite_samples("humaneval", "pass@1", true, a, b, CompareOptions{});
  CHECK(c.test == "sign-flip");
  CHECK(c.p_value == 0.25);
  CHECK(std::isnan(c.ci_low));
  CHECK_FALSE(c.significant);
  CHECK_FALSE(c.regression);
}

TEST_CASE("compare pairs by document and keeps unmatched and duplicate documents apart") {
  std::vector<SampleRecord> a, b;
  auto add = [](std::vector<SampleRecord>* v, const std::string& doc, double x) {
    SampleRecord s;
    s.suite = "s";
    s.doc_id = doc;
    s.metrics["m"] = x;
    v->push_back(s);
  };
  add(&a, "1", 1);
  add(&a, "2", 0);
  add(&a, "3", 1);
  add(&b, "2", 1);
  add(&b, "3", 1);
  add(&b, "4", 0);
  SampleRecord failed;  // a failed request (no metric) is still a document of B: it counts 0
  failed.suite = "s";
  failed.doc_id = "5";
  failed.error_type = "connection";
  b.push_back(failed);
  const SuiteComparison c = compare_suite_samples("s", "m", true, a, b, CompareOptions{});
  CHECK(c.shared == 2);
  CHECK(c.only_in_a == 1);
  CHECK(c.only_in_b == 2);
  CHECK(c.zero_b == 0);  // the failed document is not one of the shared ones
  CHECK(std::abs(c.mean_a - (0.5)) < 1e-9);
  CHECK(std::abs(c.mean_b - (1.0)) < 1e-9);
  CHECK(c.b_only_right == 1);
  add(&b, "3", 0);
  CHECK_THROWS_AS(compare_suite_samples("s", "m", true, a, b, CompareOptions{}, "A", "B.jsonl"),
                  InputError);
}

TEST_CASE("compare treats a significant drop within the threshold as no regression") {
  std::vector<SampleRecord> a, b;
  for (int i = 0; i < 100000; ++i) {  // 0.5 points lost, very significant at this n
    SampleRecord s;
    s.suite = "big";
    s.doc_id = std::to_string(i);
    s.metrics["m"] = 1;
    a.push_back(s);
    s.metrics["m"] = i < 500 ? 0 : 1;
    b.push_back(s);
  }
  CompareOptions o;
  o.threshold = 0.01;
  const SuiteComparison c = compare_suite_samples("big", "m", true, a, b, o);
  CHECK(c.significant);
  CHECK_FALSE(c.regression);
  o.threshold = 0.001;
  CHECK(compare_suite_samples("big", "m", true, a, b, o).regression);
}

TEST_CASE("compare reports a missing run as one line naming the file") {
  const auto results = test::fixture_temp_dir("compare-missing");
  try {
    compare_runs(results / "nope", results / "nope2", CompareOptions{});
    FAIL("no error");
  } catch (const InputError& e) {
    CHECK(std::string(e.what()).find("nope/run.json") != std::string::npos);
  }
  std::filesystem::remove_all(results);
}

// Each suite at alpha unadjusted: with eleven suites of an API at temperature > 0 about one night
// in four failed on a chance drop. Holm's step-down keeps the family at alpha.
TEST_CASE("compare adjusts p over the suites with Holm's step-down") {
  CompareOptions options;
  std::vector<SuiteComparison> suites(4);
  const double p[4] = {0.03, 0.01, 0.04, 0.5};
  for (int i = 0; i < 4; ++i) {
    suites[i].suite = "s" + std::to_string(i);
    suites[i].delta = -0.05;  // 5 points worse: past the threshold
    suites[i].p_value = p[i];
  }
  compare_adjust_holm(&suites, options);
  // Sorted 0.01, 0.03, 0.04, 0.5: x4 = 0.04, x3 = 0.09, x2 = 0.08 -> 0.09, x1 = 0.5.
  CHECK(std::abs(suites[1].p_holm - 0.04) < 1e-15);
  CHECK(std::abs(suites[0].p_holm - 0.09) < 1e-15);
  CHECK(std::abs(suites[2].p_holm - 0.09) < 1e-15);
  CHECK(suites[3].p_holm == 0.5);
  CHECK(suites[1].regression);
  CHECK_FALSE(suites[0].regression);  // p 0.03 alone was a regression
  CHECK_FALSE(suites[2].significant);
  // One test: Holm's p is its p.
  std::vector<SuiteComparison> one(1);
  one[0].p_value = 0.03;
  one[0].delta = -0.05;
  compare_adjust_holm(&one, options);
  CHECK(one[0].p_holm == 0.03);
  CHECK(one[0].regression);
}

// 3-5 sample documents a suite (the shipped nightly example): McNemar's smallest p on 5 is 2/32,
// so no drop could be significant; the gate said "no significant change" and passed a suite at 0%.
TEST_CASE("compare names a suite with too few documents to test as untestable") {
  CompareOptions options;
  std::vector<SuiteComparison> suites(3);
  const long shared[3] = {5, 8, 40};
  for (int i = 0; i < 3; ++i) {
    suites[i].test = "mcnemar";
    suites[i].shared = shared[i];
    suites[i].delta = -1.0;
    suites[i].p_value = std::min(1.0, 2 * std::pow(0.5, shared[i]));
  }
  compare_adjust_holm(&suites, options);
  CHECK(suites[0].untestable);        // 3 x 2/32 = 0.19: even all 5 flipped would not show
  CHECK_FALSE(suites[1].untestable);  // 3 x 2/256 = 0.023
  CHECK_FALSE(suites[2].untestable);  // 40 documents
  CHECK(suites[2].regression);
}

// 29/40 against 37/40 is a delta of -0.20000000000000007 in doubles: a drop of exactly
// --threshold 0.2 counted as "more than" it and was a regression.
TEST_CASE("compare treats a drop of exactly the threshold as within it") {
  std::vector<SampleRecord> a, b;
  for (int i = 0; i < 40; ++i) {
    SampleRecord s;
    s.suite = "gsm8k";
    s.doc_id = std::to_string(i);
    s.metrics["m"] = i < 37 ? 1 : 0;
    a.push_back(s);
    s.metrics["m"] = i < 29 ? 1 : 0;
    b.push_back(s);
  }
  CompareOptions o;
  o.threshold = 0.2;
  const SuiteComparison c = compare_suite_samples("gsm8k", "m", true, a, b, o);
  CHECK(c.significant);  // 8 discordant pairs one way: p = 2 / 2^8
  CHECK_FALSE(c.regression);
  o.threshold = 0.19;
  CHECK(compare_suite_samples("gsm8k", "m", true, a, b, o).regression);
  // The same the other way: a gain of exactly the threshold is no improvement.
  o.threshold = 0.2;
  const SuiteComparison back = compare_suite_samples("gsm8k", "m", true, b, a, o);
  CHECK(back.significant);
  CHECK_FALSE(back.improvement);
}
