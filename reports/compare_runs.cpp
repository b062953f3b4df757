// compare_runs: pairs two runs' samples by document and tests each suite's change.
#include "reports/compare_runs.h"

#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <unordered_map>

#include "common/error.h"
#include "reports/site_html.h"
#include "reports/stat_tests.h"

namespace moebench {
namespace fs = std::filesystem;

namespace {

struct DocValues {
  std::unordered_map<std::string, double> value;  // every document of the suite
  std::set<std::string> zero;                     // counted 0: failed or without the metric
  // The document's weight in the suite's mean (SampleRecord::weight; gaokao's doc_weight).
  std::unordered_map<std::string, double> weight;
};

// Each document's value: with --repeats the mean over its repeats (avg@N, as the run's own
// mean is over documents), each repeat once.
DocValues values_by_doc(const std::vector<SampleRecord>& samples, const std::string& suite,
                        const std::string& metric, const std::string& where) {
  DocValues out;
  std::map<std::string, std::set<int>> repeats;
  for (const auto& s : samples) {
    if (s.suite != suite) continue;
    auto it = s.metrics.find(metric);
    const bool scored = it != s.metrics.end() && std::isfinite(it->second) && s.error_type.empty();
    if (!repeats[s.doc_id].insert(s.repeat.value_or(0)).second) {
      throw input_error(where, "suite '" + suite + "' has document '" + s.doc_id + "'" +
                                   (s.repeat ? " repeat " + std::to_string(*s.repeat) : "") +
                                   " twice");
    }
    out.value[s.doc_id] += scored ? it->second : 0.0;
    if (!scored) out.zero.insert(s.doc_id);
    if (s.weight) out.weight[s.doc_id] = *s.weight;
  }
  for (auto& [doc, v] : out.value) v /= static_cast<double>(repeats[doc].size());
  return out;
}

// xa and xb (the shared documents' values, in `shared`'s order) times w n / sum(w), each
// document's weight read from A (else B; 1 when neither has one).
void scale_by_weight(const std::map<std::string, std::pair<double, double>>& shared,
                     const DocValues& va, const DocValues& vb, std::vector<double>* xa,
                     std::vector<double>* xb) {
  std::vector<double> w;
  double sum = 0;
  for (const auto& [doc, unused] : shared) {
    double weight = 1.0;
    if (auto it = va.weight.find(doc); it != va.weight.end()) {
      weight = it->second;
    } else if (auto jt = vb.weight.find(doc); jt != vb.weight.end()) {
      weight = jt->second;
    }
    w.push_back(weight);
    sum += weight;
  }
  for (size_t i = 0; i < w.size(); ++i) {
    const double k = w[i] * static_cast<double>(w.size()) / sum;
    (*xa)[i] *= k;
    (*xb)[i] *= k;
  }
}

bool all_binary(const std::vector<double>& v) {
  for (double x : v) {
    if (x != 0.0 && x != 1.0) return false;
  }
  return true;
}

void test_binary(const std::vector<double>& a, const std::vector<double>& b, SuiteComparison* c) {
  for (size_t i = 0; i < a.size(); ++i) {
    c->a_only_right += a[i] == 1.0 && b[i] == 0.0;
    c->b_only_right += a[i] == 0.0 && b[i] == 1.0;
  }
  c->test = "mcnemar";
  c->p_value = stats_mcnemar_exact(c->a_only_right, c->b_only_right).p_value;
  const PairedInterval ci =
      stats_mcnemar_interval(c->a_only_right, c->b_only_right, static_cast<long>(a.size()));
  c->ci_low = ci.low;
  c->ci_high = ci.high;
}

// The significance (Holm's p against alpha) and what it means for the suite. NOTE: beyond the
// threshold by more than a rounding error: 29/40 - 37/40 is -0.20000000000000007, and a drop of
// exactly --threshold 0.2 is within it.
void set_verdict(SuiteComparison* c, const CompareOptions& options) {
  constexpr double kTolerance = 1e-9;
  c->significant = c->p_holm < options.alpha;
  const double gain = c->higher_is_better ? c->delta : -c->delta;
  c->regression = c->significant && gain < 0 && -gain > options.threshold + kTolerance;
  c->improvement = c->significant && gain > 0 && gain > options.threshold + kTolerance;
}

const char* verdict(const SuiteComparison& c) {
  if (c.regression) return "REGRESSION";
  if (c.improvement) return "improved";
  if (c.significant) return "significant, within threshold";
  if (c.untestable) return "untestable: too few documents";
  return "no significant change";
}

// The smallest p the suite's test can give on its documents: every pair discordant one way
// (McNemar: 2 / 2^n), every difference of one sign (the sign-flip test: exact 2 / 2^n, random
// 1 / (1 + resamples)).
double smallest_p(const SuiteComparison& c, const CompareOptions& options) {
  const double n = static_cast<double>(c.shared);
  if (c.test == "sign-flip" && c.shared > static_cast<long>(kSignFlipExactMax)) {
    return 1.0 / (1.0 + options.resamples);
  }
  return std::min(1.0, 2.0 * std::pow(0.5, n));
}

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), f, v);
  return buf;
}

