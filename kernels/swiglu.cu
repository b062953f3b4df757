// cuda_swiglu: out (T, I) = silu(gate) * up in f32, from two buffers or one fused [gate | up].
#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/bf16_device.cuh"
#include "kernels/cuda_check.h"
#include "kernels/launch_check.h"
#include "kernels/ops.h"
#include "kernels/pdl.cuh"
#include "kernels/swiglu_device.cuh"

namespace moebench {
namespace {

// ----------------------------------------------------------------------------
// GPU kernels

// Grid-stride over the n_tokens * inter outputs.
__global__ void swiglu_kernel(const uint16_t* gate, int64_t ld_gate, const uint16_t* up,
                              int64_t ld_up, int64_t n_tokens, int64_t inter, uint16_t* out) {
  pdl_wait();
  pdl_trigger();
  const int64_t n = n_tokens * inter;
  for (int64_t k = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; k < n;
       k += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t t = k / inter, i = k % inter;
    const float g = bf16_load(gate + t * ld_gate + i);
    const float u = bf16_load(up + t * ld_up + i);
    bf16_store(out + k, swiglu_f32(g, u));
  }
}

// ----------------------------------------------------------------------------
// Launcher

void swiglu_launch(const uint16_t* gate, int64_t ld_gate, const uint16_t* up, int64_t ld_up,
                   int64_t n_tokens, int64_t inter, uint16_t* out, cudaStream_t stream) {
  constexpr int kThreads = 256;
  // NOTE: capped grid with a grid-stride loop: 132 SMs x 16 blocks is plenty to saturate HBM.
  constexpr int64_t kMaxBlocks = 132 * 16;
  const int64_t need = (n_tokens * inter + kThreads - 1) / kThreads;
  const int blocks = static_cast<int>(need < kMaxBlocks ? need : kMaxBlocks);
  pdl_launch(swiglu_kernel, dim3(blocks), dim3(kThreads), 0, stream, gate, ld_gate, up, ld_up,
             n_tokens, inter, out);
  KERNEL_CHECK();
}

}  // namespace

// ----------------------------------------------------------------------------
// Public entry

void cuda_swiglu(const bf16_bits* gate, int64_t ld_gate, const bf16_bits* up, int64_t ld_up,
                 int64_t n_tokens, int64_t inter, bf16_bits* out, cudaStream_t stream) {
  const char* fn = "cuda_swiglu";
  launch_require(n_tokens >= 0, fn, "n_tokens must be >= 0, got ", n_tokens);
  launch_require(inter > 0, fn, "inter must be > 0, got ", inter);
  launch_require(ld_gate >= inter && ld_up >= inter, fn, "row strides (ld_gate ", ld_gate,
                 ", ld_up ", ld_up, ") must be >= inter ", inter);
  if (n_tokens == 0) return;
  launch_require(gate != nullptr && up != nullptr && out != nullptr, fn,
                 "null pointer: gate=", gate, " up=", up, " out=", out);
  swiglu_launch(gate, ld_gate, up, ld_up, n_tokens, inter, out, stream);
}

}  // namespace moebench
