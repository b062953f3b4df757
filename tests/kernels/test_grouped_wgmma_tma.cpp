// cuda_grouped_gemm_wgmma's weight tiles by TMA (kernels/grouped_wgmma_weights.h), checked without
// a GPU: a stage's boxes, emulated from the map's geometry (tests/kernels/tma_emulation.h), put
// each weight element where the kernel's B descriptors (K-major, 128 rows, every k16 step) read
// it: plain tiles and SwiGLU's gate-then-up tiles, partial column tiles, k tails, the last expert,
// and the dense GEMM's matrix; and the maps fit V2-Lite's and V3's expert weights.
#include <cstdint>

#include "kernels/grouped_gemm.h"
#include "kernels/grouped_wgmma_weights.h"
#include "kernels/tma_map.h"
#include "kernels/wgmma_layout.h"
#include "tests/catch.h"
#include "tests/kernels/tma_emulation.h"
#include "tests/kernels/wgmma_decode.h"

namespace moebench {
namespace {

struct WeightCase {
  int64_t n = 0, k = 0;
  int n_experts = 0;
  bool swiglu = false, dense = false;
};

// Every (column tile, k chunk) of matrix `matrix`: the boxes land, then the B slices the MMAs read
// (rows 0..127 of the tile, k16 steps) hold weight row out0 + i (SwiGLU: gate row out0 + i for
// i < 64, up row width + out0 + i - 64 after) at k0 + 16 kk + j, or zero past the matrix.
// Gate rows past width are not checked: they feed only columns the epilogue skips.
void check_weights(const WeightCase& c, int matrix) {
  CAPTURE(c.n, c.k, c.n_experts, c.swiglu, c.dense, matrix);
  GroupedGemmArgs g;
  g.n = c.n;
  g.k = c.k;
  g.n_experts = c.n_experts;
  g.y_swiglu = c.swiglu;
  g.n_dense = c.n;
  g.k_dense = c.k;
  const test::IdTensor w{grouped_weights_tensor(g, c.dense)};
  REQUIRE(tma_problem(w.t).empty());
  const int64_t width = c.swiglu ? c.n / 2 : c.n;
  const int64_t out_cols = c.swiglu ? kGwBlockN / 2 : kGwBlockN;
  const uint32_t tile = 3 * kSwAtomBytes;  // a stage's weight tile: on an atom
  for (int64_t out0 = 0; out0 < width; out0 += out_cols) {
    for (int64_t k0 = 0; k0 < c.k; k0 += kGwBlockK) {
      test::IdSmem m;
      for (int b = 0; b < gw_weight_boxes(c.swiglu); ++b) {
        const GwBox box = gw_weight_box(b, k0, out0, width, matrix);
        test::tma_load(m, tile + static_cast<uint32_t>(box.smem), w, {box.c0, box.c1, box.c2});
      }
      for (int kk = 0; kk < kGwBlockK / kMmaK; ++kk) {
        const uint64_t desc = smem_desc(k_major_slice(tile, kGwBlockN, 0, kk));
        for (int i = 0; i < kGwBlockN; ++i) {
          const bool up = c.swiglu && i >= kGwBlockN / 2;
          const int64_t out = out0 + (up ? i - kGwBlockN / 2 : i);
          if (c.swiglu && !up && out >= width) continue;
          const int64_t row = up ? width + out : out;
          for (int j = 0; j < kMmaK; ++j) {
            const int64_t kidx = k0 + kk * kMmaK + j;
            const bool in = row < c.n && kidx < c.k;
            INFO("out0 " << out0 << " k0 " << k0 << " tile row " << i << " k " << kidx);
            REQUIRE(m.at(k_major_byte(desc, i, j)) == (in ? w.id(kidx, row, matrix) : 0u));
          }
        }
      }
    }
  }
}

TEST_CASE("grouped wgmma: weight boxes land where the B descriptors read them") {
  // n 264 / 40: a partial last column tile (SwiGLU width 132 / 20: the gate box runs into up
  // rows); k 136 / 24: a k tail; the last of 3 experts; the dense GEMM's one matrix.
  for (const bool swiglu : {false, true}) {
    check_weights({264, 136, 3, swiglu, false}, 2);
    check_weights({40, 24, 3, swiglu, false}, 0);
    check_weights({264, 136, 1, swiglu, true}, 0);
  }
}

TEST_CASE("grouped wgmma: the weight maps fit DeepSeek's expert shapes") {
  // V2-Lite: 64 experts, up (2 x 1408, 2048), down (2048, 1408); V3: 256 experts, up
  // (2 x 2048, 7168), down (7168, 2048).
  struct Shape {
    int64_t n, k;
    int experts;
    bool swiglu;
  };
  for (const Shape s : {Shape{2816, 2048, 64, true}, Shape{2048, 1408, 64, false},
                        Shape{4096, 7168, 256, true}, Shape{7168, 2048, 256, false}}) {
    CAPTURE(s.n, s.k, s.experts);
    GroupedGemmArgs g;
    g.n = s.n;
    g.k = s.k;
    g.n_experts = s.experts;
    g.y_swiglu = s.swiglu;
    const TmaTensor3 t = grouped_weights_tensor(g, false);
    REQUIRE(tma_problem(t).empty());
    const TmaGeometry geo = tma_geometry(t);
    CHECK(geo.strides[0] == static_cast<uint64_t>(s.k) * 2);
    CHECK(geo.strides[1] == static_cast<uint64_t>(s.n * s.k) * 2);
    CHECK(geo.box[1] * geo.box[0] * 2 * gw_weight_boxes(s.swiglu) == kGwStageWeightBytes);
  }
  // k a multiple of 8 is the kernel's contract; an odd one has no 16-byte row stride.
  GroupedGemmArgs g;
  g.n = 64;
  g.k = 12;
  g.n_experts = 2;
  CHECK(tma_problem(grouped_weights_tensor(g, false)) ==
        "n stride 24 bytes: not a multiple of 16 below 2^40");
}

}  // namespace
}  // namespace moebench
