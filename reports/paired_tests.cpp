// stats_paired_sign_flip and stats_mcnemar_interval: the paired tests' p-values and the intervals
// that agree with them (reports/stat_tests.h).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>

#include "reports/stat_tests.h"

namespace moebench {
namespace {

constexpr double kLevel = 0.05;  // the intervals are 95%

// |sum e_i|, the statistic a sign pattern must reach, less a 1e-9 relative tolerance so that sums
// equal but for rounding count as reaching it; and the sum itself.
std::pair<double, double> reach_target(const std::vector<double>& e) {
  double observed = 0, scale = 0;
  for (double x : e) {
    observed += x;
    scale += std::abs(x);
  }
  return {std::abs(observed) - 1e-9 * scale, observed};
}

// The share of the 2^n sign patterns s whose |sum s_i e_i| reaches |sum e_i|, walking the
// patterns in Gray-code order (one sign changes per step). The running sum drifts by ~2^n
// roundings, far below the 1e-9 relative tolerance that keeps ties (equal sums) counted.
double sign_flip_exact_p(const std::vector<double>& e) {
  const auto [target, observed] = reach_target(e);
  std::vector<double> sign(e.size(), 1.0);
  double sum = observed;
  uint64_t hits = std::abs(sum) >= target;
  const uint64_t patterns = uint64_t{1} << e.size();
  for (uint64_t k = 1; k < patterns; ++k) {
    const int j = __builtin_ctzll(k);
    sum -= 2 * sign[j] * e[j];
    sign[j] = -sign[j];
    hits += std::abs(sum) >= target;
  }
  return static_cast<double>(hits) / static_cast<double>(patterns);
}

// p of the shifted differences d_i - shift.
double shifted_p(const std::vector<double>& d, double shift) {
  std::vector<double> e(d.size());
  for (size_t i = 0; i < d.size(); ++i) e[i] = d[i] - shift;
  return sign_flip_exact_p(e);
}

// Bisection between an accepted shift and a rejected one: the last accepted (the interval's end).
double boundary(const std::vector<double>& d, double accepted, double rejected) {
  for (int i = 0; i < 100 && accepted != rejected; ++i) {
    const double mid = accepted + (rejected - accepted) / 2;
    if (mid == accepted || mid == rejected) break;
    (shifted_p(d, mid) >= kLevel ? accepted : rejected) = mid;
  }
  return accepted;
}

// p of `resamples` random sign patterns, (1 + hits) / (1 + resamples). mt19937_64's stream is
// fixed by the standard: a seed gives the same p everywhere.
double sign_flip_random_p(const std::vector<double>& d, int resamples, uint64_t seed) {
  const double target = reach_target(d).first;
  std::mt19937_64 rng(seed);
  long hits = 0;
  for (int r = 0; r < resamples; ++r) {
    double sum = 0;
    uint64_t bits = 0;
    for (size_t i = 0; i < d.size(); ++i) {
      if (i % 64 == 0) bits = rng();
      sum += (bits >> (i % 64)) & 1 ? d[i] : -d[i];
    }
    hits += std::abs(sum) >= target;
  }
  return (1.0 + static_cast<double>(hits)) / (1.0 + resamples);
}

// I_x(a, b), the regularized incomplete beta function: its continued fraction (modified Lentz)
// on the side where it converges fast.
double incomplete_beta(double a, double b, double x) {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const bool swap = x > (a + 1) / (a + b + 2);
  if (swap) {
    std::swap(a, b);
    x = 1 - x;
  }
  const double front = std::exp(std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) +
                                a * std::log(x) + b * std::log1p(-x)) /
                       a;
  constexpr double tiny = 1e-300;
  double c = 1, d = 1 - (a + b) * x / (a + 1);
  d = 1 / (std::abs(d) < tiny ? tiny : d);
  double f = d;
  // One term of the fraction: updates c, d and f, and returns the factor f was multiplied by.
  auto term = [&](double num) {
    d = 1 + num * d;
    d = 1 / (std::abs(d) < tiny ? tiny : d);
    c = 1 + num / c;
    if (std::abs(c) < tiny) c = tiny;
    f *= c * d;
    return c * d;
  };
  for (int m = 1; m <= 1000000; ++m) {
    term(m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)));
    const double factor = term(-(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)));
    if (std::abs(factor - 1) < 1e-15) break;
  }
  const double v = front * f;
  return swap ? 1 - v : v;
}

// P[X <= k] for X ~ Bin(n, p), 0 <= k < n.
double binom_cdf(long k, long n, double p) {
  return incomplete_beta(static_cast<double>(n - k), static_cast<double>(k) + 1, 1 - p);
}

// The p where `decreasing(p)` (falling from 1 at p = 0 to 0 at p = 1) equals target.
template <class F>
double solve_decreasing(F decreasing, double target) {
  double lo = 0, hi = 1;
  for (int i = 0; i < 200 && hi - lo > 1e-16; ++i) {
    const double mid = (lo + hi) / 2;
    (decreasing(mid) > target ? lo : hi) = mid;
  }
  return (lo + hi) / 2;
}

}  // namespace

PairedTestResult stats_paired_sign_flip(const std::vector<double>& a, const std::vector<double>& b,
                                        int resamples, uint64_t seed) {
  const size_t n = a.size();
  const bool exact = n <= kSignFlipExactMax;
  // Checks the arguments; its interval is the result's above the exact size.
  const BootstrapResult boot = stats_paired_bootstrap(a, b, exact ? 1 : resamples, seed);
  std::vector<double> d(n);
  double low = 0, high = 0;
  for (size_t i = 0; i < n; ++i) {
    d[i] = b[i] - a[i];
    low = std::min(low, d[i]);
    high = std::max(high, d[i]);
  }
  PairedTestResult r;
  r.delta = boot.delta;
  r.exact = exact;
  if (!exact) {
    r.resamples = resamples;
    r.p_value = sign_flip_random_p(d, resamples, seed);
    r.ci_low = boot.ci_low;
    r.ci_high = boot.ci_high;
    return r;
  }
  r.p_value = sign_flip_exact_p(d);
  if (2.0 / static_cast<double>(uint64_t{1} << n) >= kLevel) {
    r.ci_low = r.ci_high = std::numeric_limits<double>::quiet_NaN();
    return r;
  }
  // Beyond every d_i all shifted differences share a sign: p = 2 / 2^n < 0.05, rejected.
  const double span = high - low + 1;
  r.ci_low = boundary(d, r.delta, low - span);
  r.ci_high = boundary(d, r.delta, high + span);
  return r;
}

PairedInterval stats_mcnemar_interval(long only_a, long only_b, long n) {
  if (only_a < 0 || only_b < 0 || n < only_a + only_b) {
    throw std::invalid_argument("stats_mcnemar_interval: need 0 <= only_a, only_b and " +
                                std::string("only_a + only_b <= n; got ") + std::to_string(only_a) +
                                ", " + std::to_string(only_b) + ", " + std::to_string(n));
  }
  const long m = only_a + only_b;
  if (m == 0) return {};
  // Clopper-Pearson for B's share of the discordant pairs: k = only_b of m.
  const long k = only_b;
  const double lo =
      k == 0 ? 0
             : solve_decreasing([&](double p) { return binom_cdf(k - 1, m, p); }, 1 - kLevel / 2);
  const double hi =
      k == m ? 1 : solve_decreasing([&](double p) { return binom_cdf(k, m, p); }, kLevel / 2);
  const double share = static_cast<double>(m) / static_cast<double>(n);
  return {(2 * lo - 1) * share, (2 * hi - 1) * share};
}

}  // namespace moebench
