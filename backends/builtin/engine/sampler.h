// Sampler: turns one row of logits into a token id (greedy, temperature, top-k, top-p), seeded
// so a (request, seed) pair always gives the same continuation, on the CPU engine and on the
// CUDA one alike (both draw sample_uniform(seed, draw index) through one algorithm).
#pragma once

#include <cstdint>

namespace moebench {

struct SamplingParams {
  double temperature = 0.0;  // 0 = greedy (argmax, lowest id on ties)
  double top_p = 1.0;        // nucleus: smallest set whose probability reaches top_p
  int top_k = 0;             // 0 = off
  uint64_t seed = 0;
};

class Sampler {
 public:
  explicit Sampler(const SamplingParams& params);
  int sample(const float* logits, int vocab);  // logits: (vocab)

  const SamplingParams& params() const { return params_; }
  // The index of the next draw, then counts it: a GPU engine that samples on the device draws
  // with (seed, draw index) and calls this instead of sample(), which counts its draws too.
  uint64_t next_draw() { return draws_++; }
  // True once sample() was given a row holding NaN or an infinity: its draw (0 for a row of NaN)
  // is no token of the model, and the caller ends the sequence with an error. (A GPU engine that
  // samples on the device does not set it: its finish_sample gives kNonFiniteDraw instead.)
  bool saw_non_finite() const { return non_finite_; }

 private:
  SamplingParams params_;
  uint64_t draws_ = 0;
  bool non_finite_ = false;
};

// log-softmax of one row at `token`, computed stably in double.
double logprob_of(const float* logits, int vocab, int token);

}  // namespace moebench
