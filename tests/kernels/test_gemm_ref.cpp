// CPU-only tests of ref_gemm and ref_grouped_gemm against hand-computed products (both B layouts,
// alpha/beta, bf16 rounding, strided head batches, empty experts, SwiGLU rows, gathered rows) and
// of the argument checks (the skinny kernel's among them: MLA's absorb GEMMs).
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernels/gemm.h"
#include "kernels/grouped_gemm.h"
#include "tests/catch.h"
#include "tests/kernels/gemm_absorb_args.h"
#include "tests/kernels/kernel_compare.h"

namespace moebench {
namespace {

GemmArgs plain_args(int64_t m, int64_t n, int64_t k, bool b_transposed) {
  GemmArgs g;
  g.m = m;
  g.n = n;
  g.k = k;
  g.lda = k;
  g.b_transposed = b_transposed;
  g.ldb = b_transposed ? k : n;
  g.ldc = n;
  g.c_f32 = true;
  return g;
}

TEST_CASE("ref_gemm multiplies by a transposed weight and by a (k, n) matrix", "[kernels]") {
  const std::vector<float> a = {1, 2, 3, 4, 5, 6};       // (2, 3)
  const std::vector<float> w = {1, 0, -1, 2, 1, 0.5f};   // (n 2, k 3) weight
  const std::vector<float> bt = {1, 2, 0, 1, -1, 0.5f};  // the same as (k 3, n 2)
  const std::vector<float> want = {-2, 5.5f, -2, 16};    // A · W^T
  std::vector<float> c(4, 0.0f);
  ref_gemm(a, w, c, plain_args(2, 2, 3, true));
  CHECK(c == want);
  std::fill(c.begin(), c.end(), 0.0f);
  ref_gemm(a, bt, c, plain_args(2, 2, 3, false));
  CHECK(c == want);
}

TEST_CASE("ref_gemm with a_lo multiplies by a + a_lo, for an f32 c of one batch", "[kernels]") {
  const std::vector<float> a = {1, 2, 3, 4, 5, 6};           // (2, 3): the bf16 high parts
  const std::vector<float> lo = {0.5f, 0, 0, 0, 0, -0.25f};  // their low parts
  const std::vector<float> w = {1, 0, -1, 2, 1, 0.5f};       // (n 2, k 3) weight
  const std::vector<float> want = {-2 + 0.5f, 5.5f + 1, -2 + 0.25f, 16 - 0.125f};
  std::vector<float> c(4, 0.0f);
  GemmArgs g = plain_args(2, 2, 3, true);
  g.a_lo = reinterpret_cast<const bf16_bits*>(lo.data());  // checked for presence only
  ref_gemm(a, w, c, g, &lo);
  CHECK(c == want);
  g.c_f32 = false;
  CHECK_THROWS_WITH(gemm_args_check(g, "f", false),
                    "f: a_lo needs batch 1 and an f32 c, got batch 1 c_f32 0");
}

TEST_CASE("ref_gemm applies alpha and beta and leaves padding alone", "[kernels]") {
  const std::vector<float> a = {1, 2, 9, 3, 4, 9};  // (2, 2) with lda 3
  const std::vector<float> w = {1, 1, 1, -1};       // (2, 2)
  GemmArgs g = plain_args(2, 2, 2, true);
  g.lda = 3;
  g.ldc = 3;
  g.alpha = 0.5f;
  g.beta = 2.0f;
  std::vector<float> c = {1, 1, 7, 10, 20, 7};  // (2, 2) with ldc 3, pad 7
  ref_gemm(a, w, c, g);
  // A·W^T = {3, -1; 7, -1}
  CHECK(c == std::vector<float>{3.5f, 1.5f, 7, 23.5f, 39.5f, 7});
  g.beta = 0.0f;  // beta 0 never reads c: NaN there must not leak
  c = {NAN, NAN, 7, NAN, NAN, 7};
  ref_gemm(a, w, c, g);
  CHECK(c == std::vector<float>{1.5f, -0.5f, 7, 3.5f, -0.5f, 7});
}

TEST_CASE("ref_gemm rounds a bf16 output to nearest even", "[kernels]") {
  const std::vector<float> a = {1.0f, 3.0f / 512};  // (1, 2), exact in bf16
  const std::vector<float> w = {1.0f, 1.0f};        // (1, 2)
  GemmArgs g = plain_args(1, 1, 2, true);
  std::vector<float> c(1);
  ref_gemm(a, w, c, g);
  CHECK(c[0] == 1.0f + 3.0f / 512);
  g.c_f32 = false;
  ref_gemm(a, w, c, g);
  CHECK(c[0] == 1.0f + 1.0f / 128);  // 1 + 3/512 lies nearer 1 + 4/512 than 1
}

TEST_CASE("ref_gemm strided batches slice heads out of one row", "[kernels]") {
  // Two heads of dk 2 side by side in A (m 2, 4): head h of row i is a[i * 4 + h * 2 + (0, 1)].
  const std::vector<float> a = {1, 2, 3, 4, 5, 6, 7, 8};
  const std::vector<float> w = {1, 0, 0, 1, 1, 1, 2, -1};  // (2 heads, n 2, k 2)
  GemmArgs g = plain_args(2, 2, 2, true);
  g.batch = 2;
  g.lda = 4;
  g.stride_a = 2;
  g.stride_b = 4;
  g.ldc = 4;  // C (m 2, 2 heads * n 2), head h at column h * 2
  g.stride_c = 2;
  std::vector<float> c(8, 0.0f);
  ref_gemm(a, w, c, g);
  // head 0: W0 = I -> {1, 2; 5, 6}; head 1: W1 = {1, 1; 2, -1} -> {7, 2; 15, 6}
  CHECK(c == std::vector<float>{1, 2, 7, 2, 5, 6, 15, 6});
}

TEST_CASE("gemm_args_check and ref_gemm reject bad shapes, naming them", "[kernels]") {
  std::vector<float> a(6), b(6), c(4);
  GemmArgs g = plain_args(2, 2, 3, true);
  g.lda = 2;
  CHECK_THROWS_AS(gemm_args_check(g, "t", false), std::invalid_argument);
  g = plain_args(2, 2, 3, false);
  g.ldb = 1;
  CHECK_THROWS_AS(ref_gemm(a, b, c, g), std::invalid_argument);
  g = plain_args(2, 2, 3, true);
  g.ldc = 1;
  CHECK_THROWS_AS(ref_gemm(a, b, c, g), std::invalid_argument);
  g = plain_args(2, 2, 3, true);
  CHECK_THROWS_AS(gemm_args_check(g, "t", true), std::invalid_argument);  // null pointers
  g.batch = 0;
  CHECK_THROWS_AS(gemm_args_check(g, "t", false), std::invalid_argument);
  g = plain_args(2, 2, 4, true);  // a holds 6 values, the view needs 8
  CHECK_THROWS_AS(ref_gemm(a, b, c, g), std::invalid_argument);
  try {
    g = plain_args(2, 2, 3, true);
    g.k = 0;
    gemm_args_check(g, "cuda_gemm", false);
    FAIL("no throw");
  } catch (const std::invalid_argument& e) {
    CHECK(std::string(e.what()).find("cuda_gemm: k must be") == 0);
  }
}

TEST_CASE("gemm_pick_algo takes the skinny kernel only for small m, one batch, a weight",
          "[kernels]") {
  GemmArgs g = plain_args(kGemmSkinnyAutoMaxM, 8, 8, true);
  CHECK(gemm_pick_algo(g) == GemmAlgo::skinny);
  g.m = kGemmSkinnyAutoMaxM + 1;  // the skinny kernel could, but cuBLAS is faster from here
  CHECK(gemm_pick_algo(g) == GemmAlgo::cublas);
  g.algo = GemmAlgo::skinny;
  CHECK(gemm_pick_algo(g) == GemmAlgo::skinny);
  g.algo = GemmAlgo::automatic;
  g.m = 17;
  CHECK(gemm_pick_algo(g) == GemmAlgo::cublas);
  g.m = 1;
  g.b_transposed = false;
  CHECK(gemm_pick_algo(g) == GemmAlgo::cublas);
  g.b_transposed = true;
  g.batch = 2;
  CHECK(gemm_pick_algo(g) == GemmAlgo::cublas);
  g.algo = GemmAlgo::skinny;
  CHECK(gemm_pick_algo(g) == GemmAlgo::skinny);
}

TEST_CASE("ref_gemm with a_swiglu multiplies silu(gate) * up rows, and its checks", "[kernels]") {
  // Rows [gate (2) | up (2)] as in the grouped case: act rows (10, 0) and (0, 40).
  const std::vector<float> a = {20, 0, 0.5f, 7, 0, 20, 3, 2};  // (2, lda 4)
  const std::vector<float> w = {1, 1, 1, -1};                  // (n 2, k 2)
  std::vector<float> c(4, 0.0f);
  GemmArgs g = gemm_args_dense(2, 2, 2);
  g.lda = 4;
  g.a_swiglu = true;
  ref_gemm(a, w, c, g);
  CHECK(c == std::vector<float>{10, 10, 40, -40});
  GemmArgs narrow = g;
  narrow.lda = 3;  // a row must hold gate and up
  CHECK_THROWS_AS(gemm_args_check(narrow, "t", false), std::invalid_argument);
  GemmArgs blas = g;
  blas.algo = GemmAlgo::cublas;
  CHECK_THROWS_AS(gemm_args_check(blas, "t", false), std::invalid_argument);
  GemmArgs batched = g;
  batched.batch = 2;
  CHECK_THROWS_AS(gemm_args_check(batched, "t", false), std::invalid_argument);
}

TEST_CASE("the skinny GEMM serves MLA's absorb GEMMs: strided heads, either B layout",
          "[kernels]") {
  for (int heads : {16, 128}) {
    for (int64_t m : {int64_t{1}, int64_t{4}, kGemmSkinnyMaxM}) {
      for (const GemmArgs& g :
           {test::mla_q_absorb_args(heads, m), test::mla_out_absorb_args(heads, m)}) {
        CAPTURE(heads, m, g.b_transposed);
        CHECK_NOTHROW(gemm_args_check(g, "t", false));
        CHECK_NOTHROW(gemm_skinny_check(g, "t"));
        CHECK(gemm_pick_algo(g) == GemmAlgo::skinny);  // asked for by name
        GemmArgs automatic = g;
        automatic.algo = GemmAlgo::automatic;  // batched or (k, n): cuBLAS unless asked
        CHECK(gemm_pick_algo(automatic) == GemmAlgo::cublas);
        automatic.batch = 1;
        const bool few = g.b_transposed && m <= kGemmSkinnyAutoMaxM;
        CHECK(gemm_pick_algo(automatic) == (few ? GemmAlgo::skinny : GemmAlgo::cublas));
      }
    }
  }
}

TEST_CASE("gemm_skinny_check refuses what the skinny kernel does not serve, naming the field",
          "[kernels]") {
  GemmArgs g = test::mla_q_absorb_args(16, kGemmSkinnyMaxM + 1);
  CHECK(test::invalid_argument_of([&] { gemm_skinny_check(g, "t"); }) ==
        "t: m must be <= 16, got 17");
  g = test::mla_out_absorb_args(16, 1);
  g.batch = kGemmSkinnyMaxBatch + 1;
  CHECK(test::invalid_argument_of([&] { gemm_skinny_check(g, "t"); }) ==
        "t: batch must be <= 65535, got 65536");
  // An f32 A as hi + lo: cuBLAS takes it over a (k, n) B, the skinny kernel only over a weight.
  std::vector<bf16_bits> lo(4);
  g = plain_args(1, 4, 4, false);
  g.a_lo = lo.data();
  CHECK_NOTHROW(gemm_args_check(g, "t", false));
  CHECK(test::invalid_argument_of([&] { gemm_skinny_check(g, "t"); }) ==
        "t: a_lo needs a transposed b in the skinny kernel");
  g.b_transposed = true;
  g.ldb = 4;
  CHECK_NOTHROW(gemm_skinny_check(g, "t"));
}

TEST_CASE("a_lo and a_swiglu stay with one batch over a weight, refused otherwise by name",
          "[kernels]") {
  std::vector<bf16_bits> lo(64);
  GemmArgs g = test::mla_out_absorb_args(2, 1);
  g.c_f32 = true;
  g.a_lo = lo.data();
  CHECK(test::invalid_argument_of([&] { gemm_args_check(g, "t", false); }) ==
        "t: a_lo needs batch 1 and an f32 c, got batch 2 c_f32 1");
  g = test::mla_out_absorb_args(2, 1);
  g.lda = 2 * g.lda;  // room for [gate | up] rows
  g.a_swiglu = true;
  CHECK(
      test::invalid_argument_of([&] { gemm_args_check(g, "t", false); })
          .starts_with("t: a_swiglu needs batch 1, a transposed b, no a_lo and the skinny kernel, "
                       "got batch 2"));
  g.batch = 1;
  CHECK_NOTHROW(gemm_args_check(g, "t", false));
  g.b_transposed = false;
  CHECK(test::invalid_argument_of([&] { gemm_args_check(g, "t", false); }).find("a_swiglu needs") ==
        3);
}

TEST_CASE("c_argmax stays with the skinny kernel's one-batch f32 product, refused otherwise",
          "[kernels]") {
  std::vector<uint64_t> keys(4);
  GemmArgs g = plain_args(2, 4, 4, true);
  g.c_argmax = keys.data();
  CHECK_NOTHROW(gemm_args_check(g, "t", false));
  const std::string why =
      "t: c_argmax needs batch 1, a transposed b, an f32 c, beta 0 and the "
      "skinny kernel, got ";
  g.c_f32 = false;
  CHECK(test::invalid_argument_of([&] { gemm_args_check(g, "t", false); }) ==
        why + "batch 1 b_transposed 1 c_f32 0 beta 0");
  g.c_f32 = true;
  g.beta = 1.0f;  // C's old value would make the pick depend on what C held
  CHECK(test::invalid_argument_of([&] { gemm_args_check(g, "t", false); }) ==
        why + "batch 1 b_transposed 1 c_f32 1 beta 1");
  g.beta = 0.0f;
  g.algo = GemmAlgo::cublas;
  CHECK(test::invalid_argument_of([&] { gemm_args_check(g, "t", false); }).starts_with(why));
  g = plain_args(2, 4, 4, false);
  g.c_argmax = keys.data();
  CHECK(test::invalid_argument_of([&] { gemm_args_check(g, "t", false); }) ==
        why + "batch 1 b_transposed 0 c_f32 1 beta 0");
}

TEST_CASE("ref_gemm strided batches of a (k, n) B match the transposed weights", "[kernels]") {
  // q absorb in miniature: 2 heads, A (m 2, 2 heads x k 2 + 1 pad), B per head (k 2, n 3) with a
  // head stride past a gap, C (m 2, 2 heads x n 3 + 1 pad); the same product over B^T.
  const std::vector<float> a = {1, 2, 9, 3, 4, 9, 5, 6, 9, 7, 8, 9};  // lda 6, stride_a 3
  const std::vector<float> b = {1, 0, 2, 0, 1, -1, 9, 9,              // head 0, then a gap
                                1, 1, 1, 2, 0, -2};                   // head 1
  GemmArgs g = plain_args(2, 3, 2, false);
  g.batch = 2;
  g.lda = 6;
  g.stride_a = 3;
  g.ldb = 3;
  g.stride_b = 8;
  g.ldc = 8;
  g.stride_c = 4;
  std::vector<float> c(16, 7.0f);
  ref_gemm(a, b, c, g);
  // head 0: {1, 2; 5, 6} · B0 = {1, 2, 0; 5, 6, 4}; head 1: {3, 4; 7, 8} · B1 = {11, 3, -5; 23, 7,
  // -9}; the pads (7) stay.
  CHECK(c == std::vector<float>{1, 2, 0, 7, 11, 3, -5, 7, 5, 6, 4, 7, 23, 7, -9, 7});
  std::vector<float> bt(16, 0.0f);  // each head's B transposed: (n 3, k 2), same head stride
  for (int h = 0; h < 2; ++h) {
    for (int p = 0; p < 2; ++p) {
      for (int j = 0; j < 3; ++j) bt[h * 8 + j * 2 + p] = b[h * 8 + p * 3 + j];
    }
  }
  GemmArgs gt = g;
  gt.b_transposed = true;
  gt.ldb = 2;
  std::vector<float> ct(16, 7.0f);
  ref_gemm(a, bt, ct, gt);
  CHECK(ct == c);
}

TEST_CASE("ref_grouped_gemm sends each expert's rows through its weight", "[kernels]") {
  GroupedGemmArgs g;
  g.n_experts = 3;
  g.n = 2;
  g.k = 2;
  g.max_rows = 3;
  const std::vector<int32_t> offsets = {0, 2, 2, 3};  // expert 1 has no rows
  const std::vector<float> x = {1, 2, 3, 4, 5, 6};    // (3, 2)
  const std::vector<float> w = {1, 0, 0, 1,           // expert 0: identity
                                9, 9, 9, 9,           // expert 1: unused
                                1, 1, 1, -1};         // expert 2
  std::vector<float> y;
  ref_grouped_gemm(x, offsets, w, g, y);
  CHECK(y == std::vector<float>{1, 2, 3, 4, 11, -1});
}

TEST_CASE("ref_grouped_gemm with x_swiglu multiplies silu(gate) * up rows", "[kernels]") {
  GroupedGemmArgs g;
  g.n_experts = 3;
  g.n = 2;
  g.k = 2;
  g.max_rows = 3;
  g.x_swiglu = true;
  const std::vector<int32_t> offsets = {0, 2, 2, 3};
  // Rows [gate (2) | up (2)]. silu(0) = 0, and silu(20), silu(30) round to 20 and 30 in bf16.
  const std::vector<float> x = {20, 0,  0.5f, 7,   // act (10, 0)
                                30, 20, 1,    -1,  // act (30, -20)
                                0,  20, 3,    2};  // act (0, 40)
  const std::vector<float> w = {1, 0, 0, 1, 9, 9, 9, 9, 1, 1, 1, -1};
  std::vector<float> y;
  ref_grouped_gemm(x, offsets, w, g, y);
  CHECK(y == std::vector<float>{10, 0, 30, -20, 40, -40});
  // Rows are 2k wide: 3 rows need 12 values.
  CHECK_THROWS_AS(ref_grouped_gemm(std::vector<float>(x.begin(), x.begin() + 11), offsets, w, g, y),
                  std::invalid_argument);
}

TEST_CASE("ref_grouped_gemm with x_slots gathers each row's token first", "[kernels]") {
  GroupedGemmArgs g;
  g.n_experts = 2;
  g.n = 2;
  g.k = 2;
  g.max_rows = 4;
  g.slot_div = 2;                                          // top_k 2: slot s is token s / 2
  const std::vector<int32_t> offsets = {0, 3, 4};          // expert 0: 3 rows, expert 1: 1
  const std::vector<int32_t> slots = {3, 0, 1, 2};         // tokens 1, 0, 0, 1
  const std::vector<float> x = {1, 2, 5, 7};               // 2 tokens
  const std::vector<float> w = {1, 0, 0, 1, 1, 1, 1, -1};  // identity, then [[1, 1], [1, -1]]
  std::vector<float> y;
  ref_grouped_gemm(x, offsets, w, g, y, slots);
  CHECK(y == std::vector<float>{5, 7, 1, 2, 1, 2, 12, -2});
  CHECK_THROWS_AS(ref_grouped_gemm(x, offsets, w, g, y, {3, 0, 1, 4}), std::invalid_argument);
  g.x_swiglu = true;  // the gather and the SwiGLU rows do not combine
  CHECK_THROWS_AS(ref_grouped_gemm(x, offsets, w, g, y, slots), std::invalid_argument);
}

TEST_CASE("ref_grouped_gemm and grouped_gemm_args_check reject bad arguments", "[kernels]") {
  GroupedGemmArgs g;
  g.n_experts = 2;
  g.n = 2;
  g.k = 2;
  g.max_rows = 2;
  const std::vector<float> x(4), w(8);
  std::vector<float> y;
  CHECK_THROWS_AS(ref_grouped_gemm(x, {0, 2, 1}, w, g, y), std::invalid_argument);  // decreasing
  CHECK_THROWS_AS(ref_grouped_gemm(x, {1, 1, 2}, w, g, y), std::invalid_argument);  // [0] != 0
  CHECK_THROWS_AS(ref_grouped_gemm(x, {0, 2}, w, g, y), std::invalid_argument);     // too short
  CHECK_THROWS_AS(ref_grouped_gemm(x, {0, 1, 3}, w, g, y), std::invalid_argument);  // x too short
  CHECK_THROWS_AS(grouped_gemm_args_check(g, "t"), std::invalid_argument);          // null pointers
  g.max_rows = 0;
  CHECK_NOTHROW(grouped_gemm_args_check(g, "t"));
  g.n_experts = 0;
  CHECK_THROWS_AS(grouped_gemm_args_check(g, "t"), std::invalid_argument);
}

}  // namespace
}  // namespace moebench
