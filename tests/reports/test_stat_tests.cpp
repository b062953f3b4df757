// Tests for reports/stat_tests: McNemar exact, paired bootstrap, Mann-Whitney U, median, against
// hand-worked values, exact big-integer sums and scipy's documented outputs.
#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>
#include <utility>
#include <vector>

#include "reports/stat_tests.h"
#include "tests/catch.h"

using namespace moebench;

namespace {

bool close_rel(double got, double want, double rel) {
  return std::abs(got - want) <= rel * std::abs(want);
}

// Number of subsets of ranks {0..m+n-1} of size m (the x positions) whose U (y's below each x,
// summed) is <= u. Brute force, independent of the Gaussian-binomial counting in stat_tests.cpp.
long brute_count_u_at_most(int m, int n, long u, int start = 0, int picked = 0, long acc = 0) {
  if (acc > u) return 0;
  if (picked == m) return 1;
  long count = 0;
  for (int pos = start; pos < m + n; ++pos) {
    count += brute_count_u_at_most(m, n, u, pos + 1, picked + 1, acc + (pos - picked));
  }
  return count;
}

}  // namespace

TEST_CASE("mcnemar exact matches hand-computed binomial tails") {
  // only_a=10, only_b=2: n=12, p = 2 * (C(12,0)+C(12,1)+C(12,2)) / 2^12 = 2 * 79 / 4096.
  const McNemarResult r = stats_mcnemar_exact(10, 2);
  CHECK(r.only_a == 10);
  CHECK(r.only_b == 2);
  CHECK(std::abs(r.p_value - 2.0 * 79 / 4096) < 1e-14);
  // only_a=0, only_b=7: p = 2 * C(7,0) / 2^7 = 1/64.
  CHECK(std::abs(stats_mcnemar_exact(0, 7).p_value - 1.0 / 64) < 1e-15);
  // One discordant pair: p = 2 * 1/2 = 1.
  CHECK(stats_mcnemar_exact(1, 0).p_value == 1.0);
}

TEST_CASE("mcnemar exact degenerate and symmetric cases") {
  CHECK(stats_mcnemar_exact(0, 0).p_value == 1.0);
  CHECK(stats_mcnemar_exact(5, 5).p_value == 1.0);
  for (auto [a, b] : std::vector<std::pair<long, long>>{{10, 2}, {132, 100}, {3, 17}}) {
    CHECK(stats_mcnemar_exact(a, b).p_value == stats_mcnemar_exact(b, a).p_value);
  }
  CHECK_THROWS_AS(stats_mcnemar_exact(-1, 3), std::invalid_argument);
}

TEST_CASE("mcnemar exact matches big-integer sums for gsm8k-sized and huge n") {
  // References: p = 2 * sum_{i<=k} C(n,i) / 2^n in Python integers (exact), rounded to double:
  //   c=1; s=1
  //   for i in range(1, k+1): c = c*(n-i+1)//i; s += c
  //   float(Fraction(2*s, 2**n))
  // GSM8K has 1319 items; two runs ~10% apart in their discordant pairs.
  CHECK(close_rel(stats_mcnemar_exact(132, 100).p_value, 0.04159407969002068, 1e-10));
  CHECK(close_rel(stats_mcnemar_exact(59, 41).p_value, 0.08862608011406758, 1e-10));
  // Huge n: pow(0.5, n) underflows long before here; the log-space sum must not.
  const double p_big = stats_mcnemar_exact(60000, 59000).p_value;
  CHECK(std::isfinite(p_big));
  CHECK(close_rel(p_big, 0.003779869634776894, 1e-8));
  CHECK(close_rel(stats_mcnemar_exact(500000, 499000).p_value, 0.3175525996737449, 1e-8));
}

TEST_CASE("paired bootstrap of identical runs gives delta 0 and a point interval") {
  const std::vector<double> a = {1, 0, 1, 1, 0, 0, 1, 0, 1, 1};
  const BootstrapResult r = stats_paired_bootstrap(a, a, 2000, 7);
  CHECK(r.delta == 0.0);
  CHECK(r.ci_low == 0.0);
  CHECK(r.ci_high == 0.0);
  CHECK(r.resamples == 2000);
}

