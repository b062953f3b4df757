// Basic metrics through the registry (exact_match, acc, acc_norm, choice_match, pass_at_k) and
// aggregation (mean and pooled stderr) against hand-computed numbers.
#include <cmath>

#include "common/error.h"
#include "harness/scoring/aggregate.h"
#include "harness/scoring/registry.h"
#include "tests/catch.h"

using moebench::InputError;
using moebench::MetricDef;
using moebench::MetricInput;
using nlohmann::json;

namespace {

moebench::MetricFn make(const json& spec, MetricDef* def = nullptr) {
  moebench::scoring_register_builtins();
  return moebench::metric_make(spec, "tasks/x.json: metrics[0]", def);
}

double em(const json& args, const std::string& pred, const std::string& target) {
  json spec = args;
  spec["metric"] = "exact_match";
  std::vector<std::string> preds = {pred};
  MetricInput in;
  in.predictions = &preds;
  in.target = target;
  return make(spec)(in).value;
}

double choice(const std::string& metric, const std::vector<double>& ll,
              const std::vector<std::string>& conts, std::vector<int> gold) {
  MetricInput in;
  in.logliks = &ll;
  in.continuations = &conts;
  in.gold = std::move(gold);
  return make({{"metric", metric}})(in).value;
}

double choice_match(const std::string& pred, const std::string& target, std::vector<int> gold) {
  std::vector<std::string> preds = {pred};
  MetricInput in;
  in.predictions = &preds;
  in.target = target;
  in.gold = std::move(gold);
  return make({{"metric", "choice_match"}})(in).value;
}

double subquestion_match(const std::string& pred, const std::string& target) {
  std::vector<std::string> preds = {pred};
  MetricInput in;
  in.predictions = &preds;
  in.target = target;
  return make({{"metric", "subquestion_match"}})(in).value;
}

double pass_at(long k, int n, int c) {
  std::vector<std::string> preds;
  for (int i = 0; i < n; ++i) preds.push_back(i < c ? "passed" : "failed: AssertionError");
  MetricInput in;
  in.predictions = &preds;
  return make({{"metric", "pass_at_k"}, {"k", k}})(in).value;
}

bool near(double a, double b) { return std::abs(a - b) < 1e-12; }

}  // namespace

TEST_CASE("exact_match follows HF evaluate's order of operations", "[scoring][metrics]") {
  CHECK(em({}, "Paris", "Paris") == 1);
  CHECK(em({}, "paris", "Paris") == 0);
  CHECK(em({{"ignore_case", true}}, "PARIS", "paris") == 1);
  CHECK(em({{"ignore_case", true}}, "\xc3\x89T\xc3\x89", "\xc3\xa9t\xc3\xa9") == 1);  // ÉTÉ
  CHECK(em({{"ignore_punctuation", true}}, "a.b,c!", "abc") == 1);
  CHECK(em({{"ignore_numbers", true}}, "a1b2", "ab") == 1);
  // Regexes run first and on both sides, in order: "\\.$" after "," sees "1000." -> "1000".
  json gsm = {{"regexes_to_ignore", {",", "\\$", "(?s).*#### ", "\\.$"}}};
  CHECK(em(gsm, "$1,000.", "so\n#### 1,000") == 1);
  CHECK(em(gsm, "1000..", "#### 1000") == 0);
  // Punctuation removal happens after regexes, so it cannot rescue a regex that needed it.
  CHECK(em({{"regexes_to_ignore", {"^x"}}, {"ignore_punctuation", true}}, ".xa", "xa") == 0);
  // Mean over the n predictions.
  std::vector<std::string> preds = {"a", "b", "a", "c"};
  MetricInput in;
  in.predictions = &preds;
  in.target = "a";
  CHECK(make({{"metric", "exact_match"}})(in).value == 0.5);
}

