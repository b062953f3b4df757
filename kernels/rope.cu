// cuda_rope_apply: in-place rotary embedding on bf16 q/k, cos/sin from inv_freq in the kernel, for
// the half (rotate_half), interleaved (deepseek-v3, de-interleaved output) and pairs pairings.
#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/bf16_device.cuh"
#include "kernels/cuda_check.h"
#include "kernels/launch_check.h"
#include "kernels/ops.h"
#include "kernels/rope_device.cuh"

namespace moebench {
namespace {

constexpr int kMaxRopeDim = 1024;  // same bound as the CPU engine's rope_apply

// ----------------------------------------------------------------------------
// GPU kernels

// One block per (token, head). The head's rotated dims are staged in shared memory first because
// the interleaved pairing writes element i from elements 2i and 2i+1 (in place would race).
__global__ void rope_kernel(RopeArgs a) {
  __shared__ float buf[kMaxRopeDim];
  const int64_t t = blockIdx.x / a.n_heads;
  const int h = static_cast<int>(blockIdx.x % a.n_heads);
  uint16_t* v = a.x + t * a.token_stride + static_cast<int64_t>(h) * a.head_stride + a.rot_offset;
  for (int j = threadIdx.x; j < a.dim; j += blockDim.x) buf[j] = bf16_load(v + j);
  __syncthreads();
  const float p = static_cast<float>(a.positions[t]);
  const int half = a.dim / 2;
  for (int i = threadIdx.x; i < half; i += blockDim.x) {
    const int2 in = rope_in_index(a.pairing, half, i), out = rope_out_index(a.pairing, half, i);
    const float2 r = rope_rotate(buf[in.x], buf[in.y], a.inv_freq[i], p, a.attention_factor);
    bf16_store(v + out.x, r.x);
    bf16_store(v + out.y, r.y);
  }
}

// ----------------------------------------------------------------------------
// Launcher

void rope_launch(const RopeArgs& a, cudaStream_t stream) {
  const int half = a.dim / 2;
  // NOTE: one thread per rotated pair; a 64-dim rope (deepseek) uses one warp per head.
  const int threads = static_cast<int>((half + 31) / 32 * 32);
  const int64_t blocks = a.n_tokens * a.n_heads;
  rope_kernel<<<static_cast<unsigned>(blocks), threads, 0, stream>>>(a);
  KERNEL_CHECK();
}

}  // namespace

// ----------------------------------------------------------------------------
// Public entry

void cuda_rope_apply(const RopeArgs& a, cudaStream_t stream) {
  const char* fn = "cuda_rope_apply";
  launch_require(a.dim > 0 && a.dim % 2 == 0 && a.dim <= kMaxRopeDim, fn,
                 "rotary dim must be even and in (0, ", kMaxRopeDim, "], got ", a.dim);
  launch_require(a.n_tokens >= 0 && a.n_heads > 0, fn, "need n_tokens >= 0 and n_heads > 0, got (",
                 a.n_tokens, ", ", a.n_heads, ")");
  launch_require(a.n_tokens * a.n_heads <= INT32_MAX, fn, "n_tokens * n_heads ",
                 a.n_tokens * a.n_heads, " exceeds the grid limit 2^31-1");
  launch_require(a.rot_offset >= 0 && a.rot_offset + a.dim <= a.head_stride, fn, "rotated dims [",
                 a.rot_offset, ", ", a.rot_offset + a.dim, ") must lie inside head_stride ",
                 a.head_stride);
  launch_require(static_cast<int64_t>(a.n_heads) * a.head_stride <= a.token_stride, fn, "n_heads ",
                 a.n_heads, " * head_stride ", a.head_stride, " exceeds token_stride ",
                 a.token_stride);
  if (a.n_tokens == 0) return;
  launch_require(a.x != nullptr && a.positions != nullptr && a.inv_freq != nullptr, fn,
                 "null pointer: x=", a.x, " positions=", a.positions, " inv_freq=", a.inv_freq);
  rope_launch(a, stream);
}

}  // namespace moebench
