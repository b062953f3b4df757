// Logits -> token ids on the GPU (greedy, or temperature -> top-k -> top-p -> one counter-based
// draw) and log-softmax gathers; the CUDA launchers, their CPU references and the shared RNG.
// Compiles without CUDA headers; the launchers are defined only in CUDA builds (guard calls with
// MOEBENCH_HAVE_CUDA). Pointers in SampleArgs and the cuda_ arguments are device pointers.
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

#include "kernels/counter_rng.h"
#include "kernels/cuda_stream.h"

namespace moebench {

// The draw's uniform in [0, 1): 24 bits of splitmix64(splitmix64(seed) + draw), so a (seed, draw)
// pair is reproducible on any GPU and on the host (the CPU engine's Sampler draws through
// ref_sample_one).
inline MOEBENCH_HOST_DEVICE float sample_uniform(uint64_t seed, uint64_t draw) {
  const uint64_t z = splitmix64_mix(splitmix64_mix(seed) + draw);
  return static_cast<float>(z >> 40) * 0x1.0p-24f;
}

// The f32 bit pattern mapped to an order-preserving uint32 (a < b <=> key(a) < key(b), -0 and
// +0 one key); NaN maps to 0, below every other key, so thresholds >= 1 never keep a NaN.
inline MOEBENCH_HOST_DEVICE uint32_t sample_order_key(float f) {
  if (f != f) return 0u;
  if (f == 0.0f) f = 0.0f;  // -0 == +0 as values, so one key
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  return (u & 0x80000000u) != 0u ? ~u : (u | 0x80000000u);
}
// The f32 whose key is k (k >= 1).
inline MOEBENCH_HOST_DEVICE float sample_key_value(uint32_t k) {
  const uint32_t u = (k & 0x80000000u) != 0u ? (k & 0x7fffffffu) : ~k;
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}

// The greedy pick of one logit as a 64-bit key: sample_order_key(v) above (0xffffffff - id), so
// the larger key holds the larger value and, between equal values, the lower id; a NaN ranks
// below every other value. A row's largest key names the argmax cuda_sample's greedy rows take
// (sample_argmax_id: lowest id on ties, 0 when every value is NaN), whatever order the keys are
// maxed in: a kernel that writes logits can leave it by atomic max (GemmArgs::c_argmax).
inline MOEBENCH_HOST_DEVICE uint64_t sample_argmax_key(float v, uint32_t id) {
  return (static_cast<uint64_t>(sample_order_key(v)) << 32) | (0xffffffffu - id);
}
// Whether a row's largest key holds a finite value: false when every value was NaN (or none was
// maxed in) or the largest is an infinity. A NaN beside finite values ranks below them and is not
// seen here: the writer's keys cannot tell it (cuda_sample's passes over a row can).
inline MOEBENCH_HOST_DEVICE bool sample_argmax_key_finite(uint64_t key) {
  const uint32_t k = static_cast<uint32_t>(key >> 32);
  if (k == 0u) return false;
  const float v = sample_key_value(k);
  return v - v == 0.0f;  // false for +-inf
}
// 0 for key 0 (no value maxed in), as block_argmax gives for a row with no candidate.
inline MOEBENCH_HOST_DEVICE int32_t sample_argmax_id(uint64_t key) {
  return key == 0 ? 0
                  : static_cast<int32_t>(0xffffffffu - static_cast<uint32_t>(key & 0xffffffffu));
}

// Per row r: temperature[r] <= 0 (or NaN) = greedy: argmax, lowest id on ties. Otherwise
// s = logits / temperature (f32), then HF's warpers: top-k (top_k[r] in (0, vocab): keep s >= the
// k-th largest, ties with it stay), top-p (top_p[r] < 1: over the kept probs sorted ascending,
// ties by id, drop the prefix whose cumulative mass is <= (1 - top_p) * total, always keeping the
// largest), then u = sample_uniform(seed[r], draw[r]) * kept mass and out[r] = the first kept id
// (id order) whose inclusive prefix mass exceeds it (the last kept id if rounding runs past).
// NaN logits are never chosen; a row with no finite logit gives 0. The top-k threshold is exact
// (bisection on the f32 bit pattern); the top-p threshold compares f32 sums of the masses, so it,
// like the draw, can differ from exact arithmetic only within rounding of a boundary.
// NOTE: one block per row, ~70 passes over a sampled row's logits (2 x 32 bisection steps when
// top-k and top-p are both on), one pass for a greedy row. Graph-capturable.
struct SampleArgs {
  const float* logits = nullptr;  // (n_rows, vocab), row stride ld
  int64_t ld = 0;
  int64_t n_rows = 0;
  int vocab = 0;
  const float* temperature = nullptr;  // device (n_rows); 0 = greedy
  const float* top_p = nullptr;        // device (n_rows), (0, 1]
  const int32_t* top_k = nullptr;      // device (n_rows), 0 = off
  const uint64_t* seed = nullptr;      // device (n_rows)
  const uint64_t* draw = nullptr;      // device (n_rows): draw index for this row's request
  int32_t* out = nullptr;              // device (n_rows)
  // Optional device (n_rows): each row's largest sample_argmax_key, left by the kernel that wrote
  // the logits (GemmArgs::c_argmax). Greedy rows then read it instead of passing over the
  // logits (the same id), and every row's entry is reset to 0 for the next writer.
  uint64_t* argmax = nullptr;
  // Optional device (n_rows): 1 where the row's logits hold a NaN or an infinity (its id is then
  // no token of the model; the CPU engine's Sampler::saw_non_finite says the same), else 0. A
  // greedy row read from `argmax` is flagged only when its largest value is not finite (every
  // value NaN, or an infinity): a NaN beside finite values needs the pass the keys save.
  int32_t* non_finite = nullptr;
};
void cuda_sample(const SampleArgs& args, cudaStream_t stream);

// logprob[r] = log_softmax(logits[r])[targets[r]], f32 with a max-subtracted sum; NaN for a target
// outside [0, vocab).
void cuda_logprob_gather(const float* logits, int64_t ld, int64_t n_rows, int vocab,
                         const int32_t* targets, float* logprob, cudaStream_t stream);

// Host copies of a SampleArgs batch for ref_sample: each vector has n_rows values.
struct SampleHostParams {
  std::vector<float> temperature;
  std::vector<float> top_p;
  std::vector<int32_t> top_k;
  std::vector<uint64_t> seed;
  std::vector<uint64_t> draw;
};

// The same algorithm as cuda_sample on the host (the same top-k threshold bit for bit; masses,
// and so the top-p threshold, in double), logits (n_rows, ld). Throws std::invalid_argument on bad
// shapes.
std::vector<int32_t> ref_sample(const std::vector<float>& logits, int64_t ld, int64_t n_rows,
                                int vocab, const SampleHostParams& params);
// One row of it: the token cuda_sample draws from `logits` (vocab) for these parameters.
int32_t ref_sample_one(const float* logits, int vocab, float temperature, float top_p,
                       int32_t top_k, uint64_t seed, uint64_t draw);

// log_softmax(logits[r])[targets[r]] in double (NaN for an out-of-range target).
std::vector<double> ref_logprob_gather(const std::vector<float>& logits, int64_t ld, int64_t n_rows,
                                       int vocab, const std::vector<int32_t>& targets);

}  // namespace moebench