TEST_CASE("acc vs acc_norm: argmax of raw vs per-character log-likelihood", "[scoring][metrics]") {
  // " Paris" (5 chars without the delimiter) = -6, " a large city in France" (22) = -8.8:
  // raw argmax is Paris (0); per character -1.2 vs -0.4 -> the long one (1).
  std::vector<double> ll = {-6.0, -8.8};
  std::vector<std::string> conts = {" Paris", " a large city in France"};
  CHECK(choice("acc", ll, conts, {0}) == 1);
  CHECK(choice("acc_norm", ll, conts, {0}) == 0);
  CHECK(choice("acc_norm", ll, conts, {1}) == 1);
  // Ties go to the first index (np.argmax).
  CHECK(choice("acc", {-1, -1, -2}, {" A", " B", " C"}, {0}) == 1);
  CHECK(choice("acc", {-1, -1, -2}, {" A", " B", " C"}, {1}) == 0);
  // Multi-answer gold: correct when the argmax is any gold index (lm-eval `pred in gold`).
  CHECK(choice("acc", {-3, -1, -2}, {" A", " B", " C"}, {0, 1}) == 1);
  // Length is in code points, not bytes: "北京" is 2 characters.
  CHECK(choice("acc_norm", {-4.0, -3.0}, {" 北京", " abcd"}, {1}) == 1);
  CHECK(choice("acc_norm", {-3.0, -4.5}, {" 北京", " abc"}, {0}) == 1);  // tie -1.5: first
}

TEST_CASE("choice_match compares letters or canonical letter lists", "[scoring][metrics]") {
  CHECK(choice_match("B", "", {1}) == 1);
  CHECK(choice_match("C", "", {1}) == 0);
  CHECK(choice_match("[invalid]", "", {1}) == 0);
  CHECK(choice_match("3", "3", {2}) == 1);         // ARC's numeric labels: the target is the label
  CHECK(choice_match("b", "", {1}) == 0);          // simple-evals: case matters
  CHECK(choice_match("AC", "", {2, 0}) == 1);      // multi-answer: exact set
  CHECK(choice_match("A C", "", {0, 2}) == 1);     // one question: groups merge
  CHECK(choice_match("A", "", {0, 2}) == 0);       // partial set: no credit
  CHECK(choice_match("ACD", "", {0, 2}) == 0);     // superset: no credit
  CHECK(choice_match("B C A", "B C A", {}) == 1);  // Gaokao list, in order
  CHECK(choice_match("B A C", "B C A", {}) == 0);
  CHECK(choice_match("CB", "BC", {}) == 1);
  CHECK(choice_match("B C", "B C A", {}) == 0);
}

// GAOKAO-Bench's count_score (Bench/OBJ_score_evaluation.py): sub-questions score one by one, an
// answer list of another length scores nothing (check_length_equal).
TEST_CASE("subquestion_match credits each sub-question as GAOKAO-Bench", "[scoring][metrics]") {
  std::string gold20, pred19;  // 2010-2022_English_Fill_in_Blanks/0: 20 blanks
  for (int i = 0; i < 20; ++i) {
    gold20 += std::string(i ? " " : "") + "ABCD"[i % 4];
    pred19 += std::string(i ? " " : "") + (i == 7 ? 'A' : "ABCD"[i % 4]);
  }
  CHECK(choice_match(pred19, gold20, {}) == 0);  // all or nothing
  CHECK(near(subquestion_match(pred19, gold20), 0.95));
  CHECK(subquestion_match(gold20, gold20) == 1);
  CHECK(near(subquestion_match("B A A", "B C A"), 2.0 / 3));
  CHECK(subquestion_match("B C", "B C A") == 0);  // another length: nothing
  CHECK(subquestion_match("B C A D", "B C A") == 0);
  CHECK(near(subquestion_match("AC B", "AC D"), 0.5));  // a multi-answer sub-question: exact set
  CHECK(subquestion_match("A B", "AC B") == 0.5);       // a subset: no credit (REFERENCE.md)
  CHECK(subquestion_match("A C", "AC") == 1);           // one question: groups merge
  CHECK(subquestion_match("[invalid]", "B C A") == 0);
}

