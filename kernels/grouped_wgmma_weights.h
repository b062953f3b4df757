// How cuda_grouped_gemm_wgmma's weight tiles reach shared memory by TMA: the tensor its maps
// describe and the boxes of one stage. Pure arithmetic, shared by the kernel and the CPU test that
// lands emulated boxes where the B descriptors read them
// (tests/kernels/test_grouped_wgmma_tma.cpp).
#pragma once

#include <cstdint>

#include "kernels/grouped_gemm.h"
#include "kernels/tma_map.h"
#include "kernels/wgmma_layout.h"

namespace moebench {

constexpr int kGwBlockN = 128;  // weight rows a block tile (B's N)
constexpr int kGwBlockK = 64;   // k a stage: one 128-byte swizzle row of bf16
constexpr int kGwStageWeightBytes = kGwBlockN * kGwBlockK * 2;  // a stage's boxes: its barrier's

// A box of a stage's weight tile: its byte offset in the tile and its coordinates (k, weight row,
// matrix), innermost first.
struct GwBox {
  int smem = 0;
  int64_t c0 = 0, c1 = 0, c2 = 0;
};

inline MOEBENCH_HOST_DEVICE constexpr int gw_weight_boxes(bool swiglu) { return swiglu ? 2 : 1; }

// Box `box` of the stage holding k chunk [k0, k0 + 64) of the tile whose outputs start at out0
// (width outputs a row: n, or n / 2 with the SwiGLU) of weight matrix `matrix` (the expert; 0 for
// the dense GEMM). Plain: the tile's 128 weight rows. SwiGLU: 64 gate rows, then the same outputs'
// 64 up rows (width further on) in the tile's second half.
// NOTE: gate rows past width are up rows (or zeros): they feed only columns the epilogue skips.
inline MOEBENCH_HOST_DEVICE constexpr GwBox gw_weight_box(int box, int64_t k0, int64_t out0,
                                                          int64_t width, int matrix) {
  GwBox b;
  b.smem = box * (kGwBlockN / 2) * kSwRowBytes;
  b.c0 = k0;
  b.c1 = box == 0 ? out0 : width + out0;
  b.c2 = matrix;
  return b;
}

// The experts' weights (dense: the dense GEMM's) as the kernel's TMA maps see them: (k, weight
// row, expert), boxes of 64 k x the rows one box holds (64 with y_swiglu, else 128).
inline TmaTensor3 grouped_weights_tensor(const GroupedGemmArgs& g, bool dense) {
  TmaTensor3 t;
  const int64_t n = dense ? g.n_dense : g.n, k = dense ? g.k_dense : g.k;
  t.dims[0] = k;
  t.dims[1] = n;
  t.dims[2] = dense ? 1 : g.n_experts;
  t.strides[0] = k;
  t.strides[1] = n * k;
  t.box[0] = kGwBlockK;
  t.box[1] = kGwBlockN / gw_weight_boxes(g.y_swiglu);
  t.box[2] = 1;
  t.names[0] = dense ? "k_dense" : "k";
  t.names[1] = dense ? "n_dense" : "n";
  t.names[2] = "expert";
  return t;
}

}  // namespace moebench
