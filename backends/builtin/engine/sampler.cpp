// Sampler: the GPU sampler's algorithm on the host (kernels/sampling.h: greedy, or HF's warper
// order temperature -> top-k -> top-p then one counter-based draw); and logprob_of, a stable
// log-softmax in double.
#include "backends/builtin/engine/sampler.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernels/sampling.h"

namespace moebench {

namespace {

void check_row(const float* logits, int vocab, const char* what) {
  if (logits == nullptr || vocab <= 0) {
    throw std::invalid_argument(std::string(what) + ": empty logits row (vocab " +
                                std::to_string(vocab) + ")");
  }
}

}  // namespace

Sampler::Sampler(const SamplingParams& params) : params_(params) {
  if (!(params.temperature >= 0.0) || !(params.top_p > 0.0 && params.top_p <= 1.0) ||
      params.top_k < 0) {
    throw std::invalid_argument("Sampler: need temperature >= 0 (got " +
                                std::to_string(params.temperature) + "), 0 < top_p <= 1 (got " +
                                std::to_string(params.top_p) + "), top_k >= 0 (got " +
                                std::to_string(params.top_k) + ")");
  }
}

int Sampler::sample(const float* logits, int vocab) {
  check_row(logits, vocab, "Sampler::sample");
  for (int i = 0; i < vocab && !non_finite_; ++i) non_finite_ = !std::isfinite(logits[i]);
  return ref_sample_one(logits, vocab, static_cast<float>(params_.temperature),
                        static_cast<float>(params_.top_p), params_.top_k, params_.seed,
                        next_draw());
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
