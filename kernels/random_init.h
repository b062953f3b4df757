// cuda_random_init: fills a bf16 tensor on the GPU with the counter-based initialiser of
// `moebench model init` (backends/builtin/checkpoint/random_init.h), so a dummy checkpoint's
// weights need no host copy. ref_random_init is its plain CPU reference (a host copy of the same
// algorithm). Compiles without CUDA headers; cuda_random_init is defined only in CUDA builds.
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/cuda_stream.h"

namespace moebench {

// NOTE: same order and values as backends/builtin InitKind (kernels do not include backends/).
enum RandomInitKind : int {
  kRandomInitNormal = 0,     // normal(0, std_dev): Box-Muller over counter pairs (2k, 2k+1)
  kRandomInitOnes = 1,       // 1.0 (RMSNorm weights)
  kRandomInitBias = 2,       // normal(0, 0.1 * std_dev)
  kRandomInitScoreBias = 3,  // uniform [0, 0.01) (e_score_correction_bias)
};

// dst (n) = values [0, n) of the tensor whose counter key is `key` (init_tensor_key(seed, name)),
// rounded to bf16 (nearest even). dst holds raw bf16 bits (kernels/bf16.h bf16_bits). Throws
// std::invalid_argument for n < 0, an unknown kind or std_dev not finite and > 0.
// NOTE: std_dev is a double, as in model init, so the kind's f32 std (float(0.1 * std_dev) for
// a bias) is bit-identical to the host's. logf/sinf/cosf on the GPU may differ from glibc by an
// ulp, so a rare value lands one bf16 ulp off the host's; the test allows that.
// CUDA-graph capturable.
void cuda_random_init(uint16_t* dst, int64_t n, int kind, uint64_t key, double std_dev,
                      cudaStream_t stream);

// CPU reference: out (n) = the same values as f32 numbers that are exactly bf16-representable.
void ref_random_init(int kind, uint64_t key, double std_dev, int64_t n, std::vector<float>& out);
// Uniform [0, 1) with 24 bits from counter i (exposed so tests can hand-check it).
float ref_random_uniform(uint64_t key, uint64_t i);

}  // namespace moebench