TEST_CASE("pass@k: unbiased estimator", "[scoring][metrics]") {
  CHECK(near(pass_at(1, 10, 3), 0.3));
  // k = 5: 1 - C(7,5)/C(10,5) = 1 - 21/252.
  CHECK(near(pass_at(5, 10, 3), 1.0 - 21.0 / 252.0));
  // Hand-computed from n = 10: c = 1 -> pass@5 = 1 - C(9,5)/C(10,5) = 1 - 126/252 = 0.5;
  // c = 5 -> 1 - C(5,5)/C(10,5) = 251/252; pass@1 is always c/n.
  CHECK(near(pass_at(5, 10, 1), 0.5));
  CHECK(near(pass_at(5, 10, 5), 251.0 / 252.0));
  CHECK(near(pass_at(1, 10, 7), 0.7));
  CHECK(near(pass_at(10, 10, 1), 1.0));
  CHECK(pass_at(8, 10, 3) == 1.0);  // n - c < k
  CHECK(pass_at(1, 10, 0) == 0.0);
  // n < k: no estimate (a backend that returned fewer samples than asked for, or a rescored file).
  CHECK_THROWS_WITH(pass_at(10, 5, 1), "pass@10 needs at least 10 samples, this problem has 5");
  MetricDef def;
  make({{"metric", "pass_at_k"}, {"k", 5}}, &def);
  CHECK(def.reported_name(json{{"metric", "pass_at_k"}, {"k", 5}}) == "pass@5");
  CHECK_THROWS_AS(make({{"metric", "pass_at_k"}, {"k", 0}}), InputError);
}

TEST_CASE("unknown metric names the field and lists the known ones", "[scoring][metrics]") {
  try {
    make({{"metric", "exact"}});
    FAIL("no error");
  } catch (const InputError& e) {
    std::string m = e.what();
    CHECK(m.find("tasks/x.json: metrics[0].metric: unknown metric 'exact' (known: acc, "
                 "acc_norm, ") == 0);
  }
  CHECK_THROWS_AS(make({{"metric", "exact_match"}, {"ignore_cse", true}}), InputError);
  CHECK_THROWS_AS(make({{"metric", "exact_match"}, {"aggregation", "median"}}), InputError);
  CHECK_NOTHROW(
      make({{"metric", "exact_match"}, {"aggregation", "mean"}, {"higher_is_better", true}}));
}

TEST_CASE("aggregate_mean: Bessel-corrected stderr", "[scoring][aggregate]") {
  // [1,0,1,1]: mean 0.75, sample var = (3*0.0625 + 0.5625)/3 = 0.25, se = 0.5/2 = 0.25.
  auto s = moebench::aggregate_mean({1, 0, 1, 1});
  CHECK(s.n == 4);
  CHECK(near(s.mean, 0.75));
  CHECK(near(s.stderr_, 0.25));
  CHECK(near(s.ci95_low(), 0.75 - 0.49));
  auto j = s.to_json();
  CHECK(j["n"] == 4);
  CHECK(near(j["ci95"][1].get<double>(), 0.75 + 0.49));
  CHECK(moebench::aggregate_mean({1}).stderr_ == 0);
  CHECK(moebench::aggregate_mean({}).n == 0);
}

// Below two documents there is no stderr (lm-eval writes "N/A"): run.json recorded stderr 0 and a
// zero-width ci95, an interval as certain as it gets, from one document.
TEST_CASE("MetricStat json: no stderr or ci95 below two documents", "[scoring][aggregate]") {
  for (const auto& values : {std::vector<double>{1}, std::vector<double>{}}) {
    const json j = moebench::aggregate_mean(values).to_json();
    INFO(j.dump());
    CHECK(j["n"] == values.size());
    CHECK(j["stderr"].is_null());
    CHECK(j["ci95"].is_null());
  }
  CHECK(moebench::aggregate_mean({1, 0}).to_json()["stderr"].is_number());
}

