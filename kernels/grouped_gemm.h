// MoE expert GEMM: rows of x grouped by expert go through that expert's weight. A graph-capturable
// decode kernel that reads the group offsets on the device, a per-expert cuBLAS path for prefill,
// and the CPU reference. Compiles without CUDA headers; the cuda_* entries exist in CUDA builds.
#pragma once

#include <climits>
#include <cstdint>
#include <vector>

#include "kernels/bf16.h"
#include "kernels/cuda_stream.h"
#include "kernels/gemm.h"
#include "kernels/launch_check.h"

namespace moebench {

// Rows of x are grouped by expert: rows [offsets[e], offsets[e+1]) go through expert e's weight
// w[e] (n, k) (HF Linear layout): y[r] = x[r] · w[e]^T. offsets (n_experts + 1) live on the DEVICE.
// With x_swiglu, x holds the up projection's [gate | up] rows (rows, 2k) and the GEMM's input row
// is bf16(silu(gate) * up), formed as it is loaded (the SwiGLU fused into the down GEMM: the same
// values cuda_swiglu would write, so the output matches the two-kernel path bit for bit).
struct GroupedGemmArgs {
  const bf16_bits* x = nullptr;      // (rows, k), row stride k; x_swiglu: (rows, 2k), stride 2k
  const int32_t* offsets = nullptr;  // device, (n_experts + 1), offsets[0] = 0, nondecreasing
  const bf16_bits* w = nullptr;      // (n_experts, n, k) contiguous
  bf16_bits* y = nullptr;            // (rows, n), row stride n
  int64_t max_rows = 0;              // host upper bound of offsets[n_experts] (grid sizing)
  // Host upper bound of any one expert's rows (a token picks an expert at most once, so the
  // token count serves); 0 = unknown. Small bounds pick a smaller row tile: decode at batch 1
  // runs one row per expert without 16-row accumulators.
  int64_t max_rows_per_expert = 0;
  int n_experts = 0;
  int64_t n = 0, k = 0;
  bool x_swiglu = false;
  // With x_slots (device, max_rows), GEMM row r reads x row x_slots[r] / slot_div instead of row
  // r: the MoE permute's gather fused into the load (x_slots = perm_to_slot, slot_div = top_k, x
  // the tokens' rows), so the gathered copy is never written. Not with x_swiglu.
  const int32_t* x_slots = nullptr;
  int slot_div = 1;
  // With y_swiglu (cuda_grouped_gemm_wgmma only): w holds each expert's up projection, n / 2 gate
  // rows then n / 2 up rows, and y (rows, n / 2), row stride n / 2, gets bf16(silu(g) * u) of the
  // product's bf16 gate and up values: the SwiGLU in the up GEMM's epilogue, the values
  // cuda_swiglu would write from the plain product.
  bool y_swiglu = false;
  // Optional (cuda_grouped_gemm and cuda_grouped_gemm_wgmma): a dense GEMM run in the same launch
  // after the experts' tiles, such as the shared experts every token goes through: y_dense
  // (dense_rows, n_dense, or n_dense / 2 with y_swiglu, whose layout it shares) = x_dense
  // (dense_rows, k_dense) · w_dense (n_dense, k_dense)ᵀ, rows packed; with x_swiglu (its layout
  // too) x_dense rows are [gate (k_dense) | up (k_dense)] and the product's rows their SwiGLU.
  // x_slots does not apply to it. 0 dense_rows = none.
  const bf16_bits* x_dense = nullptr;
  const bf16_bits* w_dense = nullptr;
  bf16_bits* y_dense = nullptr;
  int64_t dense_rows = 0, n_dense = 0, k_dense = 0;
};

// g with the dense GEMM y (rows, n) = x (rows, k) · w (n, k)ᵀ beside its experts (the x_dense
// fields above).
inline GroupedGemmArgs grouped_with_dense(GroupedGemmArgs g, const bf16_bits* x, const bf16_bits* w,
                                          bf16_bits* y, int64_t rows, int64_t n, int64_t k) {
  g.x_dense = x;
  g.w_dense = w;
  g.y_dense = y;
  g.dense_rows = rows;
  g.n_dense = n;
  g.k_dense = k;
  return g;
}

// Own kernel, graph-capturable: reads offsets on the device. For decode (few rows per expert):
// each block takes (expert, tile of n outputs, tile of up to 16 rows of that expert); blocks of
// experts with no rows exit at once; weights streamed once per row-tile with 16-byte loads. The
// dense GEMM's row tiles come after the experts' (the same warp tile, so the same bits as
// cuda_gemm_skinny over its rows, with a_swiglu under x_swiglu); its loads must take the same
// path as the experts' (16-byte aligned x_dense and w_dense, k_dense % 8 == 0, exactly when the
// experts' are).
// NOTE: rows at or past max_rows are never computed: the caller's bound must hold. y rows in
// [offsets[n_experts], max_rows) are not written.
// NOTE: defined in gemm_skinny.cu next to the dense skinny kernel whose warp tile it shares.
void cuda_grouped_gemm(const GroupedGemmArgs& args, cudaStream_t stream);

// Throws std::invalid_argument naming entry and the bad field (shapes, null pointers, grid limits;
// y_swiglu unless the entry serves_y_swiglu, a dense GEMM unless it serves_dense).
// NOTE: inline so the CUDA library and the CPU references (two static libraries) both have it.
inline void grouped_gemm_args_check(const GroupedGemmArgs& g, const char* fn,
                                    bool serves_y_swiglu = false, bool serves_dense = false) {
  launch_require(g.n_experts >= 1, fn, "n_experts must be >= 1, got ", g.n_experts);
  launch_require(g.n >= 1 && g.n <= INT32_MAX, fn, "n must be in [1, 2^31), got ", g.n);
  launch_require(g.k >= 1 && g.k <= INT32_MAX, fn, "k must be in [1, 2^31), got ", g.k);
  launch_require(g.max_rows >= 0 && g.max_rows <= INT32_MAX, fn,
                 "max_rows must be in [0, 2^31) (offsets are int32), got ", g.max_rows);
  launch_require(g.max_rows == 0 || (g.x != nullptr && g.w != nullptr && g.y != nullptr), fn,
                 "null pointer: x=", g.x, " w=", g.w, " y=", g.y);
  launch_require(g.x_slots == nullptr || !g.x_swiglu, fn,
                 "x_slots (a gather) and x_swiglu cannot be combined");
  launch_require(g.slot_div >= 1, fn, "slot_div must be >= 1, got ", g.slot_div);
  launch_require(!g.y_swiglu || serves_y_swiglu, fn,
                 "y_swiglu (the SwiGLU in the epilogue) is served by cuda_grouped_gemm_wgmma only");
  launch_require(g.dense_rows == 0 || serves_dense, fn,
                 "a dense GEMM beside the experts (dense_rows) is served by cuda_grouped_gemm and "
                 "cuda_grouped_gemm_wgmma only");
  launch_require(g.dense_rows >= 0 && g.dense_rows <= INT32_MAX, fn,
                 "dense_rows must be in [0, 2^31), got ", g.dense_rows);
  launch_require(g.dense_rows == 0 || (g.n_dense >= 1 && g.n_dense <= INT32_MAX && g.k_dense >= 1 &&
                                       g.k_dense <= INT32_MAX),
                 fn, "the dense GEMM needs n_dense and k_dense in [1, 2^31), got n_dense ",
                 g.n_dense, " k_dense ", g.k_dense);
  launch_require(
      g.dense_rows == 0 || (g.x_dense != nullptr && g.w_dense != nullptr && g.y_dense != nullptr),
      fn, "the dense GEMM needs x_dense, w_dense and y_dense, got x_dense=", g.x_dense,
      " w_dense=", g.w_dense, " y_dense=", g.y_dense);
  launch_require(!g.y_swiglu || (g.n % 2 == 0 && !g.x_swiglu), fn,
                 "y_swiglu needs an even n (gate rows then up rows) and no x_swiglu, got n ", g.n);
}

// Prefill path (many rows per expert): host_offsets is a host copy of offsets (the caller syncs
// to get it); one cuBLAS GEMM per non-empty expert; x_swiglu and x_slots are refused. NOT
// graph-capturable (the launch pattern depends on host_offsets; args.offsets is not read).
void cuda_grouped_gemm_host(CublasContext& ctx, const GroupedGemmArgs& args,
                            const std::vector<int32_t>& host_offsets, cudaStream_t stream);

// CPU reference: y (offsets[n_experts], n) from x (offsets[n_experts], k; x_swiglu: 2k, reduced by
// ref_swiglu first) and w (n_experts, n, k), f32 vectors holding bf16 values, double accumulation,
// output rounded to bf16 (y_swiglu: then reduced by ref_swiglu to (offsets[n_experts], n / 2)). The
// pointers in args are ignored; a non-empty x_slots (host) gathers row r from x row x_slots[r] /
// args.slot_div first. Throws std::invalid_argument on bad offsets, slots or short vectors.
void ref_grouped_gemm(const std::vector<float>& x, const std::vector<int32_t>& offsets,
                      const std::vector<float>& w, const GroupedGemmArgs& args,
                      std::vector<float>& y, const std::vector<int32_t>& x_slots = {});

// Tensor-core variant of cuda_grouped_gemm for decode batches (same args and contract, graph-
// capturable, offsets read on the device): each block takes one 16-row tile of one expert and 128
// outputs, streams that weight tile once through a cp.async pipeline and multiplies with bf16 wmma
// (f32 accumulators). Needs k % 8 == 0 and 16-byte aligned x and w; other calls run
// cuda_grouped_gemm. NOTE: defined in grouped_gemm_tc.cu.
void cuda_grouped_gemm_tc(const GroupedGemmArgs& args, cudaStream_t stream);

// Hopper variant (same contract, graph-capturable, no host sync at any batch size): a persistent
// grid of one block per SM walks every (row tile of one expert, column tile) pair, then the dense
// GEMM's tiles when dense_rows > 0; each tile is 64 rows (decode) or 128 rows (once experts
// average 128 rows: prefill) by 128 weight rows, multiplied on wgmma from a pipeline of
// 128B-swizzled stages: the weights by TMA, the rows gathered by cp.async. Serves x_slots, y_swiglu
// and the dense GEMM, not x_swiglu; needs k and k_dense % 8 == 0, 16-byte aligned x, w, x_dense and
// w_dense, at most 1024 experts, and sm_90a code on a compute-capability-9 device (throws
// std::invalid_argument otherwise). NOTE: defined in grouped_gemm_wgmma.cu; the tree's default
// build (sm_90) has no such code.
void cuda_grouped_gemm_wgmma(const GroupedGemmArgs& args, cudaStream_t stream);

// True when the current device runs cuda_grouped_gemm_wgmma: compute capability 9 and this build
// holds sm_90a code. The first call per device runs a probe kernel and synchronizes: call it
// outside graph capture.
bool cuda_grouped_gemm_wgmma_available();

}  // namespace moebench
