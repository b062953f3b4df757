// Two evaluation runs compared suite by suite on the samples both scored: the change of a metric
// and a paired test of it (McNemar exact for 0/1 metrics, paired sign-flip test otherwise), flagged
// when significant; a significant drop beyond a threshold is a regression (compare exits 1).
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "reports/run_load.h"

namespace moebench {

struct CompareOptions {
  std::vector<std::string> suites;  // compare only these (each must be in both runs); empty = all
  double alpha = 0.05;              // significance level of the two-sided test
  double threshold = 0.01;          // a drop must also exceed this (metric units: 0.01 = 1 point)
  bool all_metrics = false;         // every metric of every suite, not only the primary one
  int resamples = 10000;            // sign-flip test and bootstrap interval above 16 documents
  uint64_t seed = 1234;
  void validate() const;  // InputError naming the bad field
};

struct SuiteComparison {
  std::string suite, metric;
  bool higher_is_better = true;
  long shared = 0;                          // documents in both runs (the n of the test)
  long only_in_a = 0, only_in_b = 0;        // documents in one run only (not paired, not tested)
  long zero_a = 0, zero_b = 0;              // shared documents counted 0: failed or unscored
  double mean_a = 0, mean_b = 0;            // over the shared documents
  double delta = 0;                         // mean_b - mean_a
  double ci_low = 0, ci_high = 0;           // 95% interval of delta; NaN when none exists
  std::string test;                         // "mcnemar" | "sign-flip"
  long a_only_right = 0, b_only_right = 0;  // McNemar's discordant pairs
  double p_value = 1.0;
  // Holm's step-down adjustment over every (suite, metric) of the comparison, so that one of
  // eleven suites moving by chance fails a nightly gate at most alpha of the time (unadjusted,
  // about 1 - 0.975^11 = 24% of unchanged nights had a false drop). p_value alone: one test.
  double p_holm = 1.0;
  bool significant = false;  // p_holm < alpha
  // Too few documents for the test to reach alpha however they changed (McNemar's smallest p on n
  // documents is 2 / 2^n, times the number of tests under Holm): a drop cannot be seen.
  bool untestable = false;
  bool regression = false;   // significant, worse, and by more than the threshold
  bool improvement = false;  // significant, better, and by more than the threshold
};

// Sets every comparison's p_holm (Holm over all of them) and its significance and verdict from it.
void compare_adjust_holm(std::vector<SuiteComparison>* suites, const CompareOptions& options);

struct RunComparison {
  RunSummary a, b;
  std::vector<SuiteComparison> suites;
  CompareOptions options;
  bool any_regression() const;
};

// The test for one (suite, metric) over two runs' samples of that suite, paired by doc id. A
// sample without the metric (its request failed, or it was not scored) counts 0, as it does in the
// run's own mean; a doc id present twice in one run is an InputError naming `where_a`/`where_b`.
SuiteComparison compare_suite_samples(const std::string& suite, const std::string& metric,
                                      bool higher_is_better, const std::vector<SampleRecord>& a,
                                      const std::vector<SampleRecord>& b,
                                      const CompareOptions& options,
                                      const std::string& where_a = "run A",
                                      const std::string& where_b = "run B");

// Loads both runs (run.json + samples.jsonl) and compares every suite (or options.suites). A
// comparison that cannot be made is an InputError naming the suites: a suite in one run only, no
// metric in common (different filters or scoring), no document in common, or a samples.jsonl that
// disagrees with its run.json.
RunComparison compare_runs(const std::filesystem::path& run_a, const std::filesystem::path& run_b,
                           const CompareOptions& options);

std::string compare_format_text(const RunComparison& c);
std::string compare_format_markdown(const RunComparison& c);
nlohmann::json compare_to_json(const RunComparison& c);

}  // namespace moebench