TEST_CASE("metric_stat_pooled: size-weighted mean, lm-eval pooled stderr", "[scoring][aggregate]") {
  auto a = moebench::aggregate_mean({1, 0, 1, 1});  // n 4, mean .75, se .25
  auto b = moebench::aggregate_mean({0, 1});        // n 2, mean .5, var .5, se .5
  auto p = moebench::metric_stat_pooled({a, b});
  CHECK(p.n == 6);
  CHECK(near(p.mean, (3.0 + 1.0) / 6.0));
  // (3*4*0.0625 + 1*2*0.25) / (6 - 2) / 6 = (0.75 + 0.5) / 24.
  CHECK(near(p.stderr_, std::sqrt(1.25 / 24.0)));
}

// lm-eval's pooled formula divides by sum(n_i) - k: with one document per subject (MMLU at a
// small --limit over shuffled subjects) it is 0/0, and "60% ± 0.0" was reported for 3 of 5.
TEST_CASE("aggregate_metric: one document per subject falls back to the plain stderr",
          "[scoring][aggregate]") {
  const std::vector<double> values = {1, 0, 1, 1, 0};
  const std::vector<std::string> subjects = {"a", "b", "c", "d", "e"};
  const auto pooled = moebench::aggregate_metric(values, subjects, true);
  CHECK(pooled.overall.n == 5);
  CHECK(near(pooled.overall.mean, 0.6));
  // sample sd sqrt(0.3) over sqrt(5): 0.2449.
  CHECK(near(pooled.overall.stderr_, std::sqrt(0.3 / 5)));
}

// GAOKAO-Bench's rate is correct points / possible points (Bench/OBJ_score_evaluation.py): a
// 20-blank item at 1.5 points with 19 right (0.95, weight 30) and a one-question item at 5 points
// wrong (0, weight 5) rate 28.5 / 35 = 0.8143; the plain mean over items said 0.475.
TEST_CASE("aggregate_metric: weighted mean and ratio-estimator stderr", "[scoring][aggregate]") {
  const std::vector<double> values = {0.95, 0};
  const std::vector<double> weights = {30, 5};
  const auto a = moebench::aggregate_metric(values, {"english", "math"}, false, &weights);
  CHECK(a.overall.n == 2);
  CHECK(near(a.overall.mean, 28.5 / 35));
  // n/(n-1) * sum(w_i^2 (v_i - m)^2) / (sum w)^2; with two items both terms are 25 m^2.
  const double m = 28.5 / 35;
  CHECK(near(a.overall.stderr_, std::sqrt(2.0 * 2 * 25 * m * m) / 35));
  CHECK(near(a.groups.at("english").mean, 0.95));
  CHECK(a.groups.at("math").mean == 0);
  CHECK(near(moebench::aggregate_metric(values, {"", ""}, false).overall.mean, 0.475));

  // Equal weights give the plain mean and Bessel stderr exactly as before.
  const std::vector<double> ones(5, 2.0), five = {1, 0, 1, 1, 0};
  const auto same = moebench::aggregate_metric(five, std::vector<std::string>(5), false, &ones);
  const auto plain = moebench::aggregate_mean(five);
  CHECK(near(same.overall.mean, plain.mean));
  CHECK(near(same.overall.stderr_, plain.stderr_));
  CHECK(moebench::aggregate_weighted_mean({1}, {3}).stderr_ == 0);
  CHECK(moebench::aggregate_weighted_mean({}, {}).n == 0);

  // --repeats: a document's weight applies to the mean of its repeats.
  const auto rep =
      moebench::aggregate_metric_repeats({1, 0.9, 0, 0}, 2, {"", ""}, false, nullptr, &weights);
  CHECK(near(rep.overall.mean, 28.5 / 35));
}
