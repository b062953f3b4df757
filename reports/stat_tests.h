// Significance tests for comparing runs (McNemar exact, paired sign-flip, paired bootstrap) and
// benchmark timings (Mann-Whitney U as google/benchmark's compare.py uses it), plus a median
// helper.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace moebench {

// McNemar's exact test for paired 0/1 outcomes: the two-sided binomial test on the discordant
// pairs. only_a = items run A got right and run B wrong; only_b = the reverse.
struct McNemarResult {
  long only_a = 0, only_b = 0;
  double p_value = 1.0;
};

// p = min(1, 2 * P[X <= min(only_a, only_b)]) for X ~ Bin(only_a + only_b, 1/2); no discordant
// pairs gives p = 1. Summed in log space, so it stays exact and finite for n up to 10^6 and beyond.
// Throws std::invalid_argument on a negative count.
McNemarResult stats_mcnemar_exact(long only_a, long only_b);

// Paired bootstrap over items: resamples the per-item differences d_i = b_i - a_i (with
// replacement, n per resample) `resamples` times with a seeded std::mt19937_64.
// delta = mean(d); ci_low/ci_high = 2.5th/97.5th percentiles of the resampled means. No p-value:
// the share of resampled means beyond 0 is 0 whenever every d_i has one sign, at any n (one
// document 0.2 lower would be "p = 0"); stats_paired_sign_flip tests.
struct BootstrapResult {
  double delta = 0, ci_low = 0, ci_high = 0;
  int resamples = 0;
};

// Percentiles interpolate linearly between order statistics (numpy's default). The result
// depends only on (a, b, resamples, seed), on every platform. Throws std::invalid_argument when a
// and b differ in size or are empty (naming both sizes), when resamples < 1, or on a non-finite
// value (naming its index).
BootstrapResult stats_paired_bootstrap(const std::vector<double>& a, const std::vector<double>& b,
                                       int resamples = 10000, uint64_t seed = 1234);

// The paired sign-flip (randomization) test of mean(b - a) = 0, two-sided: under the null each
// difference d_i is as likely negated, so p = the share of sign patterns s whose |sum s_i d_i|
// reaches |sum d_i|. Up to kSignFlipExactMax items every pattern is counted (exact = true) and the
// 95% interval is the set of shifts the test does not reject (so it excludes 0 exactly when
// p < 0.05; NaN on both sides when no shift can be rejected: 2 / 2^n >= 0.05, n <= 5). Above,
// `resamples` random patterns give p = (1 + hits) / (1 + resamples), never 0, and the interval is
// the paired bootstrap's. Same argument checks as stats_paired_bootstrap.
struct PairedTestResult {
  double delta = 0, ci_low = 0, ci_high = 0, p_value = 1.0;
  bool exact = false;
  int resamples = 0;  // random sign patterns (and bootstrap resamples); 0 when exact
};

constexpr size_t kSignFlipExactMax = 16;

PairedTestResult stats_paired_sign_flip(const std::vector<double>& a, const std::vector<double>& b,
                                        int resamples = 10000, uint64_t seed = 1234);

// McNemar's 95% interval of the paired difference of proportions (B's minus A's): conditional on
// the only_a + only_b discordant pairs, the Clopper-Pearson interval of B's share of them, times
// their share of the n items. It excludes 0 exactly when stats_mcnemar_exact's p < 0.05 (a Wald
// interval may exclude 0 beside p = 0.0625). No discordant pairs gives [0, 0].
struct PairedInterval {
  double low = 0, high = 0;
};
PairedInterval stats_mcnemar_interval(long only_a, long only_b, long n);

// Two-sided Mann-Whitney U test as google/benchmark's tools/compare.py uses it
// (scipy.stats.mannwhitneyu(x, y, alternative="two-sided"), method "auto").
// u = U statistic of x (scipy's U1: pairs with x_i > y_j, ties counting one half).
// exact = true when the exact null distribution was used.
struct MannWhitneyResult {
  double u = 0;
  double p_value = 1.0;
  bool exact = false;
};

// Method "auto" as scipy chooses it (_mwu_choose_method): exact when there are no ties and at
// least one sample has <= 8 values; otherwise the normal approximation with tie and continuity
// correction. All values tied gives p = 1. Throws std::invalid_argument on an empty sample or NaN.
MannWhitneyResult stats_mann_whitney_u(const std::vector<double>& x, const std::vector<double>& y);

// Median of values (mean of the two middle ones for even n); throws std::invalid_argument on
// empty input or NaN.
double stats_median(std::vector<double> values);

}  // namespace moebench