std::string points(double v) { return fmt("%+.2f", 100 * v); }

// "[-1.20, +0.40]"; "—" when no interval exists (a sign-flip test of 5 or fewer documents).
std::string ci_cell(const SuiteComparison& s) {
  if (std::isnan(s.ci_low)) return "—";
  return "[" + points(s.ci_low) + ", " + points(s.ci_high) + "]";
}

// "0/9": shared documents counted 0 in A / in B because they failed or were not scored.
std::string zero_cell(const SuiteComparison& s) {
  return std::to_string(s.zero_a) + "/" + std::to_string(s.zero_b);
}

// Lines under the table: documents left unpaired, and what "failed" means.
std::string notes(const RunComparison& c) {
  std::string out;
  bool any_failed = false;
  for (const auto& s : c.suites) {
    any_failed |= s.zero_a > 0 || s.zero_b > 0;
    if (s.only_in_a == 0 && s.only_in_b == 0) continue;
    out += s.suite + " (" + s.metric + "): " + std::to_string(s.only_in_a) +
           " documents only in A, " + std::to_string(s.only_in_b) +
           " only in B: not paired, not tested\n";
  }
  if (any_failed) {
    out +=
        "failed: documents whose request failed or that were not scored; they count 0, as in "
        "the runs' own means\n";
  }
  return out;
}

struct SuitePair {
  const SuiteResult *a, *b;
};

// The suites both runs hold (all of options.suites when given); a suite in one run only is a
// problem, since a gate must not pass by leaving a suite out.
std::vector<SuitePair> suite_pairs(const RunSummary& a, const RunSummary& b,
                                   const CompareOptions& options,
                                   std::vector<std::string>* problems) {
  std::vector<std::string> names = options.suites;
  if (names.empty()) {
    std::set<std::string> all;
    for (const SuiteResult& s : a.suites) all.insert(s.name);
    for (const SuiteResult& s : b.suites) all.insert(s.name);
    names.assign(all.begin(), all.end());
  }
  std::vector<SuitePair> out;
  for (const std::string& name : names) {
    const SuiteResult* sa = a.suite(name);
    const SuiteResult* sb = b.suite(name);
    if (sa && sb) {
      if (const std::string change = suite_setup_change(*sa, *sb); !change.empty()) {
        problems->push_back("suite '" + name + "' was set up differently (" + change +
                            "): its scores are not comparable");
        continue;
      }
      out.push_back({sa, sb});
    } else {
      problems->push_back("suite '" + name + "' is " +
                          (!sa && !sb ? "in neither run"
                           : sa       ? "only in A (" + a.run_id + ")"
                                      : "only in B (" + b.run_id + ")") +
                          (options.suites.empty() ? " (--suites compares a subset)" : ""));
    }
  }
  return out;
}