TEST_CASE("paired bootstrap of a constant shift gives a point interval") {
  std::vector<double> a, b;
  for (int i = 0; i < 50; ++i) {
    a.push_back(0.01 * i);
    b.push_back(0.01 * i + 0.1);
  }
  const BootstrapResult r = stats_paired_bootstrap(a, b, 1000);
  CHECK(std::abs(r.delta - 0.1) < 1e-12);
  CHECK(std::abs(r.ci_low - 0.1) < 1e-12);
  CHECK(std::abs(r.ci_high - 0.1) < 1e-12);
  CHECK(stats_paired_sign_flip(a, b, 1000).p_value == 1.0 / 1001);
}

TEST_CASE("paired bootstrap interval brackets delta and is reproducible by seed") {
  // 0/1 outcomes on 200 items: B gains 30 items and loses 10, delta = 20/200 = 0.1.
  std::vector<double> a(200, 0.0), b(200, 0.0);
  for (int i = 0; i < 30; ++i) b[i] = 1;
  for (int i = 30; i < 40; ++i) a[i] = 1;
  const BootstrapResult r1 = stats_paired_bootstrap(a, b, 5000, 99);
  const BootstrapResult r2 = stats_paired_bootstrap(a, b, 5000, 99);
  CHECK(std::abs(r1.delta - 0.1) < 1e-15);
  CHECK(r1.ci_low == r2.ci_low);
  CHECK(r1.ci_high == r2.ci_high);
  // d has mean 0.1 and sd sqrt(40/200 - 0.01) = 0.4359, so the mean's se is 0.4359/sqrt(200) =
  // 0.0308: the 95% interval is about 0.1 +- 0.060 and 0 lies ~3.2 se below delta.
  CHECK(r1.ci_low < r1.delta);
  CHECK(r1.ci_high > r1.delta);
  CHECK(std::abs(r1.ci_low - 0.040) < 0.012);
  CHECK(std::abs(r1.ci_high - 0.160) < 0.012);
  CHECK(stats_paired_sign_flip(a, b, 5000, 99).p_value < 0.01);
  // McNemar on the same discordant pairs agrees on significance.
  CHECK(stats_mcnemar_exact(10, 30).p_value < 0.01);
}

TEST_CASE("paired bootstrap rejects mismatched, empty and non-finite input") {
  CHECK_THROWS_WITH(stats_paired_bootstrap({1, 2, 3}, {1, 2}),
                    "stats_paired_bootstrap: a and b must have equal, non-zero size; got "
                    "a.size()=3, b.size()=2");
  CHECK_THROWS_AS(stats_paired_bootstrap({}, {}), std::invalid_argument);
  CHECK_THROWS_AS(stats_paired_bootstrap({1}, {1}, 0), std::invalid_argument);
  CHECK_THROWS_AS(stats_paired_bootstrap({1, NAN}, {1, 2}), std::invalid_argument);
}

TEST_CASE("mann whitney exact on fully separated samples") {
  // x = {1,2,3}, y = {4,5,6}: no x beats a y, U1 = 0. Of the C(6,3) = 20 arrangements only one
  // has U = 0, so p = 2 * 1/20 = 0.1.
  const MannWhitneyResult r = stats_mann_whitney_u({1, 2, 3}, {4, 5, 6});
  CHECK(r.exact);
  CHECK(r.u == 0.0);
  CHECK(std::abs(r.p_value - 0.1) < 1e-15);
  const MannWhitneyResult flipped = stats_mann_whitney_u({4, 5, 6}, {1, 2, 3});
  CHECK(flipped.u == 9.0);
  CHECK(std::abs(flipped.p_value - 0.1) < 1e-15);
}

TEST_CASE("mann whitney exact matches the scipy documentation example") {
  // scipy.stats.mannwhitneyu docstring: males vs females, U1 = 17, exact p = 0.1111111111111111.
  const MannWhitneyResult r = stats_mann_whitney_u({19, 22, 16, 29, 24}, {20, 11, 17, 12});
  CHECK(r.exact);
  CHECK(r.u == 17.0);
  CHECK(std::abs(r.p_value - 0.1111111111111111) < 1e-15);
}

