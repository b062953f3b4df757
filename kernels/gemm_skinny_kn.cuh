// The skinny GEMM over a (k, n) B, one block's work (MLA's per-head q absorb at decode): threads
// own 8 consecutive output columns and split k, so every B row is streamed once as coalesced
// 16-byte loads; the k-groups' partial sums meet in shared memory. Shared by gemm_skinny_kn.cu's
// kernel and the launch that runs it beside cuda_mla_prepare's blocks (mla_prepare_absorb.cu).
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/bf16_device.cuh"
#include "kernels/gemm_skinny.cuh"
#include "kernels/pdl.cuh"

namespace moebench::skinny_kn {

constexpr int kWarp = 32;
constexpr unsigned kFull = 0xffffffffu;
constexpr int kThreads = 256;
constexpr int kColsPerThread = kSkinnyVecElems;  // one 16-byte load of a B row
// NOTE: 8 threads across the columns make a block's tile 64 columns, 128 bytes of each B row: one
// warp load reads 4 whole lines (4 k-groups x 8 threads), and V2-Lite's q absorb (16 heads x 512
// columns) still spreads over 128 blocks.
constexpr int kColThreads = 8;
constexpr int kCols = kColThreads * kColsPerThread;  // 64 columns per block
constexpr int kGroups = kThreads / kColThreads;      // 32 k-groups
constexpr int kWarps = kThreads / kWarp;
// NOTE: a k-group takes 4 consecutive B rows a pass: 4 independent 16-byte loads in flight per
// thread, and a row of A's 4 matching values is one float4 from shared memory.
constexpr int kRows = 4;
constexpr int kChunk = kGroups * kRows;  // k values a pass: all of the absorb's k = 128
static_assert(kRows == 4, "kn_accumulate reads A's values of a group as one float4");

// The block's shared memory: A as f32 (fits m = 16: 40 KB of the 48 KB static limit).
template <int kM>
struct KnShared {
  float a[kM][kChunk];            // A's rows over this pass's k values; zero past m and k
  float part[kWarps][kM][kCols];  // each warp's partial sums (its 4 k-groups added)
};

// B row p's 8 values from column col, as raw bf16 pairs: one streaming 16-byte load when kVecB and
// all 8 lie inside n, else element loads; zeros past k and n.
template <bool kVecB>
__device__ __forceinline__ uint4 kn_load_b(const SkinnyTile& t, int64_t p, int64_t col) {
  if (p >= t.k) return make_uint4(0, 0, 0, 0);
  const bf16_bits* row = t.b + p * t.ldb + col;
  // NOTE: weights are read once: streaming (evict-first) loads keep A resident.
  if (kVecB && col + kColsPerThread <= t.n) return __ldcs(reinterpret_cast<const uint4*>(row));
  uint32_t w[4] = {0, 0, 0, 0};
#pragma unroll
  for (int e = 0; e < kColsPerThread; ++e) {
    if (col + e < t.n) w[e / 2] |= static_cast<uint32_t>(row[e]) << (16 * (e % 2));
  }
  return make_uint4(w[0], w[1], w[2], w[3]);
}

// A's rows over k values [k0, k0 + kChunk) into a as f32. All threads of the block, after
// pdl_wait (A is the previous kernel's output).
template <int kM>
__device__ __forceinline__ void kn_stage_a(const SkinnyTile& t, int64_t k0,
                                           float (&a)[kM][kChunk]) {
  for (int i = threadIdx.x; i < kM * kChunk; i += kThreads) {
    const int r = i / kChunk, p = i % kChunk;
    a[r][p] = r < t.m && k0 + p < t.k ? bf16_load(t.a + r * t.lda + k0 + p) : 0.0f;
  }
}

// acc[r][e] += A[r, p] * B[p, col + e] over the group's kRows rows p of this pass (b holds them).
template <int kM>
__device__ __forceinline__ void kn_accumulate(const SkinnyTile& t, const float (&a)[kM][kChunk],
                                              int group, const uint4 (&b)[kRows],
                                              float (&acc)[kM][kColsPerThread]) {
  float bf[kRows][kColsPerThread];
#pragma unroll
  for (int i = 0; i < kRows; ++i) unpack8(b[i], bf[i]);
#pragma unroll
  for (int r = 0; r < kM; ++r) {
    if (r >= t.m) break;
    const float4 a4 = *reinterpret_cast<const float4*>(&a[r][group * kRows]);
    const float av[kRows] = {a4.x, a4.y, a4.z, a4.w};
#pragma unroll
    for (int i = 0; i < kRows; ++i) {
#pragma unroll
      for (int e = 0; e < kColsPerThread; ++e) acc[r][e] = fmaf(av[i], bf[i][e], acc[r][e]);
    }
  }
}

// Adds the block's k-groups and writes C[r, col0 + j] for r < m, j < kCols inside n: a warp's 4
// groups by shuffles, then the warps through shared memory, always in the same order (replays
// give the same bits). All threads of the block.
template <int kM, typename OutT>
__device__ __forceinline__ void kn_store(const SkinnyTile& t, int64_t col0,
                                         float (&acc)[kM][kColsPerThread],
                                         float (&part)[kWarps][kM][kCols]) {
  const int lane = threadIdx.x % kWarp, warp = threadIdx.x / kWarp;
#pragma unroll
  for (int r = 0; r < kM; ++r) {
    if (r >= t.m) break;
#pragma unroll
    for (int e = 0; e < kColsPerThread; ++e) {
      // Lanes l, l ^ 8, l ^ 16, l ^ 24 hold the same columns for the warp's 4 k-groups.
#pragma unroll
      for (int o = kColThreads; o < kWarp; o <<= 1) {
        acc[r][e] += __shfl_xor_sync(kFull, acc[r][e], o);
      }
    }
    if (lane < kColThreads) {
      float4* dst = reinterpret_cast<float4*>(&part[warp][r][lane * kColsPerThread]);
      dst[0] = make_float4(acc[r][0], acc[r][1], acc[r][2], acc[r][3]);
      dst[1] = make_float4(acc[r][4], acc[r][5], acc[r][6], acc[r][7]);
    }
  }
  __syncthreads();
  OutT* c = static_cast<OutT*>(t.c);
  for (int i = threadIdx.x; i < t.m * kCols; i += kThreads) {
    const int r = i / kCols, j = i % kCols;
    if (col0 + j >= t.n) continue;
    float sum = part[0][r][j];
#pragma unroll
    for (int w = 1; w < kWarps; ++w) sum += part[w][r][j];
    skinny_out_write(t, c + r * t.ldc + col0 + j, sum);
  }
}

// Column tile `col_tile` of batch entry `entry` of the (batched) tile, by a block of kThreads
// threads: prefetch B toward L2 when launched early, wait for the previous kernel, stream B. Thread
// i owns columns col0 + (i % 8) * 8 + [0, 8) and, each pass over kChunk k values, B rows
// (i / 8) * 4 + [0, 4).
// NOTE: the block's B slice does not depend on the previous kernel, so a block launched early asks
// for it before it waits, and each pass issues its B loads before it stages A.
template <int kM, typename OutT, bool kVecB>
__device__ __forceinline__ void kn_block(const SkinnyTile& batched, int64_t entry, int64_t col_tile,
                                         KnShared<kM>& sh) {
  const SkinnyTile t = batch_entry<OutT>(batched, entry);
  const int64_t col0 = col_tile * kCols;
  const int group = threadIdx.x / kColThreads;
  const int64_t col = col0 + threadIdx.x % kColThreads * kColsPerThread;
  if (t.prefetch) {
    const int64_t cols = min(static_cast<int64_t>(kCols), t.n - col0);
    l2_prefetch_rows(t.b + col0, static_cast<size_t>(t.ldb) * 2, t.k,
                     static_cast<size_t>(cols) * 2);
  }
  pdl_wait();
  pdl_trigger();
  float acc[kM][kColsPerThread] = {};
  for (int64_t k0 = 0; k0 < t.k; k0 += kChunk) {
    uint4 b[kRows];
#pragma unroll
    for (int i = 0; i < kRows; ++i) b[i] = kn_load_b<kVecB>(t, k0 + group * kRows + i, col);
    __syncthreads();  // the previous pass's A values are no longer read
    kn_stage_a<kM>(t, k0, sh.a);
    __syncthreads();
    kn_accumulate<kM>(t, sh.a, group, b, acc);
  }
  kn_store<kM, OutT>(t, col0, acc, sh.part);
}

// Column tiles of an n-wide output.
__host__ __device__ inline int64_t kn_col_tiles(int64_t n) { return (n + kCols - 1) / kCols; }

}  // namespace moebench::skinny_kn