// The primary metric (or every metric with --all-metrics) when both runs report it; a suite whose
// metrics differ (another filter, log-likelihood vs generation scoring) is a problem.
std::vector<std::string> metrics_to_test(const SuiteResult& a, const SuiteResult& b,
                                         const CompareOptions& options,
                                         std::vector<std::string>* problems) {
  std::vector<std::string> out;
  if (!options.all_metrics) {
    if (a.primary_metric == b.primary_metric && b.metrics.count(a.primary_metric)) {
      return {a.primary_metric};
    }
  } else {
    for (const auto& [metric, stat] : a.metrics) {
      if (b.metrics.count(metric)) out.push_back(metric);
    }
    if (!out.empty()) return out;
  }
  auto scored = [](const SuiteResult& s) {
    return s.scored_by.empty() ? std::string() : ", scored by " + s.scored_by;
  };
  problems->push_back("suite '" + a.name + "' has no metric in common: A reports '" +
                      a.primary_metric + "'" + scored(a) + ", B '" + b.primary_metric + "'" +
                      scored(b));
  return out;
}

}  // namespace

void CompareOptions::validate() const {
  if (!(alpha > 0 && alpha < 1)) throw InputError("--alpha: must be in (0, 1)");
  if (!(threshold >= 0)) throw InputError("--threshold: must be >= 0");
  if (resamples < 100) throw InputError("--resamples: must be >= 100");
}

bool RunComparison::any_regression() const {
  for (const auto& s : suites) {
    if (s.regression) return true;
  }
  return false;
}

SuiteComparison compare_suite_samples(const std::string& suite, const std::string& metric,
                                      bool higher_is_better, const std::vector<SampleRecord>& a,
                                      const std::vector<SampleRecord>& b,
                                      const CompareOptions& options, const std::string& where_a,
                                      const std::string& where_b) {
  SuiteComparison c;
  c.suite = suite;
  c.metric = metric;
  c.higher_is_better = higher_is_better;
  const DocValues va = values_by_doc(a, suite, metric, where_a);
  const DocValues vb = values_by_doc(b, suite, metric, where_b);
  std::map<std::string, std::pair<double, double>>
      shared;  // ordered: results do not depend on hashing
  for (const auto& [doc, x] : va.value) {
    auto it = vb.value.find(doc);
    if (it == vb.value.end()) {
      ++c.only_in_a;
      continue;
    }
    shared[doc] = {x, it->second};
    c.zero_a += va.zero.count(doc);
    c.zero_b += vb.zero.count(doc);
  }
  c.shared = static_cast<long>(shared.size());
  c.only_in_b = static_cast<long>(vb.value.size()) - c.shared;
  if (shared.empty()) {
    throw input_error(where_b, "suite '" + suite + "' has no document in common with " + where_a +
                                   " (" + std::to_string(va.value.size()) + " and " +
                                   std::to_string(vb.value.size()) + " documents)");
  }
  std::vector<double> xa, xb;
  for (const auto& [doc, pair] : shared) {
    xa.push_back(pair.first);
    xb.push_back(pair.second);
  }
  // A weighted suite's documents scaled by w n / sum(w): their plain mean is the weighted mean
  // the runs report, and the paired test is on the weighted change.
  const bool weighted = !va.weight.empty() || !vb.weight.empty();
  if (weighted) scale_by_weight(shared, va, vb, &xa, &xb);
  for (size_t i = 0; i < xa.size(); ++i) {
    c.mean_a += xa[i];
    c.mean_b += xb[i];
  }
  c.mean_a /= xa.size();
  c.mean_b /= xb.size();
  c.delta = c.mean_b - c.mean_a;
  if (!weighted && all_binary(xa) && all_binary(xb)) {
    test_binary(xa, xb, &c);
  } else {
    const PairedTestResult r = stats_paired_sign_flip(xa, xb, options.resamples, options.seed);
    c.test = "sign-flip";
    c.p_value = r.p_value;
    c.ci_low = r.ci_low;
    c.ci_high = r.ci_high;
  }
  c.p_holm = c.p_value;  // one test; compare_adjust_holm sets it over a comparison's suites
  c.untestable = smallest_p(c, options) >= options.alpha;
  set_verdict(&c, options);
  return c;
}