TEST_CASE("mann whitney exact distribution matches brute-force enumeration") {
  // Every arrangement of 4 x's among 5 y's (126 of them): p = 2 * #{U <= min(U1, U2)} / 126.
  const int m = 4, n = 5;
  for (long u1 = 0; u1 <= m * n; ++u1) {
    // Build x so that U1 = u1: x_i sits just above c_i of the y's (y = 0..4), c nondecreasing,
    // offsets by i keep the x values distinct.
    std::vector<double> x, y = {0, 1, 2, 3, 4};
    long left = u1;
    for (int i = 0; i < m; ++i) {
      const long c = std::min<long>(n, left);
      left -= c;
      x.push_back(static_cast<double>(c) - 0.5 + 0.01 * i);
    }
    const MannWhitneyResult r = stats_mann_whitney_u(x, y);
    REQUIRE(r.u == static_cast<double>(u1));
    const long low = std::min<long>(u1, m * n - u1);
    const double want = std::min(1.0, 2.0 * brute_count_u_at_most(m, n, low) / 126);
    INFO("u1 = " << u1);
    CHECK(std::abs(r.p_value - want) < 1e-14);
  }
}

TEST_CASE("mann whitney exact for a small sample against a large one") {
  // n1 = 8 stays exact however large n2 is (scipy: asymptotic only when both exceed 8). x_i sits
  // just above c_i of the y's (y = 0..n2-1), so U1 = sum(c). References: the coefficients of the
  // Gaussian binomial [n1+n2 choose n1]_q summed up to U1 in Python integers, times 2/C(n1+n2, n1).
  std::vector<double> y900, y1000;
  for (int i = 0; i < 900; ++i) y900.push_back(i);
  for (int i = 0; i < 1000; ++i) y1000.push_back(i);
  std::vector<double> x;
  for (double c : {10, 50, 90, 130, 170, 210, 250, 290}) x.push_back(c - 0.5);
  // C(908, 8) < 2^64: counted in integers.
  const MannWhitneyResult r900 = stats_mann_whitney_u(x, y900);
  CHECK(r900.exact);
  CHECK(r900.u == 1200.0);
  CHECK(close_rel(r900.p_value, 0.0005378349636199083, 1e-12));
  // C(1008, 8) = 25708099169553626826 > 2^64: counted in doubles.
  x.clear();
  for (double c : {100, 200, 250, 300, 350, 400, 401, 499}) x.push_back(c - 0.5);
  const MannWhitneyResult r1000 = stats_mann_whitney_u(x, y1000);
  CHECK(r1000.exact);
  CHECK(r1000.u == 2500.0);
  CHECK(close_rel(r1000.p_value, 0.06688912334757373, 1e-9));
  // U1 = 0: exactly one arrangement, p = 2 / C(1008, 8).
  const MannWhitneyResult low = stats_mann_whitney_u({-8, -7, -6, -5, -4, -3, -2, -1}, y1000);
  CHECK(close_rel(low.p_value, 7.779649466922164e-20, 1e-12));
}

TEST_CASE("mann whitney normal approximation with ties") {
  // x = {1,2,2,3}, y = {2,3,4,5}. Pooled and sorted: 1x 2x 2x 2y 3x 3y 4y 5y.
  // Midranks: 1 -> 1; the three 2s share ranks 2,3,4 -> 3; the two 3s share 5,6 -> 5.5; 4 -> 7;
  // 5 -> 8. R1 = 1 + 3 + 3 + 5.5 = 12.5, U1 = R1 - n1(n1+1)/2 = 12.5 - 10 = 2.5.
  // Ties, so scipy's "auto" takes the normal approximation:
  //   mu = n1*n2/2 = 8; n = 8; sum(t^3 - t) = (27 - 3) + (8 - 2) = 30
  //   sigma^2 = 16/12 * (9 - 30/56) = 11.285714..., sigma = 3.359421718944
  //   z = (|2.5 - 8| - 0.5) / sigma = 5 / 3.359421718944 = 1.488350
  //   p = erfc(1.488350 / sqrt(2)) = 0.136658247738
  const MannWhitneyResult r = stats_mann_whitney_u({1, 2, 2, 3}, {2, 3, 4, 5});
  CHECK_FALSE(r.exact);
  CHECK(r.u == 2.5);
  CHECK(std::abs(r.p_value - 0.13665824773814753) < 1e-12);
}

