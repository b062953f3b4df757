// What the skinny GEMM's two kernel files share: the tile descriptor, its batch entries, 8-bf16
// unpacking, bf16 or f32 output stores, and the (k, n) launcher gemm_skinny_kn.cu defines.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>
#include <type_traits>

#include "kernels/bf16_device.cuh"
#include "kernels/gemm.h"
#include "kernels/pdl.h"

namespace moebench {

constexpr int kSkinnyVecElems = 8;  // bf16 per 16-byte load

// One skinny GEMM (or one expert's rows of a grouped one) as its kernels see it: row-major views,
// B (n, k) for the transposed kernel, (k, n) for gemm_skinny_kn.cu's. Batch entry i (grid.y)
// moves a, b, c by i * stride_a, stride_b, stride_c elements (batch_entry).
struct SkinnyTile {
  const bf16_bits* a = nullptr;     // (m, lda)
  const bf16_bits* a_lo = nullptr;  // (m, lda) A's low part, read when the kernel's kLo
  int64_t lda = 0;
  int m = 0;                     // <= the kernel's kM
  const bf16_bits* b = nullptr;  // (n, ldb) or (k, ldb)
  int64_t ldb = 0;
  void* c = nullptr;  // (m, ldc) bf16 or f32
  int64_t ldc = 0;
  int64_t n = 0, k = 0;
  float alpha = 1.0f, beta = 0.0f;
  int64_t stride_a = 0, stride_b = 0, stride_c = 0;
  bool prefetch = false;  // launched early (pdl_launch on a marked stream): pull B toward L2 first
  uint64_t* argmax = nullptr;  // (m) GemmArgs::c_argmax: f32 c, beta 0, batch 1
};

// The tile of one cuda_gemm_skinny call (host): args' views, launched on stream.
inline SkinnyTile skinny_tile(const GemmArgs& g, cudaStream_t stream) {
  SkinnyTile t;
  t.a = g.a;
  t.a_lo = g.a_lo;
  t.lda = g.lda;
  t.m = static_cast<int>(g.m);
  t.b = g.b;
  t.ldb = g.ldb;
  t.c = g.c;
  t.ldc = g.ldc;
  t.n = g.n;
  t.k = g.k;
  t.alpha = g.alpha;
  t.beta = g.beta;
  t.stride_a = g.stride_a;
  t.stride_b = g.stride_b;
  t.stride_c = g.stride_c;
  t.prefetch = cuda_stream_pdl(stream);
  t.argmax = g.c_argmax;
  return t;
}

inline bool aligned16(const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

// Every batch entry's b starts 16-byte aligned with rows a multiple of 8 elements apart.
inline bool skinny_b_vec(const GemmArgs& g) {
  return aligned16(g.b) && g.ldb % kSkinnyVecElems == 0 &&
         (g.batch == 1 || g.stride_b % kSkinnyVecElems == 0);
}

// Batch entry `entry` of t (a_lo is batch 1 only and stays).
template <typename OutT>
__device__ __forceinline__ SkinnyTile batch_entry(SkinnyTile t, int64_t entry) {
  t.a += entry * t.stride_a;
  t.b += entry * t.stride_b;
  t.c = static_cast<OutT*>(t.c) + entry * t.stride_c;
  return t;
}

__device__ __forceinline__ float out_load(const float* p) { return *p; }
__device__ __forceinline__ float out_load(const bf16_bits* p) { return bf16_load(p); }
__device__ __forceinline__ void out_store(float* p, float v) { *p = v; }
__device__ __forceinline__ void out_store(bf16_bits* p, float v) { bf16_store(p, v); }

// out = alpha * sum + beta * out (out read only when beta != 0: it may hold garbage).
template <typename OutT>
__device__ __forceinline__ void skinny_out_write(const SkinnyTile& t, OutT* out, float sum) {
  float v = t.alpha * sum;
  if (t.beta != 0.0f) v = fmaf(t.beta, out_load(out), v);
  out_store(out, v);
}

// Calls go(std::integral_constant<int, R>{}) with R the power of two in [1, 16] at least m.
// NOTE: the kernels size their accumulators (registers) by R and skip rows past m by a
// block-uniform branch, so five instances cover every m.
template <typename Go>
void skinny_rows_dispatch(int64_t m, Go&& go) {
  if (m <= 1) {
    go(std::integral_constant<int, 1>{});
  } else if (m <= 2) {
    go(std::integral_constant<int, 2>{});
  } else if (m <= 4) {
    go(std::integral_constant<int, 4>{});
  } else if (m <= 8) {
    go(std::integral_constant<int, 8>{});
  } else {
    go(std::integral_constant<int, 16>{});
  }
}

// C = alpha * A · B + beta * C for a (k, n) B (gemm_skinny_kn.cu); checked by cuda_gemm_skinny.
void gemm_skinny_kn_launch(const GemmArgs& g, cudaStream_t stream);

}  // namespace moebench