void compare_adjust_holm(std::vector<SuiteComparison>* suites, const CompareOptions& options) {
  std::vector<SuiteComparison*> order;
  for (SuiteComparison& s : *suites) order.push_back(&s);
  std::stable_sort(
      order.begin(), order.end(),
      [](const SuiteComparison* x, const SuiteComparison* y) { return x->p_value < y->p_value; });
  // p_(i) x (m - i), made non-decreasing along the sorted order, capped at 1.
  double running = 0;
  const size_t m = order.size();
  for (size_t i = 0; i < m; ++i) {
    running = std::max(running, std::min(1.0, order[i]->p_value * static_cast<double>(m - i)));
    order[i]->p_holm = running;
    order[i]->untestable = smallest_p(*order[i], options) * static_cast<double>(m) >= options.alpha;
    set_verdict(order[i], options);
  }
}

RunComparison compare_runs(const fs::path& run_a, const fs::path& run_b,
                           const CompareOptions& options) {
  options.validate();
  RunComparison out;
  out.options = options;
  out.a = run_load_summary(run_dir_of(run_a));
  out.b = run_load_summary(run_dir_of(run_b));
  const std::vector<SampleRecord> sa = run_load_samples(out.a.dir);
  const std::vector<SampleRecord> sb = run_load_samples(out.b.dir);
  const std::string where_a = (out.a.dir / "samples.jsonl").string();
  const std::string where_b = (out.b.dir / "samples.jsonl").string();
  std::vector<std::string> problems;
  // NOTE: the bundled samples reuse the datasets' document ids for other questions.
  const bool samples_a = out.a.base_scope.rfind("samples", 0) == 0;
  if (samples_a != (out.b.base_scope.rfind("samples", 0) == 0)) {
    problems.push_back(std::string(samples_a ? "A" : "B") +
                       " ran the bundled sample documents and " + (samples_a ? "B" : "A") +
                       " the datasets: the same ids name other questions");
  }
  for (const std::string& p : run_samples_mismatch(out.a, sa)) problems.push_back(p);
  for (const std::string& p : run_samples_mismatch(out.b, sb)) problems.push_back(p);
  for (const SuitePair& p : suite_pairs(out.a, out.b, options, &problems)) {
    for (const std::string& metric : metrics_to_test(*p.a, *p.b, options, &problems)) {
      try {
        out.suites.push_back(compare_suite_samples(p.a->name, metric,
                                                   p.a->metrics.at(metric).higher_is_better, sa, sb,
                                                   options, where_a, where_b));
      } catch (const InputError& e) {
        problems.push_back(e.what());
      }
    }
  }
  compare_adjust_holm(&out.suites, options);
  if (problems.empty() && out.suites.empty()) problems.push_back("no suite to compare");
  if (!problems.empty()) {
    std::string all;
    for (const std::string& p : problems) all += (all.empty() ? "" : "; ") + p;
    throw InputError("compare: cannot compare " + out.a.run_id + " with " + out.b.run_id + ": " +
                     all);
  }
  return out;
}

namespace {

// "result: no significant regression (alpha 0.05 on Holm's p over 4 tests, threshold 1.00
// points)", its verdict between `open` and `close` (Markdown's bold).
std::string result_line(const RunComparison& c, const std::string& open, const std::string& close) {
  std::string out = open +
                    (c.any_regression() ? "result: significant regression"
                                        : "result: no significant regression") +
                    close;
  // Holm's correction runs over every (suite, metric) row compared (compare_adjust_holm).
  const size_t tests = c.suites.size();
  return out + fmt(" (alpha %.3g", c.options.alpha) + " on Holm's p over " + std::to_string(tests) +
         (tests == 1 ? " test" : " tests") +
         fmt(", threshold %.2f points)\n", 100 * c.options.threshold);
}

}  // namespace