TEST_CASE("mann whitney normal approximation for two samples of 9") {
  // No ties but both samples > 8: asymptotic. x = 1..9, y = 10..18, U1 = 0, mu = 40.5,
  // sigma^2 = 81/12 * 19 = 128.25, z = (40.5 - 0.5) / sqrt(128.25) = 3.53209,
  // p = erfc(3.53209 / sqrt(2)) = 4.122948e-4.
  std::vector<double> x, y;
  for (int i = 1; i <= 9; ++i) {
    x.push_back(i);
    y.push_back(i + 9);
  }
  const MannWhitneyResult r = stats_mann_whitney_u(x, y);
  CHECK_FALSE(r.exact);
  CHECK(r.u == 0.0);
  CHECK(close_rel(r.p_value, 0.0004122948020616911, 1e-10));
}

TEST_CASE("mann whitney with no difference gives p 1") {
  // All values equal: sigma = 0, p = 1.
  const MannWhitneyResult same = stats_mann_whitney_u({2, 2, 2}, {2, 2, 2, 2});
  CHECK_FALSE(same.exact);
  CHECK(same.u == 6.0);
  CHECK(same.p_value == 1.0);
  // x == y: ties, so asymptotic; U1 = n1*n2/2 = 4.5 exactly, and the continuity correction stops
  // at 0 (scipy subtracts 0.5 * sign(U1 - mu)), so z = 0 and p = 1.
  const MannWhitneyResult equal = stats_mann_whitney_u({1, 2, 3}, {1, 2, 3});
  CHECK_FALSE(equal.exact);
  CHECK(equal.u == 4.5);
  CHECK(equal.p_value == 1.0);
  // Exact, U1 = mu = 2 for x = {1, 4}, y = {2, 3}: P[U <= 2] = 4/6 of C(4,2), so 2 * P > 1 -> 1.
  CHECK(stats_mann_whitney_u({1, 4}, {2, 3}).p_value == 1.0);
}

TEST_CASE("mann whitney rejects empty samples and NaN") {
  CHECK_THROWS_AS(stats_mann_whitney_u({}, {1, 2}), std::invalid_argument);
  CHECK_THROWS_AS(stats_mann_whitney_u({1, NAN}, {1, 2}), std::invalid_argument);
}

TEST_CASE("median of odd and even counts") {
  CHECK(stats_median({3, 1, 2}) == 2.0);
  CHECK(stats_median({4, 1, 3, 2}) == 2.5);
  CHECK(stats_median({7}) == 7.0);
  CHECK(stats_median({-1, -1, 5, 5}) == 2.0);
  CHECK_THROWS_AS(stats_median({}), std::invalid_argument);
}

