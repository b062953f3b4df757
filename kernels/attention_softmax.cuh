// The online-softmax step of the two flash-attention prefill kernels (mma.sync and wgmma), on the
// accumulator layout they share per warp: for each n8 tile j of a 16-row slab, lane l holds rows
// g = l / 4 and g + 8, columns 2 (l % 4) and the next one, at index 4 j + e (e / 2: the row half,
// e % 2: the column). Exp2 domain; a row's four lanes (a quad) share its max and sum.
#pragma once

#include <cuda_bf16.h>

#include <cmath>
#include <cstdint>

#include "kernels/attention.h"

namespace moebench {

// The running max and sum of a thread's rows g and g + 8.
struct SoftmaxRows {
  float m[2] = {-INFINITY, -INFINITY};
  float l[2] = {0.0f, 0.0f};
};

__device__ __forceinline__ uint32_t pack_bf16(float lo, float hi) {
  const __nv_bfloat162 v = __floats2bfloat162_rn(lo, hi);
  return *reinterpret_cast<const uint32_t*>(&v);
}

// One key tile: masks the scores s (keys key0 + 8 j + e % 2 of rows at positions q_pos + 8 (e / 2);
// visible when below len_k and, causal, at or before the row's position), scales them to the exp2
// domain, updates rows' max and sum, and leaves P in s (f32 holding bf16 values) and alpha, the
// factor by which the rows' previous output must be scaled.
template <int kNTiles>
__device__ __forceinline__ void softmax_tile_p(float (&s)[kNTiles * 4], int key0, int q_pos,
                                               int len_k, bool causal, float scale_log2,
                                               SoftmaxRows& r, float (&alpha)[2]) {
  float tile_max[2] = {-INFINITY, -INFINITY};
#pragma unroll
  for (int j = 0; j < kNTiles; ++j) {
#pragma unroll
    for (int e = 0; e < 4; ++e) {
      const int key = key0 + j * 8 + e % 2;
      const bool visible = key < len_k && (!causal || key <= q_pos + e / 2 * 8);
      float& v = s[4 * j + e];
      v = visible ? v * scale_log2 : -INFINITY;
      tile_max[e / 2] = fmaxf(tile_max[e / 2], v);
    }
  }
  float m_use[2];
#pragma unroll
  for (int h = 0; h < 2; ++h) {
    tile_max[h] = fmaxf(tile_max[h], __shfl_xor_sync(0xffffffffu, tile_max[h], 1));
    tile_max[h] = fmaxf(tile_max[h], __shfl_xor_sync(0xffffffffu, tile_max[h], 2));
    const float m_new = fmaxf(r.m[h], tile_max[h]);
    m_use[h] = m_new == -INFINITY ? 0.0f : m_new;  // no visible key yet: every p is 0
    alpha[h] = exp2f(r.m[h] - m_use[h]);
    r.m[h] = m_new;
  }
  float sum[2] = {0.0f, 0.0f};
#pragma unroll
  for (int i = 0; i < kNTiles * 4; ++i) {
    // NOTE: the sum adds what P·V multiplies (bf16), so rows normalize to 1.
    s[i] = __bfloat162float(__float2bfloat16_rn(exp2f(s[i] - m_use[i % 4 / 2])));
    sum[i % 4 / 2] += s[i];
  }
#pragma unroll
  for (int h = 0; h < 2; ++h) {
    sum[h] += __shfl_xor_sync(0xffffffffu, sum[h], 1);
    sum[h] += __shfl_xor_sync(0xffffffffu, sum[h], 2);
    r.l[h] = r.l[h] * alpha[h] + sum[h];
  }
}

// P (softmax_tile_p's s) as the m16n8k16 A fragments of the tile's k16 steps (exact: bf16 values).
template <int kNTiles>
__device__ __forceinline__ void pack_p(const float (&p)[kNTiles * 4],
                                       uint32_t (&pa)[kNTiles / 2][4]) {
#pragma unroll
  for (int j = 0; j < kNTiles; ++j) {
    pa[j / 2][j % 2 * 2] = pack_bf16(p[4 * j], p[4 * j + 1]);
    pa[j / 2][j % 2 * 2 + 1] = pack_bf16(p[4 * j + 2], p[4 * j + 3]);
  }
}

// softmax_tile_p, then P as A fragments in pa.
template <int kNTiles>
__device__ __forceinline__ void softmax_tile(float (&s)[kNTiles * 4], int key0, int q_pos,
                                             int len_k, bool causal, float scale_log2,
                                             SoftmaxRows& r, float (&alpha)[2],
                                             uint32_t (&pa)[kNTiles / 2][4]) {
  softmax_tile_p<kNTiles>(s, key0, q_pos, len_k, causal, scale_log2, r, alpha);
  pack_p<kNTiles>(s, pa);
}

// o's rows times alpha, in the n8 tiles below dvp (padded head dim) only.
template <int kNTiles>
__device__ __forceinline__ void rescale_rows(float (&o)[kNTiles * 4], const float (&alpha)[2],
                                             int dvp) {
#pragma unroll
  for (int j = 0; j < kNTiles; ++j) {
    if (j * 8 >= dvp) break;
    o[4 * j] *= alpha[0];
    o[4 * j + 1] *= alpha[0];
    o[4 * j + 2] *= alpha[1];
    o[4 * j + 3] *= alpha[1];
  }
}

// Writes rows g (row_g, the query's row in its sequence) and g + 8 of o divided by their sums as
// bf16 (columns c2 + 8 j below dv, 4-byte stores) into head `head` of sequence rows starting at
// q0; rows at or past len_q are skipped, and a row with no visible key is written as 0.
template <int kNTiles>
__device__ __forceinline__ void store_rows(const float (&o)[kNTiles * 4], const SoftmaxRows& r,
                                           const PrefillAttentionArgs& a, int64_t head_offset,
                                           int q0, int row_g, int len_q, int c2) {
#pragma unroll
  for (int h = 0; h < 2; ++h) {
    const int q_row = row_g + h * 8;
    if (q_row >= len_q) continue;
    const float inv = r.l[h] > 0.0f ? 1.0f / r.l[h] : 0.0f;
    bf16_bits* out = a.out + static_cast<int64_t>(q0 + q_row) * a.out_stride + head_offset;
#pragma unroll
    for (int j = 0; j < kNTiles; ++j) {
      const int d = j * 8 + c2;
      if (d >= a.dv) break;
      *reinterpret_cast<uint32_t*>(out + d) =
          pack_bf16(o[4 * j + 2 * h] * inv, o[4 * j + 2 * h + 1] * inv);
    }
  }
}

}  // namespace moebench