std::string compare_format_text(const RunComparison& c) {
  std::string out = "A: " + c.a.run_id + " (" + c.a.backend_id + ")\nB: " + c.b.run_id + " (" +
                    c.b.backend_id + ")\n";
  char line[640];
  std::snprintf(line, sizeof(line), "%-26s %-28s %6s %9s %8s %8s %8s %17s %-9s %9s %9s  %s\n",
                "suite", "metric", "n", "failed", "A %", "B %", "delta", "95% CI (points)", "test",
                "p", "Holm p", "verdict");
  out += line;
  for (const auto& s : c.suites) {
    std::snprintf(line, sizeof(line),
                  "%-26s %-28s %6ld %9s %8.2f %8.2f %8s %17s %-9s %9.3g %9.3g  %s\n",
                  s.suite.c_str(), s.metric.c_str(), s.shared, zero_cell(s).c_str(), 100 * s.mean_a,
                  100 * s.mean_b, points(s.delta).c_str(), ci_cell(s).c_str(), s.test.c_str(),
                  s.p_value, s.p_holm, verdict(s));
    out += line;
  }
  out += notes(c);
  return out + result_line(c, "", "");
}

std::string compare_format_markdown(const RunComparison& c) {
  std::string out = "**A** `" + md_cell(c.a.run_id) + "` (" + md_cell(c.a.backend_id) +
                    ") vs **B** `" + md_cell(c.b.run_id) + "` (" + md_cell(c.b.backend_id) +
                    ")\n\n";
  out +=
      "| suite | metric | n | failed A/B | A % | B % | Δ points | 95% CI | test | p | Holm p | "
      "verdict |\n";
  out += "|---|---|---:|---:|---:|---:|---:|---|---|---:|---:|---|\n";
  for (const auto& s : c.suites) {
    out += "| " + md_cell(s.suite) + " | " + md_cell(s.metric) + " | " + std::to_string(s.shared) +
           " | " + zero_cell(s) + " | " + fmt("%.2f", 100 * s.mean_a) + " | " +
           fmt("%.2f", 100 * s.mean_b) + " | " + points(s.delta) + " | " + ci_cell(s) + " | " +
           s.test + " | " + fmt("%.3g", s.p_value) + " | " + fmt("%.3g", s.p_holm) + " | " +
           (s.regression    ? "🔻 **"
            : s.improvement ? "🔺 "
                            : "") +
           verdict(s) + (s.regression ? "**" : "") + " |\n";
  }
  const std::string n = notes(c);
  if (!n.empty()) out += "\n";
  for (size_t at = 0, end; at < n.size(); at = end + 1) {
    end = n.find('\n', at);
    out += "- " + md_cell(n.substr(at, end - at)) + "\n";
  }
  return out + "\n" + result_line(c, "**", "**");
}

nlohmann::json compare_to_json(const RunComparison& c) {
  nlohmann::json suites = nlohmann::json::array();
  for (const auto& s : c.suites) {
    suites.push_back({{"suite", s.suite},
                      {"metric", s.metric},
                      {"higher_is_better", s.higher_is_better},
                      {"shared", s.shared},
                      {"only_in_a", s.only_in_a},
                      {"only_in_b", s.only_in_b},
                      {"failed_a", s.zero_a},
                      {"failed_b", s.zero_b},
                      {"mean_a", s.mean_a},
                      {"mean_b", s.mean_b},
                      {"delta", s.delta},
                      {"ci95", {s.ci_low, s.ci_high}},
                      {"test", s.test},
                      {"a_only_right", s.a_only_right},
                      {"b_only_right", s.b_only_right},
                      {"p_value", s.p_value},
                      {"p_holm", s.p_holm},
                      {"significant", s.significant},
                      {"untestable", s.untestable},
                      {"regression", s.regression},
                      {"improvement", s.improvement}});
  }
  return {{"a", {{"run_id", c.a.run_id}, {"backend", c.a.backend_id}, {"dir", c.a.dir.string()}}},
          {"b", {{"run_id", c.b.run_id}, {"backend", c.b.backend_id}, {"dir", c.b.dir.string()}}},
          {"alpha", c.options.alpha},
          {"threshold", c.options.threshold},
          {"suites", suites},
          {"regression", c.any_regression()}};
}

}  // namespace moebench
