// Memory-bound skinny GEMMs for decode: cuda_gemm_skinny (C = A · B^T, m <= 16 rows of A, strided
// batches; a (k, n) B goes to gemm_skinny_kn.cu) and cuda_grouped_gemm (MoE experts, offsets read
// on the device). Both stream each weight row once per tile of A rows with 16-byte loads and share
// one warp tile.
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <type_traits>

#include "kernels/bf16_device.cuh"
#include "kernels/cuda_check.h"
#include "kernels/gemm.h"
#include "kernels/gemm_skinny.cuh"
#include "kernels/gemm_skinny_warp.cuh"
#include "kernels/grouped_gemm.h"
#include "kernels/launch_check.h"
#include "kernels/pdl.cuh"
#include "kernels/swiglu_device.cuh"

namespace moebench {
namespace {

constexpr int kWarp = 32;
constexpr int kWarpsPerBlock = 4;
// NOTE: 4 weight rows per warp: A (up to 16 rows, re-read from L1) is loaded once per 4 weight
// rows, which keeps L1 traffic at m = 16 under ~4x the HBM stream, and a lane keeps 4 independent
// 16-byte loads in flight (8 with the 2x unrolled loop; fewer columns a warp unroll further).
constexpr int kColsPerWarp = 4;
constexpr int kColsPerBlock = kWarpsPerBlock * kColsPerWarp;
constexpr int kVecElems = kSkinnyVecElems;  // bf16 per 16-byte load
constexpr int kGroupedRowsPerTile = 16;     // most rows of one expert per grouped-GEMM block
// NOTE: k values of the SwiGLU activation one grouped block stages per pass: a multiple of the
// warp's k stride (32 x 8), 16 KB at 16 rows.
constexpr int kSwigluChunk = 512;
// NOTE: the dense kernel's chunk at up to 4 rows (16 KB at 4): each warp then runs 8 loads deep
// between the block's barriers, where 512 values give it 2.
constexpr int kSwigluWideChunk = 2048;
static_assert(kSwigluChunk % (kWarp * kVecElems) == 0 &&
                  kSwigluWideChunk % (kWarp * kVecElems) == 0,
              "chunks keep the lanes' k order");
constexpr int64_t kMaxGridY = 65535;

// ----------------------------------------------------------------------------
// GPU kernels

// The whole warp tile (see SkinnyTile): accumulate from zero over all of k, then store (and with
// best, max its columns' argmax keys into it).
template <int kC, int kM, typename OutT, bool kVec, bool kLo = false>
__device__ __forceinline__ void skinny_warp_tile(const SkinnyTile& t, int64_t col0,
                                                 uint64_t* best = nullptr) {
  float acc[kM][kC];
  zero(acc);
  skinny_warp_accumulate<kC, kM, kVec, kLo>(t, col0, acc, [&](int r) { return t.a + r * t.lda; });
  skinny_warp_store<kC, kM, OutT>(t, col0, acc, best);
}

// t.argmax[r] = max(t.argmax[r], the block's warps' best[r]): one atomic a row a block (a logits
// row of 102,400 columns takes 6,400 of them, spread over the GEMV's weight stream). Every thread
// of the block calls it (it syncs the block).
template <int kM>
__device__ __forceinline__ void skinny_block_argmax(const SkinnyTile& t,
                                                    const uint64_t (&best)[kM]) {
  __shared__ uint64_t warp_best[kWarpsPerBlock][kM];
  const int warp = threadIdx.x / kWarp;
  if (threadIdx.x % kWarp == 0) {
#pragma unroll
    for (int r = 0; r < kM; ++r) warp_best[warp][r] = best[r];
  }
  __syncthreads();
  if (threadIdx.x < t.m) {
    uint64_t b = 0;
#pragma unroll
    for (int w = 0; w < kWarpsPerBlock; ++w) {
      const uint64_t v = warp_best[w][threadIdx.x];
      b = v > b ? v : b;
    }
    if (b != 0) {
      atomicMax(reinterpret_cast<unsigned long long*>(t.argmax + threadIdx.x),
                static_cast<unsigned long long>(b));
    }
  }
}

// grid.x = ceil(n / (4 kC)), grid.y = batch entries; warp w of block b owns columns
// (b * 4 + w) * kC + [0, kC) of entry blockIdx.y.
// NOTE: the block's weight rows do not depend on the previous kernel, so a block launched early
// asks for them before it waits.
template <int kC, int kM, typename OutT, bool kVec, bool kLo>
__global__ void __launch_bounds__(kWarpsPerBlock* kWarp) gemm_skinny_kernel(SkinnyTile batched) {
  const SkinnyTile t = batch_entry<OutT>(batched, blockIdx.y);
  const int64_t warp = static_cast<int64_t>(blockIdx.x) * kWarpsPerBlock + threadIdx.x / kWarp;
  const int64_t col0 = warp * kC;
  if (t.prefetch) {
    const int64_t row0 = static_cast<int64_t>(blockIdx.x) * kWarpsPerBlock * kC;
    const int64_t rows = min(static_cast<int64_t>(kWarpsPerBlock * kC), t.n - row0);
    l2_prefetch(t.b + row0 * t.ldb, static_cast<size_t>(((rows - 1) * t.ldb + t.k) * 2));
  }
  pdl_wait();
  pdl_trigger();
  if (t.argmax == nullptr) {
    if (col0 < t.n) skinny_warp_tile<kC, kM, OutT, kVec, kLo>(t, col0);
    return;
  }
  // NOTE: block-uniform branch; warps past n still reach the block's barrier.
  uint64_t best[kM];
#pragma unroll
  for (int r = 0; r < kM; ++r) best[r] = 0;
  if (col0 < t.n) skinny_warp_tile<kC, kM, OutT, kVec, kLo>(t, col0, best);
  skinny_block_argmax<kM>(t, best);
}

// The block's expert and rows [lo, hi) for slot `slot`: the slot-th row tile (kR rows) counting
// experts in order; expert < 0 when the slot has no tile. Offsets are read by every thread
// (n_experts + 1 cached loads), so the answer is block-uniform.
template <int kR>
__device__ __forceinline__ int grouped_row_tile(const GroupedGemmArgs& g, int64_t slot, int64_t& lo,
                                                int64_t& hi) {
  int expert = -1;
  int64_t before = 0, prev = __ldg(g.offsets);
  lo = hi = 0;
  for (int e = 0; e < g.n_experts; ++e) {
    const int64_t next = __ldg(g.offsets + e + 1);
    const int64_t tiles = next > prev ? (next - prev + kR - 1) / kR : 0;
    if (slot < before + tiles) {
      expert = e;
      lo = prev + (slot - before) * kR;
      hi = min(next, lo + kR);
      break;
    }
    before += tiles;
    prev = next;
  }
  hi = min(hi, g.max_rows);  // NOTE: offsets past the caller's bound would write past y
  return expert < 0 || lo < 0 || lo >= hi ? -1 : expert;
}

// A packed (m, k) A against a (n, k) B into a packed (m, n) C, as a skinny tile.
__device__ __forceinline__ SkinnyTile packed_tile(const bf16_bits* a, int64_t m, const bf16_bits* b,
                                                  bf16_bits* c, int64_t n, int64_t k) {
  SkinnyTile t;
  t.a = a;
  t.lda = k;
  t.m = static_cast<int>(m);
  t.b = b;
  t.ldb = k;
  t.c = c;
  t.ldc = n;
  t.n = n;
  t.k = k;
  return t;
}

// Expert e's rows [lo, hi) of a grouped GEMM as a skinny tile (A: x's rows, k wide).
__device__ __forceinline__ SkinnyTile expert_tile(const GroupedGemmArgs& g, int expert, int64_t lo,
                                                  int64_t hi) {
  return packed_tile(g.x + lo * g.k, hi - lo, g.w + expert * g.n * g.k, g.y + lo * g.n, g.n, g.k);
}

// Row tile `slot` of the dense GEMM (kR rows from slot * kR) as a skinny tile (A: x_dense's rows,
// k_dense wide; x_swiglu's [gate | up] rows are read by the caller); false past its rows.
template <int kR>
__device__ __forceinline__ bool dense_tile(const GroupedGemmArgs& g, int64_t slot, SkinnyTile& t,
                                           int64_t& lo) {
  lo = slot * kR;
  const int64_t hi = min(g.dense_rows, lo + kR);
  if (lo >= hi) return false;
  t = packed_tile(g.x_dense + lo * g.k_dense, hi - lo, g.w_dense, g.y_dense + lo * g.n_dense,
                  g.n_dense, g.k_dense);
  return true;
}

// grid.x = tile slots (an upper bound of the row tiles of all experts, then the dense GEMM's row
// tiles from routed_slots), grid.y = column tiles. Slot s < routed_slots is the s-th row tile
// counting experts in order, kR rows each; slots past the last tile exit. kMap: row r of an
// expert's tile reads x row x_slots[lo + r] / slot_div (the gather fused into the load: the same
// values in the same order as over a gathered copy).
template <int kR, bool kVec, bool kMap>
__global__ void __launch_bounds__(kWarpsPerBlock* kWarp)
    grouped_gemm_kernel(GroupedGemmArgs g, int64_t routed_slots) {
  pdl_wait();  // the offsets come from the previous kernels
  pdl_trigger();
  const int64_t warp = static_cast<int64_t>(blockIdx.y) * kWarpsPerBlock + threadIdx.x / kWarp;
  const int64_t col0 = warp * kColsPerWarp;
  int64_t lo = 0, hi = 0;
  SkinnyTile t;
  const bool dense = blockIdx.x >= routed_slots;
  if (dense) {
    if (!dense_tile<kR>(g, blockIdx.x - routed_slots, t, lo)) return;
  } else {
    const int expert = grouped_row_tile<kR>(g, blockIdx.x, lo, hi);
    if (expert < 0) return;
    t = expert_tile(g, expert, lo, hi);
  }
  if (col0 >= t.n) return;
  float acc[kR][kColsPerWarp];
  zero(acc);
  if (kMap && !dense) {
    const bf16_bits* rows[kR];
#pragma unroll
    for (int r = 0; r < kR; ++r) {
      const int64_t row = r < t.m ? __ldg(g.x_slots + lo + r) / g.slot_div : 0;
      rows[r] = g.x + row * g.k;
    }
    skinny_warp_accumulate<kColsPerWarp, kR, kVec>(t, col0, acc, [&](int r) { return rows[r]; });
  } else {
    skinny_warp_accumulate<kColsPerWarp, kR, kVec>(t, col0, acc,
                                                   [&](int r) { return t.a + r * t.lda; });
  }
  skinny_warp_store<kColsPerWarp, kR, bf16_bits>(t, col0, acc);
}

// act (m, kc), row stride kChunk = bf16(silu(gate) * up) of rows [0, m) of x (row stride ld, each
// [gate (k) | up (k)]), columns [k0, k0 + kc). All threads of the block.
template <int kChunk, bool kVec>
__device__ __forceinline__ void stage_swiglu(const bf16_bits* x, int64_t ld, int64_t k, int m,
                                             int64_t k0, int kc, bf16_bits* act) {
  // NOTE: kVec implies k % 8 == 0, so every chunk (a multiple of 8 long but the last, k - k0) is
  // whole vectors.
  const int per_row = kVec ? kc / kVecElems : kc;
  for (int i = threadIdx.x; i < m * per_row; i += blockDim.x) {
    const int r = i / per_row;
    const int c = kVec ? i % per_row * kVecElems : i % per_row;
    const bf16_bits* gate = x + r * ld + k0 + c;
    bf16_bits* out = act + r * kChunk + c;
    if constexpr (kVec) {
      float gf[kVecElems], uf[kVecElems];
      unpack8(__ldg(reinterpret_cast<const uint4*>(gate)), gf);
      unpack8(__ldg(reinterpret_cast<const uint4*>(gate + k)), uf);
#pragma unroll
      for (int e = 0; e < kVecElems; ++e) bf16_store(out + e, swiglu_f32(gf[e], uf[e]));
    } else {
      bf16_store(out, swiglu_f32(bf16_load(gate), bf16_load(gate + k)));
    }
  }
}

// A block's tile over SwiGLU rows: out's weight, output and sizes (out.a unused), x the rows'
// [gate | up] (row stride ld_x); each warp owns kC columns from col0. The block forms the
// activations kChunk columns at a time in shared memory (once per block, not per warp: the SwiGLU
// costs ~30 instructions a value) and its warps accumulate each chunk from there. NOTE: chunks
// are multiples of the warp's k stride (32 lanes x 8), so every lane sums the same products in the
// same order as over cuda_swiglu's output, whatever kC and kChunk: the results are bit-identical.
// Every thread must call it (it syncs the block).
template <int kR, int kC, int kChunk, bool kVec>
__device__ __forceinline__ void swiglu_gemm_tile(SkinnyTile out, const bf16_bits* x, int64_t ld_x,
                                                 int64_t col0, bf16_bits* act) {
  const bool active = col0 < out.n;  // NOTE: idle warps still stage and reach every barrier
  const bf16_bits* w = out.b;
  const int64_t k = out.k;
  out.a = act;
  out.lda = kChunk;
  float acc[kR][kC];
  zero(acc);
  for (int64_t k0 = 0; k0 < k; k0 += kChunk) {
    const int kc = static_cast<int>(min(static_cast<int64_t>(kChunk), k - k0));
    __syncthreads();  // the previous chunk is no longer read
    stage_swiglu<kChunk, kVec>(x, ld_x, k, out.m, k0, kc, act);
    __syncthreads();
    if (active) {
      out.b = w + k0;
      out.k = kc;
      skinny_warp_accumulate<kC, kR, kVec, false, true>(out, col0, acc,
                                                        [&](int r) { return out.a + r * out.lda; });
    }
  }
  if (active) skinny_warp_store<kC, kR, bf16_bits>(out, col0, acc);
}

// grouped_gemm_kernel over x_swiglu rows (swiglu_gemm_tile per expert row tile, then the dense
// GEMM's row tiles over x_dense's [gate | up] rows).
template <int kR, bool kVec>
__global__ void __launch_bounds__(kWarpsPerBlock* kWarp)
    grouped_gemm_swiglu_kernel(GroupedGemmArgs g, int64_t routed_slots) {
  __shared__ __align__(16) bf16_bits act[kR * kSwigluChunk];
  pdl_wait();
  pdl_trigger();
  const int64_t warp = static_cast<int64_t>(blockIdx.y) * kWarpsPerBlock + threadIdx.x / kWarp;
  int64_t lo = 0, hi = 0;
  if (blockIdx.x >= routed_slots) {  // block-uniform, before any barrier
    SkinnyTile t;
    if (!dense_tile<kR>(g, blockIdx.x - routed_slots, t, lo)) return;
    // NOTE: grid.y spans the wider of n and n_dense: a column tile past this part's outputs would
    // stage the activations for no warp.
    if (static_cast<int64_t>(blockIdx.y) * kColsPerBlock >= t.n) return;
    swiglu_gemm_tile<kR, kColsPerWarp, kSwigluChunk, kVec>(t, g.x_dense + lo * 2 * g.k_dense,
                                                           2 * g.k_dense, warp * kColsPerWarp, act);
    return;
  }
  const int expert = grouped_row_tile<kR>(g, blockIdx.x, lo, hi);
  if (expert < 0 || static_cast<int64_t>(blockIdx.y) * kColsPerBlock >= g.n) return;  // uniform
  swiglu_gemm_tile<kR, kColsPerWarp, kSwigluChunk, kVec>(
      expert_tile(g, expert, lo, hi), g.x + lo * 2 * g.k, 2 * g.k, warp * kColsPerWarp, act);
}

// The dense skinny GEMM over a_swiglu rows: grid.x = column tiles of kWarpsPerBlock * kC.
template <int kR, int kC, int kChunk, bool kVec>
__global__ void __launch_bounds__(kWarpsPerBlock* kWarp) gemm_skinny_swiglu_kernel(SkinnyTile t) {
  __shared__ __align__(16) bf16_bits act[kR * kChunk];
  pdl_wait();
  pdl_trigger();
  const int64_t warp = static_cast<int64_t>(blockIdx.x) * kWarpsPerBlock + threadIdx.x / kWarp;
  swiglu_gemm_tile<kR, kC, kChunk, kVec>(t, t.a, t.lda, warp * kC, act);
}

// ----------------------------------------------------------------------------
// Launchers

unsigned col_tiles(int64_t n) {
  return static_cast<unsigned>((n + kColsPerBlock - 1) / kColsPerBlock);
}

template <int kC, typename OutT, bool kVec, bool kLo>
void gemm_skinny_launch_mc(const SkinnyTile& t, int batch, cudaStream_t stream) {
  const int64_t per_block = int64_t{kWarpsPerBlock} * kC;
  const dim3 grid(static_cast<unsigned>((t.n + per_block - 1) / per_block),
                  static_cast<unsigned>(batch));
  const dim3 block(kWarpsPerBlock * kWarp);
  skinny_rows_dispatch(t.m, [&](auto r) {
    constexpr int kM = decltype(r)::value;
    pdl_launch(gemm_skinny_kernel<kC, kM, OutT, kVec, kLo>, grid, block, 0, stream, t);
  });
  KERNEL_CHECK();
}

// Columns per warp: 4 amortizes A's L1 reads over 4 weight rows, but a narrow weight then
// yields too few warps to keep enough loads in flight to stream HBM (n = 2048: 512 warps, ~4
// per SM). Small m (A reads are cheap) and narrow n take 1 or 2 columns per warp instead. The
// weight rows of all batch entries count (V2-Lite's 16 heads x 128 rows: 2048).
template <typename OutT, bool kVec, bool kLo = false>
void gemm_skinny_launch_m(const SkinnyTile& t, int batch, cudaStream_t stream) {
  const int64_t rows = t.n * batch;
  if (t.m <= 4 && rows < 4096) {
    gemm_skinny_launch_mc<1, OutT, kVec, kLo>(t, batch, stream);
  } else if (t.m <= 4 && rows < 16384) {
    gemm_skinny_launch_mc<2, OutT, kVec, kLo>(t, batch, stream);
  } else {
    gemm_skinny_launch_mc<4, OutT, kVec, kLo>(t, batch, stream);
  }
}

template <int kTile, int kC, int kChunk>
void gemm_skinny_swiglu_launch_c(const SkinnyTile& t, bool vec, cudaStream_t stream) {
  const int64_t per_block = int64_t{kWarpsPerBlock} * kC;
  const dim3 grid(static_cast<unsigned>((t.n + per_block - 1) / per_block));
  pdl_launch(vec ? gemm_skinny_swiglu_kernel<kTile, kC, kChunk, true>
                 : gemm_skinny_swiglu_kernel<kTile, kC, kChunk, false>,
             grid, dim3(kWarpsPerBlock * kWarp), 0, stream, t);
}

// The a_swiglu kernel, row tile rounded up to a power of two like the plain kernel's. Up to 4
// rows: the plain kernel's columns per warp (a narrow weight such as V2-Lite's shared down
// projection, n = 2048, would otherwise be 128 blocks of 4 warps with ~16 KB in flight an SM) and
// 2048-value chunks; more rows: 4 columns a warp (A's staged rows serve 16 columns a block) and
// 512-value chunks (the stage holds up to 16 rows).
void gemm_skinny_swiglu_launch(const SkinnyTile& t, bool vec, cudaStream_t stream) {
  skinny_rows_dispatch(t.m, [&](auto r) {
    constexpr int kTile = decltype(r)::value;
    if constexpr (kTile <= 4) {
      if (t.n < 4096) {
        gemm_skinny_swiglu_launch_c<kTile, 1, kSwigluWideChunk>(t, vec, stream);
      } else if (t.n < 16384) {
        gemm_skinny_swiglu_launch_c<kTile, 2, kSwigluWideChunk>(t, vec, stream);
      } else {
        gemm_skinny_swiglu_launch_c<kTile, 4, kSwigluWideChunk>(t, vec, stream);
      }
    } else {
      gemm_skinny_swiglu_launch_c<kTile, kColsPerWarp, kSwigluChunk>(t, vec, stream);
    }
  });
  KERNEL_CHECK();
}

// A transposed B (n, k). a_swiglu and a_lo come with batch 1 (gemm_args_check).
void gemm_skinny_launch(const GemmArgs& g, cudaStream_t stream) {
  const SkinnyTile t = skinny_tile(g, stream);
  const bool vec = skinny_b_vec(g) && aligned16(g.a) && g.lda % kVecElems == 0 &&
                   (g.batch == 1 || g.stride_a % kVecElems == 0) &&
                   (g.a_lo == nullptr || aligned16(g.a_lo));
  if (g.a_swiglu) {  // bf16 c only (gemm_skinny_check)
    gemm_skinny_swiglu_launch(t, vec && g.k % kVecElems == 0, stream);
  } else if (g.a_lo != nullptr) {  // f32 c only (gemm_args_check)
    vec ? gemm_skinny_launch_m<float, true, true>(t, 1, stream)
        : gemm_skinny_launch_m<float, false, true>(t, 1, stream);
  } else if (g.c_f32) {
    vec ? gemm_skinny_launch_m<float, true>(t, g.batch, stream)
        : gemm_skinny_launch_m<float, false>(t, g.batch, stream);
  } else {
    vec ? gemm_skinny_launch_m<bf16_bits, true>(t, g.batch, stream)
        : gemm_skinny_launch_m<bf16_bits, false>(t, g.batch, stream);
  }
}

void grouped_gemm_launch(const GroupedGemmArgs& g, cudaStream_t stream) {
  // NOTE: sum over experts of ceil(rows_e / R) <= floor(max_rows / R) + (non-empty experts), so
  // this many slots cover every tile whatever the device offsets are.
  const int64_t bound = g.max_rows_per_expert > 0 ? g.max_rows_per_expert : kGroupedRowsPerTile;
  const int R = bound <= 1 ? 1 : bound <= 2 ? 2 : bound <= 4 ? 4 : bound <= 8 ? 8 : 16;
  const int64_t routed = g.max_rows / R + std::min<int64_t>(g.n_experts, g.max_rows);
  const int64_t slots = routed + (g.dense_rows + R - 1) / R;
  launch_require(slots <= INT32_MAX, "cuda_grouped_gemm", "row tiles must be < 2^31, got ", slots,
                 " (max_rows ", g.max_rows, ", dense_rows ", g.dense_rows, ")");
  const int64_t n_cols = g.dense_rows > 0 ? std::max(g.n, g.n_dense) : g.n;
  const dim3 grid(static_cast<unsigned>(slots), col_tiles(n_cols)), block(kWarpsPerBlock * kWarp);
  const bool vec = aligned16(g.x) && aligned16(g.w) && g.k % kVecElems == 0;
  auto go = [&](auto r) {
    constexpr int kTile = decltype(r)::value;
    if (g.x_swiglu) {
      pdl_launch(
          vec ? grouped_gemm_swiglu_kernel<kTile, true> : grouped_gemm_swiglu_kernel<kTile, false>,
          grid, block, 0, stream, g, routed);
    } else if (g.x_slots != nullptr) {
      pdl_launch(
          vec ? grouped_gemm_kernel<kTile, true, true> : grouped_gemm_kernel<kTile, false, true>,
          grid, block, 0, stream, g, routed);
    } else {
      pdl_launch(
          vec ? grouped_gemm_kernel<kTile, true, false> : grouped_gemm_kernel<kTile, false, false>,
          grid, block, 0, stream, g, routed);
    }
  };
  switch (R) {
    case 1:
      go(std::integral_constant<int, 1>{});
      break;
    case 2:
      go(std::integral_constant<int, 2>{});
      break;
    case 4:
      go(std::integral_constant<int, 4>{});
      break;
    case 8:
      go(std::integral_constant<int, 8>{});
      break;
    default:
      go(std::integral_constant<int, 16>{});
  }
  KERNEL_CHECK();
}

}  // namespace

// ----------------------------------------------------------------------------
// Public entries

void cuda_gemm_skinny(const GemmArgs& args, cudaStream_t stream) {
  const char* fn = "cuda_gemm_skinny";
  gemm_args_check(args, fn, true);
  gemm_skinny_check(args, fn);
  if (args.m == 0) return;
  if (args.b_transposed) {
    gemm_skinny_launch(args, stream);
  } else {
    gemm_skinny_kn_launch(args, stream);
  }
}

void cuda_grouped_gemm(const GroupedGemmArgs& args, cudaStream_t stream) {
  const char* fn = "cuda_grouped_gemm";
  grouped_gemm_args_check(args, fn, false, true);
  launch_require(args.offsets != nullptr, fn, "offsets (device) must not be null");
  launch_require(col_tiles(args.n) <= kMaxGridY, fn, "n must be <= ", kMaxGridY * kColsPerBlock,
                 ", got ", args.n);
  if (args.dense_rows > 0) {
    launch_require(col_tiles(args.n_dense) <= kMaxGridY, fn,
                   "n_dense must be <= ", kMaxGridY * kColsPerBlock, ", got ", args.n_dense);
    // NOTE: one kernel instance serves both parts, so the dense rows take the experts' load path
    // (vector or scalar), each the one cuda_gemm_skinny would take: the same bits.
    const bool vec = aligned16(args.x) && aligned16(args.w) && args.k % kVecElems == 0;
    const bool dense_vec =
        aligned16(args.x_dense) && aligned16(args.w_dense) && args.k_dense % kVecElems == 0;
    launch_require(vec == dense_vec, fn,
                   "the dense GEMM's loads must match the experts' (16-byte aligned x_dense and "
                   "w_dense and k_dense % 8 == 0 exactly when x, w and k are), got k ",
                   args.k, " k_dense ", args.k_dense);
  }
  if (args.max_rows == 0 && args.dense_rows == 0) return;
  grouped_gemm_launch(args, stream);
}

}  // namespace moebench
