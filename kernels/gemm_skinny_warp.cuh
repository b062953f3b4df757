// The skinny GEMM's warp tile over a transposed B (n, k): one warp's partial dot products of up to
// kM rows of A against kC weight rows, their warp reduction and store. Shared by gemm_skinny.cu's
// kernels and the kernels that run a skinny GEMM as their first phase (moe_router_place.cu), so
// every one of them sums in the same order: the same bits.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/bf16_device.cuh"
#include "kernels/gemm_skinny.cuh"
#include "kernels/sampling.h"

namespace moebench {

inline constexpr int kSkinnyWarp = 32;
inline constexpr unsigned kSkinnyFull = 0xffffffffu;

// A's 8 values at p: read-only global loads (__ldg), or plain loads from shared memory (kASmem).
template <bool kASmem>
__device__ __forceinline__ uint4 a_load8(const bf16_bits* p) {
  if constexpr (kASmem) {
    return *reinterpret_cast<const uint4*>(p);
  } else {
    return __ldg(reinterpret_cast<const uint4*>(p));
  }
}

// One warp's work over a transposed B (n, k): C[r, col0 + j] = alpha * (A[r, :] · B[col0 + j, :]) +
// beta * C[r, col0 + j] for r < m, j < kC.
// Lanes split k: lane l takes 8-element groups l, l + 32, ... (kVec) and the scalar tail, adding
// into acc (per lane; reduced by skinny_warp_store). The warp owns kC columns from col0. Columns
// past n re-read row n - 1 and are not written. a_row(r) is A's row r (t.a + r * t.lda, or a
// gathered row). kASmem: A (and A_lo) live in shared memory.
template <int kC, int kM, bool kVec, bool kLo = false, bool kASmem = false, typename ARow>
__device__ __forceinline__ void skinny_warp_accumulate(const SkinnyTile& t, int64_t col0,
                                                       float (&acc)[kM][kC], ARow a_row) {
  const int lane = threadIdx.x % kSkinnyWarp;
  const bf16_bits* brow[kC];
#pragma unroll
  for (int j = 0; j < kC; ++j) brow[j] = t.b + min(col0 + j, t.n - 1) * t.ldb;
  const int64_t kv = kVec ? t.k / kSkinnyVecElems * kSkinnyVecElems : 0;
  // NOTE: 8 weight loads of 16 bytes in flight per lane whatever kC (few rows of A): a narrow
  // weight leaves few warps per SM (n = 2048 at one column a warp: ~16), and each must keep ~1 KB
  // in flight for the SM to stream HBM. Unrolling keeps every acc's FMA order: the same bits.
  constexpr int kUnroll = kM <= 4 ? 8 / kC : 2;
#pragma unroll kUnroll
  for (int64_t p = static_cast<int64_t>(lane) * kSkinnyVecElems; p < kv;
       p += kSkinnyWarp * kSkinnyVecElems) {
    float bf[kC][kSkinnyVecElems];
#pragma unroll
    for (int j = 0; j < kC; ++j) {
      // NOTE: weights are read once: streaming (evict-first) loads keep A resident in L1/L2.
      unpack8(__ldcs(reinterpret_cast<const uint4*>(brow[j] + p)), bf[j]);
    }
#pragma unroll
    for (int r = 0; r < kM; ++r) {
      if (r >= t.m) break;
      float af[kSkinnyVecElems];
      unpack8(a_load8<kASmem>(a_row(r) + p), af);
      if constexpr (kLo) {
        float lo[kSkinnyVecElems];
        unpack8(a_load8<kASmem>(t.a_lo + r * t.lda + p), lo);
#pragma unroll
        for (int e = 0; e < kSkinnyVecElems; ++e) af[e] += lo[e];
      }
#pragma unroll
      for (int j = 0; j < kC; ++j) {
#pragma unroll
        for (int e = 0; e < kSkinnyVecElems; ++e) acc[r][j] = fmaf(af[e], bf[j][e], acc[r][j]);
      }
    }
  }
  for (int64_t p = kv + lane; p < t.k; p += kSkinnyWarp) {
    float bs[kC];
#pragma unroll
    for (int j = 0; j < kC; ++j) bs[j] = bf16_load(brow[j] + p);
#pragma unroll
    for (int r = 0; r < kM; ++r) {
      if (r >= t.m) break;
      float av = bf16_load(a_row(r) + p);
      if constexpr (kLo) av += bf16_load(t.a_lo + r * t.lda + p);
#pragma unroll
      for (int j = 0; j < kC; ++j) acc[r][j] = fmaf(av, bs[j], acc[r][j]);
    }
  }
}

// Reduces acc over the warp and stores C[r, col0 + j] = alpha * sum + beta * C[r, col0 + j].
// With best (kM keys, every lane): best[r] = max(best[r], sample_argmax_key(C[r, col], col)) over
// the warp's columns (t.argmax's case: beta 0, so every lane has every stored value).
template <int kC, int kM, typename OutT>
__device__ __forceinline__ void skinny_warp_store(const SkinnyTile& t, int64_t col0,
                                                  float (&acc)[kM][kC], uint64_t* best = nullptr) {
  const int lane = threadIdx.x % kSkinnyWarp;
  OutT* c = static_cast<OutT*>(t.c);
#pragma unroll
  for (int r = 0; r < kM; ++r) {
    if (r >= t.m) break;
#pragma unroll
    for (int j = 0; j < kC; ++j) {
      float s = acc[r][j];
#pragma unroll
      for (int o = kSkinnyWarp / 2; o > 0; o >>= 1) s += __shfl_xor_sync(kSkinnyFull, s, o);
      const int64_t col = col0 + j;
      // Spread the stores over lanes; every lane holds every sum after the xor reduction.
      if (lane == (r * kC + j) % kSkinnyWarp && col < t.n)
        skinny_out_write(t, c + r * t.ldc + col, s);
      if (best != nullptr && col < t.n) {
        const uint64_t key = sample_argmax_key(t.alpha * s, static_cast<uint32_t>(col));
        best[r] = key > best[r] ? key : best[r];
      }
    }
  }
}

template <int kM, int kC>
__device__ __forceinline__ void zero(float (&acc)[kM][kC]) {
#pragma unroll
  for (int r = 0; r < kM; ++r) {
#pragma unroll
    for (int j = 0; j < kC; ++j) acc[r][j] = 0.0f;
  }
}

}  // namespace moebench
