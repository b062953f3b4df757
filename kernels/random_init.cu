// cuda_random_init: the counter-based weight initialiser of `moebench model init` on the GPU
// (splitmix64 counters, Box-Muller pairs), written to bf16.
#include <cuda_runtime.h>

#include <cmath>
#include <cstdint>

#include "kernels/bf16_device.cuh"
#include "kernels/counter_rng.h"
#include "kernels/cuda_check.h"
#include "kernels/launch_check.h"
#include "kernels/random_init.h"

namespace moebench {
namespace {

// ----------------------------------------------------------------------------
// GPU kernels

// One thread per value pair (2p, 2p+1), grid-stride; sd is already the kind's std.
__global__ void random_init_kernel(uint16_t* dst, int64_t n, int kind, uint64_t key, float sd) {
  const int64_t pairs = (n + 1) / 2;
  for (int64_t p = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; p < pairs;
       p += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t i = 2 * p;
    float a = 1.0f, b = 1.0f;
    if (kind == kRandomInitScoreBias) {
      a = 0.01f * counter_uniform(key, i);
      b = 0.01f * counter_uniform(key, i + 1);
    } else if (kind != kRandomInitOnes) {
      const float u1 = 1.0f - counter_uniform(key, i);  // (0, 1]
      const float u2 = counter_uniform(key, i + 1);
      // NOTE: logf/sqrtf/cosf/sinf, not the __ intrinsics, to stay within an ulp of glibc;
      // __fmul_rn pins every product to one IEEE-rounded multiply, as the host computes it.
      const float r = __fmul_rn(sd, sqrtf(__fmul_rn(-2.0f, logf(u1))));
      const float theta = __fmul_rn(6.28318530717958647692f, u2);
      a = __fmul_rn(r, cosf(theta));
      b = __fmul_rn(r, sinf(theta));
    }
    bf16_store(dst + i, a);
    if (i + 1 < n) bf16_store(dst + i + 1, b);
  }
}

// ----------------------------------------------------------------------------
// Launcher

void random_init_launch(uint16_t* dst, int64_t n, int kind, uint64_t key, float sd,
                        cudaStream_t stream) {
  constexpr int kThreads = 256;
  // NOTE: capped grid with a grid-stride loop: 132 SMs x 16 blocks keeps every SM busy; the
  // kernel is ALU-bound (two splitmix64 chains and log/sin/cos per pair).
  constexpr int64_t kMaxBlocks = 132 * 16;
  const int64_t need = ((n + 1) / 2 + kThreads - 1) / kThreads;
  const int blocks = static_cast<int>(need < kMaxBlocks ? need : kMaxBlocks);
  random_init_kernel<<<blocks, kThreads, 0, stream>>>(dst, n, kind, key, sd);
  KERNEL_CHECK();
}

}  // namespace

// ----------------------------------------------------------------------------
// Public entry

void cuda_random_init(uint16_t* dst, int64_t n, int kind, uint64_t key, double std_dev,
                      cudaStream_t stream) {
  const char* fn = "cuda_random_init";
  launch_require(n >= 0, fn, "n must be >= 0, got ", n);
  launch_require(kind >= kRandomInitNormal && kind <= kRandomInitScoreBias, fn,
                 "kind must be 0 (normal), 1 (ones), 2 (bias) or 3 (score_bias), got ", kind);
  launch_require(std::isfinite(std_dev) && std_dev > 0.0, fn,
                 "std_dev must be finite and > 0, got ", std_dev);
  if (n == 0) return;
  launch_require(dst != nullptr, fn, "null pointer: dst");
  const float sd = static_cast<float>(kind == kRandomInitBias ? 0.1 * std_dev : std_dev);
  random_init_launch(dst, n, kind, key, sd, stream);
}

}  // namespace moebench