// The paired test of graded metrics: a bootstrap p was 0 whenever every difference had one sign,
// so one document 0.2 lower (or three documents each a little lower) read as a regression.
TEST_CASE("sign-flip test: few documents cannot be significant, and p is never 0") {
  const PairedTestResult one = stats_paired_sign_flip({1.0}, {0.8});
  CHECK(one.exact);
  CHECK(one.p_value == 1.0);
  CHECK(std::isnan(one.ci_low));  // 2 sign patterns: no interval at 95%
  CHECK(std::isnan(one.ci_high));
  // Three documents all lower: 2 of the 8 sign patterns reach |mean| (the sign test's 0.25).
  const PairedTestResult three = stats_paired_sign_flip({1, 1, 1}, {0.5, 0.75, 0.75});
  CHECK(std::abs(three.delta + 1.0 / 3) < 1e-15);
  CHECK(three.p_value == 0.25);
  CHECK(std::isnan(three.ci_low));
  // Eight documents all lower: 2 / 256.
  const std::vector<double> a8 = {1, 1, 1, 1, 1, 1, 1, 1};
  const std::vector<double> b8 = {0.9, 0.8, 0.7, 0.95, 0.85, 0.6, 0.9, 0.75};
  const PairedTestResult eight = stats_paired_sign_flip(a8, b8);
  CHECK(std::abs(eight.p_value - 2.0 / 256) < 1e-15);
  CHECK(eight.ci_high < 0);
  CHECK(eight.ci_low < eight.delta);
  CHECK(eight.ci_high > eight.delta);
  // Many documents all one way: Monte Carlo, p = (1 + hits) / (1 + resamples) > 0.
  std::vector<double> a(100, 1.0), b(100, 0.9);
  const PairedTestResult many = stats_paired_sign_flip(a, b, 999, 5);
  CHECK_FALSE(many.exact);
  CHECK(many.p_value == 1.0 / 1000);
  CHECK(many.resamples == 999);
}

TEST_CASE("sign-flip test: the exact interval excludes 0 exactly when p < 0.05") {
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> u(0, 1);
  int excluded = 0;
  for (int trial = 0; trial < 40; ++trial) {
    const size_t n = 6 + trial % 11;  // 6..16: the exact path
    std::vector<double> a(n), b(n);
    for (size_t i = 0; i < n; ++i) {
      a[i] = u(rng);
      b[i] = a[i] + (u(rng) - 0.3) * 0.4;  // mostly higher
    }
    const PairedTestResult r = stats_paired_sign_flip(a, b);
    INFO("n=" << n << " p=" << r.p_value << " ci=[" << r.ci_low << ", " << r.ci_high << "]");
    REQUIRE(r.exact);
    CHECK(r.ci_low <= r.delta);
    CHECK(r.ci_high >= r.delta);
    const bool excludes = r.ci_low > 0 || r.ci_high < 0;
    CHECK(excludes == (r.p_value < 0.05));
    excluded += excludes;
  }
  CHECK(excluded > 5);  // both outcomes occur among the trials
  CHECK(excluded < 35);
  // Identical runs: p 1, the point interval at 0.
  const std::vector<double> same = {1, 0, 0.5, 0.25, 1, 0, 0.75, 1, 0, 1};
  const PairedTestResult r = stats_paired_sign_flip(same, same);
  CHECK(r.p_value == 1.0);
  CHECK(r.ci_low == 0.0);
  CHECK(r.ci_high == 0.0);
}

// McNemar's interval: conditional on the discordant pairs, Clopper-Pearson on their split, so it
// excludes 0 exactly when the exact test's p < 0.05 (a Wald interval gave [-9.27, -0.73] points
// beside p = 0.0625 for 5 discordant pairs out of 100).
TEST_CASE("mcnemar interval agrees with the exact test") {
  const PairedInterval five = stats_mcnemar_interval(5, 0, 100);
  CHECK(std::abs(five.low - (-0.05)) < 1e-12);
  // 0 of 5 to B: Clopper-Pearson upper bound 1 - 0.025^(1/5) = 0.52182, diff (2p - 1) * 5 / 100.
  CHECK(std::abs(five.high - (2 * (1 - std::pow(0.025, 0.2)) - 1) * 0.05) < 1e-9);
  CHECK(five.high > 0);
  CHECK(stats_mcnemar_exact(5, 0).p_value >= 0.05);
  for (auto [x, y] : std::vector<std::pair<long, long>>{
           {6, 0}, {10, 2}, {9, 2}, {132, 100}, {59, 41}, {3, 17}, {0, 0}, {40, 40}}) {
    const PairedInterval ci = stats_mcnemar_interval(x, y, 1319);
    INFO(x << " vs " << y << ": [" << ci.low << ", " << ci.high << "]");
    CHECK(ci.low <= (y - x) / 1319.0 + 1e-12);
    CHECK(ci.high >= (y - x) / 1319.0 - 1e-12);
    CHECK((ci.low > 0 || ci.high < 0) == (stats_mcnemar_exact(x, y).p_value < 0.05));
  }
}
