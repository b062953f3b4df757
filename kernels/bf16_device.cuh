// Device-side bf16 <-> f32 on the raw uint16_t bits the public launchers take, and a block sum.
#pragma once

#include <cuda_bf16.h>

#include <cstdint>

namespace moebench {

__device__ __forceinline__ float bf16_load(const uint16_t* p) {
  return __bfloat162float(*reinterpret_cast<const __nv_bfloat16*>(p));
}

// Round to nearest even, like the host f32_to_bf16.
__device__ __forceinline__ void bf16_store(uint16_t* p, float v) {
  *reinterpret_cast<__nv_bfloat16*>(p) = __float2bfloat16_rn(v);
}

__device__ __forceinline__ float bf16_round_dev(float v) {
  return __bfloat162float(__float2bfloat16_rn(v));
}

// Sum of v over the block; every thread gets the result. blockDim.x must be a multiple of 32.
__device__ __forceinline__ float block_sum(float v) {
  __shared__ float warp_sums[32];
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  __syncthreads();  // NOTE: warp_sums may still be read by a previous call
  if (lane == 0) warp_sums[warp] = v;
  __syncthreads();
  const int n_warps = blockDim.x / 32;
  v = lane < n_warps ? warp_sums[lane] : 0.0f;
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

}  // namespace moebench
