// The counter-based weight initialiser shared by `model init` (safetensors) and the loaders of
// dummy checkpoints: value i of tensor `name` is a pure function of (seed, name, i), so any
// chunking, thread count or device (kernels/random_init.h) produces the same tensor.
#pragma once

#include <cstdint>
#include <string>

namespace moebench {

// NOTE: the numeric values are the `kind` argument of cuda_random_init (kernels/random_init.h);
// keep the two in the same order.
enum class InitKind { normal = 0, ones = 1, bias = 2, score_bias = 3 };

// As HF's _init_weights: RMSNorm weights 1, matrices (embeddings included) normal(0, std); biases
// normal(0, 0.1 std); e_score_correction_bias uniform [0, 0.01).
InitKind init_kind(const std::string& name);

// The per-tensor counter key: splitmix64(seed ^ fnv1a(name)).
uint64_t init_tensor_key(uint64_t seed, const std::string& name);

uint64_t splitmix64(uint64_t x);
uint64_t fnv1a(const std::string& s);
// Uniform in [0, 1) with 24 bits, from counter i of a tensor's key.
float uniform_at(uint64_t key, uint64_t i);

// out (n) = values [start, start + n) of one tensor; normals by Box-Muller over counter pairs
// (2k, 2k+1): cos for the even value, sin for the odd one.
void fill_range(InitKind kind, uint64_t key, double std_dev, int64_t start, int64_t n, float* out);
// fill_range split over up to 8 threads (same values).
void fill_parallel(InitKind kind, uint64_t key, double std_dev, int64_t start, int64_t n,
                   float* out);

}  // namespace moebench
