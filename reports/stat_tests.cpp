// Significance tests for run and benchmark comparison: McNemar exact, paired bootstrap
// (paired_tests.cpp: sign-flip), Mann-Whitney U (scipy's method "auto"), median. Written by hand:
// moebench_reports links no statistics library, and each test is a few dozen lines.
#include "reports/stat_tests.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>

namespace moebench {
namespace {

// log P[X <= k] for X ~ Bin(n, 1/2), 0 <= k <= n/2. The terms C(n,i)/2^n grow with i up to n/2,
// so the largest is at i = k: log-sum-exp anchored there. The anchor comes from std::lgamma; the
// smaller terms from the exact ratio term(i-1)/term(i) = i/(n-i+1), which avoids the ~1e-9
// absolute error lgamma carries at n ~ 10^6 on every term.
double stats_log_binom_half_cdf(long n, long k) {
  const double nd = static_cast<double>(n);
  const double log_anchor = std::lgamma(nd + 1) - std::lgamma(static_cast<double>(k) + 1) -
                            std::lgamma(static_cast<double>(n - k) + 1) - nd * std::log(2.0);
  double sum = 1.0;  // sum of term(i) / term(k) over i = k, k-1, ...
  double rel = 1.0;
  for (long i = k; i >= 1; --i) {
    rel *= static_cast<double>(i) / static_cast<double>(n - i + 1);
    sum += rel;
    // NOTE: the ratios fall as i falls, so once a term is 1e-20 of the largest the rest of the
    // tail adds well under 1e-16 of the sum (at n = 10^6 the ratio there is already < 0.99).
    if (rel < 1e-20) break;
  }
  return log_anchor + std::log(sum);
}

// Quantile q of sorted values, interpolating linearly between order statistics (numpy's default).
double stats_sorted_quantile(const std::vector<double>& sorted, double q) {
  const double pos = q * static_cast<double>(sorted.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  if (lo + 1 >= sorted.size()) return sorted.back();
  const double frac = pos - static_cast<double>(lo);
  return sorted[lo] + frac * (sorted[lo + 1] - sorted[lo]);
}

// Midrank sum of x in the pooled sample and the tie term sum(t^3 - t) over groups of equal values.
struct PooledRanks {
  double rank_sum_x = 0;
  double tie_term = 0;
  bool has_ties = false;
};

PooledRanks stats_rank_pooled(const std::vector<double>& x, const std::vector<double>& y) {
  std::vector<std::pair<double, bool>> pooled;  // (value, from x)
  pooled.reserve(x.size() + y.size());
  for (double v : x) pooled.emplace_back(v, true);
  for (double v : y) pooled.emplace_back(v, false);
  std::sort(pooled.begin(), pooled.end(),
            [](const auto& l, const auto& r) { return l.first < r.first; });
  PooledRanks out;
  for (size_t i = 0; i < pooled.size();) {
    size_t j = i;
    long from_x = 0;
    while (j < pooled.size() && pooled[j].first == pooled[i].first) from_x += pooled[j++].second;
    const double t = static_cast<double>(j - i);
    const double midrank = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2;  // 1-based
    out.rank_sum_x += static_cast<double>(from_x) * midrank;
    out.tie_term += t * t * t - t;
    out.has_ties = out.has_ties || t > 1;
    i = j;
  }
  return out;
}

// Counts of U = 0..max_u over the C(m+n, m) equally likely arrangements of m x's among n y's: the
// coefficients of the Gaussian binomial [m+n choose m]_q = prod_{i=1..m} (1-q^{n+i}) / (1-q^i),
// truncated at q^max_u. O(m * max_u). With T = uint64_t the arithmetic is mod 2^64, which is a
// ring, so every count below 2^64 comes out exact even though intermediates wrap; with T = double
// it is approximate (cancellation in the multiply step, ~1e-16 of the largest count).
template <typename T>
std::vector<T> stats_count_u(long m, long n, long max_u) {
  std::vector<T> c(static_cast<size_t>(max_u) + 1, T(0));
  c[0] = T(1);
  for (long i = 1; i <= m; ++i) {
    for (long k = max_u; k >= n + i; --k) c[k] -= c[k - n - i];  // times (1 - q^{n+i})
    for (long k = i; k <= max_u; ++k) c[k] += c[k - i];          // divided by (1 - q^i)
  }
  return c;
}

// C(n + m, m) when it fits in uint64_t; false otherwise.
bool stats_binom_u64(long m, long n, uint64_t* out) {
  uint64_t c = 1;  // C(n + i, i) after step i; c * (n + i) is divisible by i
  for (long i = 1; i <= m; ++i) {
    uint64_t prod = 0;
    if (__builtin_mul_overflow(c, static_cast<uint64_t>(n + i), &prod)) return false;
    c = prod / static_cast<uint64_t>(i);
  }
  *out = c;
  return true;
}

// P[U <= k] under the null for samples of sizes n1, n2, without ties.
double stats_mann_whitney_cdf(long n1, long n2, long k) {
  const long m = std::min(n1, n2), n = std::max(n1, n2);
  uint64_t total = 0;
  if (stats_binom_u64(m, n, &total)) {
    uint64_t below = 0;
    for (uint64_t c : stats_count_u<uint64_t>(m, n, k)) below += c;
    return static_cast<double>(below) / static_cast<double>(total);
  }
  double total_d = 1;
  for (long i = 1; i <= m; ++i) total_d = total_d * static_cast<double>(n + i) / i;
  double below = 0;
  for (double c : stats_count_u<double>(m, n, k)) below += c;
  return std::min(1.0, below / total_d);
}

void stats_require_no_nan(const std::vector<double>& v, const char* fn, const char* name) {
  for (size_t i = 0; i < v.size(); ++i) {
    if (std::isnan(v[i])) {
      throw std::invalid_argument(std::string(fn) + ": " + name + "[" + std::to_string(i) +
                                  "] is NaN");
    }
  }
}

}  // namespace

McNemarResult stats_mcnemar_exact(long only_a, long only_b) {
  if (only_a < 0 || only_b < 0) {
    throw std::invalid_argument("stats_mcnemar_exact: counts must be >= 0; got only_a=" +
                                std::to_string(only_a) + ", only_b=" + std::to_string(only_b));
  }
  McNemarResult r;
  r.only_a = only_a;
  r.only_b = only_b;
  const long n = only_a + only_b;
  if (n == 0) return r;
  const double log_tail = stats_log_binom_half_cdf(n, std::min(only_a, only_b));
  r.p_value = std::min(1.0, 2.0 * std::exp(log_tail));
  return r;
}

BootstrapResult stats_paired_bootstrap(const std::vector<double>& a, const std::vector<double>& b,
                                       int resamples, uint64_t seed) {
  if (a.size() != b.size() || a.empty()) {
    throw std::invalid_argument(
        "stats_paired_bootstrap: a and b must have equal, non-zero size; got a.size()=" +
        std::to_string(a.size()) + ", b.size()=" + std::to_string(b.size()));
  }
  if (resamples < 1) {
    throw std::invalid_argument("stats_paired_bootstrap: resamples must be >= 1; got " +
                                std::to_string(resamples));
  }
  const size_t n = a.size();
  std::vector<double> d(n);  // (n,) per-item difference b_i - a_i
  double sum = 0;
  for (size_t i = 0; i < n; ++i) {
    d[i] = b[i] - a[i];
    if (!std::isfinite(d[i])) {
      throw std::invalid_argument("stats_paired_bootstrap: item " + std::to_string(i) +
                                  " is not finite (a=" + std::to_string(a[i]) +
                                  ", b=" + std::to_string(b[i]) + ")");
    }
    sum += d[i];
  }
  BootstrapResult r;
  r.resamples = resamples;
  r.delta = sum / static_cast<double>(n);

  std::mt19937_64 rng(seed);
  std::vector<double> means(static_cast<size_t>(resamples));  // (resamples,)
  for (double& mean : means) {
    double s = 0;
    // NOTE: rng() % n rather than std::uniform_int_distribution, whose algorithm differs between
    // standard libraries; mt19937_64's stream is fixed by the standard, so a seed gives the same
    // interval everywhere. The modulo bias is < n / 2^64.
    for (size_t j = 0; j < n; ++j) s += d[rng() % n];
    mean = s / static_cast<double>(n);
  }
  std::sort(means.begin(), means.end());
  r.ci_low = stats_sorted_quantile(means, 0.025);
  r.ci_high = stats_sorted_quantile(means, 0.975);
  return r;
}

MannWhitneyResult stats_mann_whitney_u(const std::vector<double>& x, const std::vector<double>& y) {
  if (x.empty() || y.empty()) {
    throw std::invalid_argument("stats_mann_whitney_u: both samples must be non-empty; got " +
                                std::to_string(x.size()) + " and " + std::to_string(y.size()) +
                                " values");
  }
  stats_require_no_nan(x, "stats_mann_whitney_u", "x");
  stats_require_no_nan(y, "stats_mann_whitney_u", "y");
  const long n1 = static_cast<long>(x.size()), n2 = static_cast<long>(y.size());
  const PooledRanks ranks = stats_rank_pooled(x, y);
  MannWhitneyResult r;
  r.u = ranks.rank_sum_x - static_cast<double>(n1) * (n1 + 1) / 2;
  const double n1n2 = static_cast<double>(n1) * static_cast<double>(n2);

  // NOTE: scipy's _mwu_choose_method: asymptotic when both samples have > 8 values or any value
  // is tied (across or within samples); exact otherwise. (Its docstring once said "< 8".)
  r.exact = !(n1 > 8 && n2 > 8) && !ranks.has_ties;
  if (r.exact) {
    // No ties, so U is an integer; the null distribution is symmetric about n1*n2/2, so
    // 2 * P[U >= max(U1, U2)] (scipy) equals 2 * P[U <= min(U1, U2)].
    const long u_low = std::lround(std::min(r.u, n1n2 - r.u));
    r.p_value = std::min(1.0, 2.0 * stats_mann_whitney_cdf(n1, n2, u_low));
    return r;
  }
  const double n = static_cast<double>(n1 + n2);
  const double var = n1n2 / 12 * ((n + 1) - ranks.tie_term / (n * (n - 1)));
  if (!(var > 0)) return r;  // every value tied: U1 = n1*n2/2 and no evidence either way
  // Continuity correction moves |U1 - mu| towards 0 by 1/2 but never past it: scipy subtracts
  // 0.5 * sign(U1 - mu), so U1 = mu gives z = 0 and p = 1.
  const double dist = std::max(0.0, std::abs(r.u - n1n2 / 2) - 0.5);
  const double z = dist / std::sqrt(var);
  r.p_value = std::min(1.0, std::erfc(z / std::sqrt(2.0)));
  return r;
}

double stats_median(std::vector<double> values) {
  if (values.empty()) throw std::invalid_argument("stats_median: no values");
  stats_require_no_nan(values, "stats_median", "values");
  const size_t mid = values.size() / 2;
  std::nth_element(values.begin(), values.begin() + mid, values.end());
  const double upper = values[mid];
  if (values.size() % 2 == 1) return upper;
  const double lower = *std::max_element(values.begin(), values.begin() + mid);
  return (lower + upper) / 2;
}

}  // namespace moebench
