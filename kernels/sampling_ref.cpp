// CPU references of cuda_sample (the same exact thresholds, masses in double) and
// cuda_logprob_gather (log-softmax in double).
#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "kernels/sampling.h"

namespace moebench {
namespace {

// argmax over the non-NaN values of v (vocab), lowest id on ties; 0 when all are NaN.
int32_t ref_argmax(const float* v, int vocab) {
  int32_t best = -1;
  for (int i = 0; i < vocab; ++i) {
    if (std::isnan(v[i])) continue;
    if (best < 0 || v[i] > v[best]) best = i;
  }
  return best < 0 ? 0 : best;
}

// Largest key t with count(key >= t) >= k, built bit by bit like the GPU's bisection.
uint32_t ref_top_k_key(const std::vector<uint32_t>& key, int k) {
  uint32_t t = 0;
  for (int b = 31; b >= 0; --b) {
    const uint32_t c = t | (1u << b);
    int64_t n = 0;
    for (uint32_t x : key) n += x >= c;
    if (n >= k) t = c;
  }
  return t;
}

// Largest key t with mass(key < t) <= thr.
uint32_t ref_top_p_key(const std::vector<uint32_t>& key, const std::vector<double>& p, double thr) {
  uint32_t t = 0;
  for (int b = 31; b >= 0; --b) {
    const uint32_t c = t | (1u << b);
    double mass = 0.0;
    for (size_t i = 0; i < key.size(); ++i) mass += key[i] < c ? p[i] : 0.0;
    if (mass <= thr) t = c;
  }
  return t;
}

void ref_check_rows(const std::vector<float>& logits, int64_t ld, int64_t n_rows, int vocab,
                    const char* fn) {
  if (n_rows < 0 || vocab <= 0 || ld < vocab ||
      (n_rows > 0 && static_cast<int64_t>(logits.size()) < (n_rows - 1) * ld + vocab)) {
    throw std::invalid_argument(std::string(fn) + ": logits (" + std::to_string(logits.size()) +
                                " values) do not hold n_rows " + std::to_string(n_rows) +
                                " x vocab " + std::to_string(vocab) + " with stride " +
                                std::to_string(ld));
  }
}

}  // namespace

int32_t ref_sample_one(const float* x, int vocab, float temperature, float top_p, int32_t top_k,
                       uint64_t seed, uint64_t draw) {
  if (!(temperature > 0.0f)) return ref_argmax(x, vocab);
  std::vector<float> s(vocab);
  std::vector<uint32_t> key(vocab);
  for (int i = 0; i < vocab; ++i) {
    s[i] = x[i] / temperature;  // f32 division, like the GPU
    key[i] = sample_order_key(s[i]);
  }
  float m = -std::numeric_limits<float>::infinity();
  for (float v : s) m = std::fmax(m, v);
  if (!std::isfinite(m)) return ref_argmax(s.data(), vocab);
  const uint32_t kmax = sample_order_key(m);
  uint32_t lo = 1;  // keys below lo are dropped (0 is NaN)
  if (top_k > 0 && top_k < vocab) lo = std::max(lo, ref_top_k_key(key, top_k));
  std::vector<double> p(vocab, 0.0);
  double total = 0.0;
  for (int i = 0; i < vocab; ++i) {
    if (key[i] >= lo) total += p[i] = std::exp(static_cast<double>(s[i]) - m);
  }
  uint32_t v0 = 0;  // top-p boundary key: keys above it stay, the first n_drop ids at it go
  int64_t n_drop = 0;
  double mass = total;
  if (top_p < 1.0f) {
    const double thr = (1.0 - static_cast<double>(top_p)) * total;
    v0 = std::min(ref_top_p_key(key, p, thr), kmax);
    double below = 0.0;
    int64_t n_tied = 0;
    for (int i = 0; i < vocab; ++i) {
      below += key[i] < v0 ? p[i] : 0.0;
      n_tied += key[i] == v0;
    }
    const double p0 = std::exp(static_cast<double>(sample_key_value(v0)) - m);
    const double q = p0 > 0.0 ? std::floor((thr - below) / p0) : static_cast<double>(n_tied);
    n_drop = q >= static_cast<double>(n_tied) ? n_tied : (q > 0.0 ? static_cast<int64_t>(q) : 0);
    if (v0 == kmax) n_drop = std::min(n_drop, n_tied - 1);
    mass = total - below - static_cast<double>(n_drop) * p0;
  }
  const double target = static_cast<double>(sample_uniform(seed, draw)) * mass;
  double acc = 0.0;
  int32_t last = -1;
  int64_t rank = 0;  // ids at v0 seen so far
  for (int i = 0; i < vocab; ++i) {
    bool kept = key[i] >= lo && key[i] >= v0;
    if (key[i] == v0) kept = kept && rank++ >= n_drop;
    if (!kept || p[i] <= 0.0) continue;
    acc += p[i];
    last = i;
    if (target < acc) return i;
  }
  return last < 0 ? 0 : last;
}

std::vector<int32_t> ref_sample(const std::vector<float>& logits, int64_t ld, int64_t n_rows,
                                int vocab, const SampleHostParams& params) {
  ref_check_rows(logits, ld, n_rows, vocab, "ref_sample");
  const size_t n = static_cast<size_t>(n_rows);
  if (params.temperature.size() != n || params.top_p.size() != n || params.top_k.size() != n ||
      params.seed.size() != n || params.draw.size() != n) {
    throw std::invalid_argument("ref_sample: every SampleHostParams vector needs n_rows " +
                                std::to_string(n_rows) + " values");
  }
  std::vector<int32_t> out(n);
  for (size_t r = 0; r < n; ++r) {
    out[r] = ref_sample_one(logits.data() + r * ld, vocab, params.temperature[r], params.top_p[r],
                            params.top_k[r], params.seed[r], params.draw[r]);
  }
  return out;
}

std::vector<double> ref_logprob_gather(const std::vector<float>& logits, int64_t ld, int64_t n_rows,
                                       int vocab, const std::vector<int32_t>& targets) {
  ref_check_rows(logits, ld, n_rows, vocab, "ref_logprob_gather");
  if (static_cast<int64_t>(targets.size()) != n_rows) {
    throw std::invalid_argument("ref_logprob_gather: targets has " +
                                std::to_string(targets.size()) + " values, want n_rows " +
                                std::to_string(n_rows));
  }
  std::vector<double> out(n_rows);
  for (int64_t r = 0; r < n_rows; ++r) {
    const float* x = logits.data() + r * ld;
    const int32_t t = targets[r];
    if (t < 0 || t >= vocab) {
      out[r] = std::numeric_limits<double>::quiet_NaN();
      continue;
    }
    double m = x[0];
    for (int i = 1; i < vocab; ++i) m = std::max(m, static_cast<double>(x[i]));
    double sum = 0.0;
    for (int i = 0; i < vocab; ++i) sum += std::exp(static_cast<double>(x[i]) - m);
    out[r] = static_cast<double>(x[t]) - m - std::log(sum);
  }
  return out;
}

}  // namespace moebench
