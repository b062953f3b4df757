// RMSNorm's reduction on the device, one definition for cuda_rmsnorm_strided and the fused kernels
// that norm a row on the way to somewhere else, so every path rounds the same values.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/bf16_device.cuh"

namespace moebench {

// Threads a launcher gives a dim-wide row: the layout of its partial sums. NOTE: 1024 threads keep
// a 7168-wide row at 7 loads per thread; short rows get whole warps.
__host__ __device__ constexpr int rmsnorm_row_threads(int64_t dim) {
  return dim >= 1024 ? 1024 : static_cast<int>((dim + 31) / 32 * 32);
}

// 1 / sqrt(mean(x²) + eps) over x[0, dim), summed as rmsnorm_row_threads(dim) threads would
// (thread v takes v, v + that, ...; the rest add zeros), so a block of any size at least that
// gets the same bits. Every thread of the block must call it (block_sum syncs).
__device__ __forceinline__ float row_rms_inv(const uint16_t* x, int64_t dim, float eps) {
  const int lanes = rmsnorm_row_threads(dim);
  float ss = 0.0f;
  if (static_cast<int>(threadIdx.x) < lanes) {
    for (int64_t i = threadIdx.x; i < dim; i += lanes) {
      const float v = bf16_load(x + i);
      ss += v * v;
    }
  }
  ss = block_sum(ss);
  return 1.0f / sqrtf(ss / static_cast<float>(dim) + eps);
}

// y[i] = w[i] * (x[i] * inv) in bf16, i < dim, threads striding the block. Each element is read
// and written by one thread, so y may alias x.
__device__ __forceinline__ void row_rms_scale(const uint16_t* x, int64_t dim, float inv,
                                              const uint16_t* w, uint16_t* y) {
  for (int64_t i = threadIdx.x; i < dim; i += blockDim.x) {
    bf16_store(y + i, __fmul_rn(bf16_load(w + i), __fmul_rn(bf16_load(x + i), inv)));
  }
}

}  // namespace moebench
