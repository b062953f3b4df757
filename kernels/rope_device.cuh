// RoPE on the device, one definition for cuda_rope_apply and the fused kernels that rotate as they
// copy (so every path rounds the same values): which elements pair i reads and writes, and the
// rotation itself, cos/sin from inv_freq like HF in f32.
#pragma once

#include <cuda_runtime.h>

#include "kernels/op_modes.h"

namespace moebench {

// Elements pair i of a dim-wide head reads (first, second).
__device__ __forceinline__ int2 rope_in_index(RopePairing pairing, int half, int i) {
  return pairing == RopePairing::half ? make_int2(i, i + half) : make_int2(2 * i, 2 * i + 1);
}

// Elements pair i writes: pairs rotate in place; half and interleaved write (i, i + half) (the
// interleaved pairing de-interleaves its output, as HF deepseek_v3 does).
__device__ __forceinline__ int2 rope_out_index(RopePairing pairing, int half, int i) {
  return pairing == RopePairing::pairs ? make_int2(2 * i, 2 * i + 1) : make_int2(i, i + half);
}

// Pair (x0, x1) rotated by inv_freq * position, scaled by attention_factor.
__device__ __forceinline__ float2 rope_rotate(float x0, float x1, float inv_freq, float position,
                                              float attention_factor) {
  const float f = __fmul_rn(inv_freq, position);
  const float c = __fmul_rn(cosf(f), attention_factor);
  const float s = __fmul_rn(sinf(f), attention_factor);
  // NOTE: __fmul_rn / __fsub_rn stop nvcc contracting into FMA, so the products round like the
  // CPU engine's a * c - b * s.
  return make_float2(__fsub_rn(__fmul_rn(x0, c), __fmul_rn(x1, s)),
                     __fadd_rn(__fmul_rn(x1, c), __fmul_rn(x0, s)));
}

}  // namespace moebench
