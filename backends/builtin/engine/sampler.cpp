// Sampler: greedy, or HF's warper order temperature -> top-k -> top-p then one seeded draw;
// and logprob_of, a stable log-softmax in double.
#include "backends/builtin/engine/sampler.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace moebench {

namespace {

int argmax_lowest(const float* logits, int vocab) {
  int best = 0;
  for (int i = 1; i < vocab; ++i) {
    if (logits[i] > logits[best]) best = i;  // strict: the lowest id wins ties
  }
  return best;
}

void check_row(const float* logits, int vocab, const char* what) {
  if (logits == nullptr || vocab <= 0) {
    throw std::invalid_argument(std::string(what) + ": empty logits row (vocab " +
                                std::to_string(vocab) + ")");
  }
}

// HF TopKLogitsWarper: drop scores below the k-th largest; ties with it stay.
void keep_top_k(const std::vector<double>& s, int k, std::vector<bool>& keep) {
  std::vector<double> sorted(s);
  std::nth_element(sorted.begin(), sorted.begin() + (k - 1), sorted.end(), std::greater<double>());
  const double kth = sorted[k - 1];
  for (size_t i = 0; i < s.size(); ++i) keep[i] = keep[i] && s[i] >= kth;
}

// exp(s - max) for kept ids (unnormalized probabilities), 0 elsewhere.
std::vector<double> kept_probs(const std::vector<double>& s, const std::vector<bool>& keep) {
  const double m = *std::max_element(s.begin(), s.end());  // the max always survives top-k
  std::vector<double> p(s.size(), 0.0);
  for (size_t i = 0; i < s.size(); ++i) {
    if (keep[i]) p[i] = std::exp(s[i] - m);
  }
  return p;
}

// HF TopPLogitsWarper: sort ascending and drop the prefix whose cumulative probability is
// <= 1 - top_p, always keeping the most likely token.
void keep_top_p(const std::vector<double>& s, double top_p, std::vector<bool>& keep,
                const std::vector<double>& p) {
  std::vector<int> order;
  double total = 0.0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (!keep[i]) continue;
    order.push_back(static_cast<int>(i));
    total += p[i];
  }
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return s[a] < s[b]; });
  double cum = 0.0;
  for (size_t j = 0; j + 1 < order.size(); ++j) {
    cum += p[order[j]] / total;
    if (cum > 1.0 - top_p) break;
    keep[order[j]] = false;
  }
}

}  // namespace

Sampler::Sampler(const SamplingParams& params) : params_(params), rng_(params.seed) {
  if (params.temperature < 0.0 || !(params.top_p > 0.0 && params.top_p <= 1.0) ||
      params.top_k < 0) {
    throw std::invalid_argument("Sampler: need temperature >= 0 (got " +
                                std::to_string(params.temperature) + "), 0 < top_p <= 1 (got " +
                                std::to_string(params.top_p) + "), top_k >= 0 (got " +
                                std::to_string(params.top_k) + ")");
  }
}

int Sampler::sample(const float* logits, int vocab) {
  check_row(logits, vocab, "Sampler::sample");
  ++draws_;
  if (params_.temperature == 0.0) return argmax_lowest(logits, vocab);

  // Temperature (HF TemperatureLogitsWarper: scores / temperature).
  std::vector<double> s(vocab);
  for (int i = 0; i < vocab; ++i) s[i] = logits[i] / params_.temperature;
  std::vector<bool> keep(vocab, true);
  if (params_.top_k > 0 && params_.top_k < vocab) keep_top_k(s, params_.top_k, keep);
  std::vector<double> p = kept_probs(s, keep);
  if (params_.top_p < 1.0) keep_top_p(s, params_.top_p, keep, p);

  // One draw: u uniform in [0, total) from 53 random bits (portable, unlike the std
  // distributions whose algorithms are implementation-defined).
  double total = 0.0;
  for (int i = 0; i < vocab; ++i) total += keep[i] ? p[i] : 0.0;
  const double u = static_cast<double>(rng_() >> 11) * 0x1.0p-53 * total;
  double acc = 0.0;
  int last = -1;
  for (int i = 0; i < vocab; ++i) {
    if (!keep[i] || p[i] <= 0.0) continue;
    acc += p[i];
    last = i;
    if (u < acc) return i;
  }
  return last;  // rounding left u >= acc: the last kept token
}

double logprob_of(const float* logits, int vocab, int token) {
  check_row(logits, vocab, "logprob_of");
  if (token < 0 || token >= vocab) {
    throw std::invalid_argument("logprob_of: token " + std::to_string(token) +
                                " outside vocab [0, " + std::to_string(vocab) + ")");
  }
  double m = logits[0];
  for (int i = 1; i < vocab; ++i) m = std::max(m, static_cast<double>(logits[i]));
  double sum = 0.0;
  for (int i = 0; i < vocab; ++i) sum += std::exp(static_cast<double>(logits[i]) - m);
  return static_cast<double>(logits[token]) - m - std::log(sum);
}

}  // namespace moebench
