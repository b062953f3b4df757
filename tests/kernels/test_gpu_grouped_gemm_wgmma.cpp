// cuda_grouped_gemm_wgmma (Hopper wgmma, persistent, device offsets): its argument rules and the
// y_swiglu reference on the CPU; [gpu]: against ref_grouped_gemm over ragged offsets, shapes that
// take both tile heights (64 rows, and 128 once experts average 128 rows), the fused gather, the
// SwiGLU epilogue bit-equal to its plain product + cuda_swiglu, and a CUDA graph replay.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernels/bf16.h"
#include "kernels/grouped_gemm.h"
#include "kernels/grouped_tiles.h"
#include "kernels/reference.h"
#include "tests/catch.h"
#include "tests/kernels/kernel_compare.h"

#ifdef MOEBENCH_HAVE_CUDA
#include <cuda_runtime_api.h>

#include "kernels/cuda_check.h"
#include "kernels/device_buffer.h"
#include "kernels/ops.h"
#include "tests/kernels/gpu_test_stream.h"
#endif

namespace moebench {
namespace {

TEST_CASE("ref_grouped_gemm with y_swiglu forms silu(gate) * up of the product", "[kernels]") {
  GroupedGemmArgs g;
  g.n_experts = 2;
  g.n = 4;  // gate columns 0-1, up columns 2-3
  g.k = 2;
  g.max_rows = 2;
  g.y_swiglu = true;
  const std::vector<int32_t> offsets = {0, 1, 2};
  const std::vector<float> x = {1, 0, 0, 1};  // row 0 picks w's column 0, row 1 column 1
  // Expert 0 rows (gate 20, 0 | up 3, 5) from k column 0; expert 1 (gate 0, 30 | up 9, -2) from
  // column 1. silu(0) = 0, and silu(20), silu(30) round to 20 and 30 in bf16.
  const std::vector<float> w = {20, 9, 0, 9,  3, 9, 5, 9,  //
                                9,  0, 9, 30, 9, 9, 9, -2};
  std::vector<float> y;
  ref_grouped_gemm(x, offsets, w, g, y);
  CHECK(y == std::vector<float>{60, 0, 0, -60});
  g.n = 3;  // gate and up need equal halves
  CHECK_THROWS_AS(ref_grouped_gemm(x, offsets, std::vector<float>(12), g, y),
                  std::invalid_argument);
}

TEST_CASE("grouped_tile_at walks every row tile of every expert once, below max_rows",
          "[kernels]") {
  std::mt19937 rng(11);
  for (int trial = 0; trial < 300; ++trial) {
    const int n_experts = 1 + static_cast<int>(rng() % 70);
    const int bm = trial % 2 == 0 ? 64 : 128;
    const int64_t col_tiles = 1 + rng() % 5;
    std::vector<int32_t> offsets(n_experts + 1, 0);
    for (int e = 0; e < n_experts; ++e) {
      const int32_t count = rng() % 3 == 0 ? 0 : static_cast<int32_t>(rng() % 300);
      offsets[e + 1] = offsets[e] + count;
    }
    const int64_t rows = offsets.back();
    // The caller's bound: above the routed rows, or cutting into them (rows past it never run).
    const int64_t max_rows =
        trial % 3 == 0 ? rows - static_cast<int64_t>(rng() % (rows / 3 + 1)) : rows + 7;
    CAPTURE(trial, n_experts, bm, col_tiles, rows, max_rows);
    std::vector<int> first(n_experts + 1, 0);
    for (int e = 0; e < n_experts; ++e) {
      int64_t lo, hi;
      grouped_expert_rows(offsets.data(), max_rows, e, lo, hi);
      first[e + 1] = first[e] + grouped_expert_tiles(lo, hi, bm);
    }
    std::vector<int> covered(rows * col_tiles, 0);
    for (int64_t t = 0; t < first[n_experts] * col_tiles; ++t) {
      const GroupedTile tile =
          grouped_tile_at(offsets.data(), max_rows, n_experts, first.data(), bm, t, col_tiles);
      REQUIRE(tile.expert >= 0);
      REQUIRE(tile.expert < n_experts);
      REQUIRE(tile.lo >= offsets[tile.expert]);
      REQUIRE(tile.hi <= std::min<int64_t>(offsets[tile.expert + 1], max_rows));
      REQUIRE(tile.hi > tile.lo);
      REQUIRE(tile.hi - tile.lo <= bm);
      for (int64_t r = tile.lo; r < tile.hi; ++r) ++covered[r * col_tiles + tile.col_tile];
    }
    int64_t wrong = 0;  // cells covered other than once below max_rows, never past it
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t c = 0; c < col_tiles; ++c) {
        wrong += covered[r * col_tiles + c] != (r < max_rows ? 1 : 0) ? 1 : 0;
      }
    }
    REQUIRE(wrong == 0);
  }
}

TEST_CASE("cuda_grouped_gemm_wgmma and the other grouped entries check their arguments",
          "[kernels]") {
  GroupedGemmArgs g;
  g.n_experts = 2;
  g.n = 8;
  g.k = 8;
  g.max_rows = 0;  // no rows: the pointers may stay null
  g.y_swiglu = true;
  // Only the wgmma entry serves the SwiGLU epilogue; the shared check names it for the others.
  CHECK_NOTHROW(grouped_gemm_args_check(g, "t", true));
  CHECK(test::invalid_argument_of([&] {
          grouped_gemm_args_check(g, "t");
        }).find("cuda_grouped_gemm_wgmma only") != std::string::npos);
  g.n = 7;
  CHECK(test::invalid_argument_of([&] { grouped_gemm_args_check(g, "t", true); }).find("even n") !=
        std::string::npos);
#ifdef MOEBENCH_HAVE_CUDA
  // Refused before the device is touched (these run without a GPU).
  bf16_bits buf[64] = {};
  int32_t off[3] = {0, 1, 2};
  GroupedGemmArgs a;
  a.x = a.w = buf;
  a.y = buf;
  a.offsets = off;
  a.n_experts = 2;
  a.n = a.k = 8;
  a.max_rows = 2;
  GroupedGemmArgs bad = a;
  bad.x_swiglu = true;
  CHECK(test::invalid_argument_of([&] {
          cuda_grouped_gemm_wgmma(bad, nullptr);
        }).find("x_swiglu") != std::string::npos);
  bad = a;
  bad.k = 12;
  CHECK(test::invalid_argument_of([&] { cuda_grouped_gemm_wgmma(bad, nullptr); }).find("k % 8") !=
        std::string::npos);
  bad = a;
  bad.n_experts = 1025;
  CHECK(test::invalid_argument_of([&] {
          cuda_grouped_gemm_wgmma(bad, nullptr);
        }).find("n_experts must be <= 1024") != std::string::npos);
  bad = a;
  bad.offsets = nullptr;
  CHECK_THROWS_AS(cuda_grouped_gemm_wgmma(bad, nullptr), std::invalid_argument);
  bad = a;
  bad.y_swiglu = true;  // the decode kernels refuse the epilogue they do not have
  CHECK_THROWS_AS(cuda_grouped_gemm_tc(bad, nullptr), std::invalid_argument);
  CHECK_THROWS_AS(cuda_grouped_gemm(bad, nullptr), std::invalid_argument);
  // ... and the dense GEMM beside the experts
  const GroupedGemmArgs dense = grouped_with_dense(a, buf, buf, buf, 2, 8, 8);
  CHECK(test::invalid_argument_of([&] {
          cuda_grouped_gemm_tc(dense, nullptr);
        }).find("dense_rows") != std::string::npos);
  GroupedGemmArgs odd_k = dense;
  odd_k.k_dense = 12;
  CHECK(test::invalid_argument_of([&] {
          cuda_grouped_gemm_wgmma(odd_k, nullptr);
        }).find("k_dense a multiple of 8") != std::string::npos);
  GroupedGemmArgs no_x = dense;  // a null operand is refused, not faulted on (null is aligned)
  no_x.x_dense = nullptr;
  CHECK(test::invalid_argument_of([&] {
          cuda_grouped_gemm_wgmma(no_x, nullptr);
        }).find("needs x_dense, w_dense and y_dense") != std::string::npos);
  CHECK(test::invalid_argument_of([&] {
          cuda_grouped_gemm(no_x, nullptr);
        }).find("needs x_dense, w_dense and y_dense") != std::string::npos);
  GroupedGemmArgs odd_n = dense;
  odd_n.y_swiglu = true;
  odd_n.n_dense = 7;
  CHECK(test::invalid_argument_of([&] {
          cuda_grouped_gemm_wgmma(odd_n, nullptr);
        }).find("n_dense >= 1 (even with y_swiglu)") != std::string::npos);
#endif
}

#ifdef MOEBENCH_HAVE_CUDA
#define REQUIRE_WGMMA() MOEBENCH_REQUIRE_WGMMA(cuda_grouped_gemm_wgmma_available())

std::vector<int32_t> wg_offsets(const std::vector<int32_t>& counts) {
  std::vector<int32_t> off(counts.size() + 1, 0);
  for (size_t e = 0; e < counts.size(); ++e) off[e + 1] = off[e] + counts[e];
  return off;
}

struct WgCase {
  std::vector<int32_t> counts;
  int64_t n = 0, k = 0;
  int64_t slack = 0;      // max_rows past the routed rows (never computed, never written)
  bool y_swiglu = false;  // n = 2 * the output width
  int slot_div = 0;       // > 0: x holds tokens, gathered through a shuffled x_slots
  bool graph = false;
};

// Runs one case and compares the routed rows with the reference; returns the device output.
std::vector<bf16_bits> check_wgmma(const WgCase& c) {
  const std::vector<int32_t> offsets = wg_offsets(c.counts);
  const int n_experts = static_cast<int>(c.counts.size());
  const int64_t rows = offsets.back(), max_rows = rows + c.slack;
  const int64_t width = c.y_swiglu ? c.n / 2 : c.n;
  CAPTURE(n_experts, rows, max_rows, c.n, c.k, c.y_swiglu, c.slot_div, c.graph);
  GroupedGemmArgs g;
  g.n_experts = n_experts;
  g.n = c.n;
  g.k = c.k;
  g.max_rows = max_rows;
  g.y_swiglu = c.y_swiglu;
  std::vector<int32_t> slots;
  int64_t x_rows = max_rows;
  if (c.slot_div > 0) {  // every slot of ceil(max_rows / slot_div) tokens, shuffled
    x_rows = (max_rows + c.slot_div - 1) / c.slot_div;
    slots.resize(max_rows);
    for (int64_t i = 0; i < max_rows; ++i) slots[i] = static_cast<int32_t>(i);
    std::shuffle(slots.begin(), slots.end(), std::mt19937(7));
    g.slot_div = c.slot_div;
  }
  const std::vector<float> x = test::random_bf16(x_rows * c.k, 31, -1.0f, 1.0f);
  const std::vector<float> w = test::random_bf16(n_experts * c.n * c.k, 32, -1.0f, 1.0f);
  std::vector<float> want;
  const std::vector<int32_t> routed_slots(slots.begin(),
                                          slots.begin() + (slots.empty() ? 0 : rows));
  ref_grouped_gemm(x, offsets, w, g, want, routed_slots);

  TestStream st;
  DeviceBuffer<bf16_bits> d_x(bf16_from_f32(x)), d_w(bf16_from_f32(w));
  DeviceBuffer<bf16_bits> d_y(bf16_from_f32(std::vector<float>(max_rows * width, NAN)));
  DeviceBuffer<int32_t> d_off(offsets);
  DeviceBuffer<int32_t> d_slots(slots.empty() ? std::vector<int32_t>{0} : slots);
  g.x = d_x.data();
  g.w = d_w.data();
  g.y = d_y.data();
  g.offsets = d_off.data();
  if (!slots.empty()) g.x_slots = d_slots.data();
  if (c.graph) {
    const TestGraph graph(st.s, [&] { cuda_grouped_gemm_wgmma(g, st.s); });
    for (int i = 0; i < 2; ++i) graph.replay();
  } else {
    cuda_grouped_gemm_wgmma(g, st.s);
  }
  st.sync();
  std::vector<bf16_bits> raw = d_y.download();
  std::vector<float> got = bf16_to_f32(raw);
  // Rows past the routed ones stay unwritten (NaN).
  for (int64_t i = rows * width; i < max_rows * width; ++i) REQUIRE(std::isnan(got[i]));
  got.resize(rows * width);
  const auto r = test::compare_close(got, want, 2e-2, 1e-2);
  INFO(r.message);
  REQUIRE(r.ok);
  raw.resize(rows * width);
  return raw;
}
#endif

TEST_CASE("cuda_grouped_gemm_wgmma matches the reference", "[gpu][sm90a]") {
#ifdef MOEBENCH_HAVE_CUDA
  REQUIRE_WGMMA();
  struct Shape {
    int64_t n, k;
  };
  // small (one partial k chunk), n not a multiple of 8 (element stores), ragged around the
  // 128-column and 64-k tiles, V2-Lite gate|up (2 * 1408, 2048) and down (2048, 1408)
  const std::vector<Shape> shapes = {{40, 24},   {33, 72},     {8, 8},
                                     {264, 136}, {2816, 2048}, {2048, 1408}};
  const std::vector<std::vector<int32_t>> count_sets = {
      {3, 0, 7, 1},           // ragged, one empty expert
      {0, 0, 137, 0, 0, 0},   // one expert, three 64-row tiles, the last partial
      {0, 0, 0, 0, 0, 1, 0},  // a single row
      {64, 65, 0, 1, 128},    // 64-row tile boundaries
  };
  for (const Shape& s : shapes) {
    for (const auto& counts : count_sets) {
      check_wgmma({counts, s.n, s.k, 0});
      // NOTE: the slack rows only matter to the tile walk: the small shapes keep the host
      // reference's time (double dot products) to seconds.
      if (s.n * s.k < 100000) check_wgmma({counts, s.n, s.k, 5});
    }
  }
  // 128-row tiles (experts averaging >= 128 rows): boundaries at 128 and 256, an empty expert.
  check_wgmma({{128, 300, 0, 257}, 264, 136, 3});
  check_wgmma({{200, 129, 1, 400}, 2048, 1408, 0});
  // Many more tiles than SMs, so each block walks several and its loads run into the next tile:
  // prefill-like routing (64 experts, ~200 rows each: 128-row tiles) and decode-like (64-row).
  std::mt19937 rng(5);
  std::vector<int32_t> prefill(64), decode(64);
  for (int e = 0; e < 64; ++e) {
    prefill[e] = static_cast<int32_t>(rng() % 400);
    decode[e] = static_cast<int32_t>(rng() % 12);
  }
  check_wgmma({prefill, 264, 136, 0});
  check_wgmma({decode, 2816, 2048, 0});
#endif
}

TEST_CASE("cuda_grouped_gemm_wgmma gathers through x_slots and replays from a CUDA graph",
          "[gpu][sm90a]") {
#ifdef MOEBENCH_HAVE_CUDA
  REQUIRE_WGMMA();
  // Decode routing shapes (top-6 of 64 experts over 16 tokens is ~1.5 rows an expert) and a
  // prefill-like one, each gathering from the tokens' rows.
  std::vector<int32_t> decode(64, 0);
  std::mt19937 rng(3);
  for (int i = 0; i < 96; ++i) ++decode[rng() % 64];
  check_wgmma({decode, 2816, 2048, 0, false, 6});
  check_wgmma({decode, 264, 136, 4, false, 6, true});
  check_wgmma({{300, 0, 212, 500}, 264, 136, 0, false, 2, true});
#endif
}

TEST_CASE("cuda_grouped_gemm_wgmma's SwiGLU epilogue equals its product then cuda_swiglu",
          "[gpu][sm90a]") {
#ifdef MOEBENCH_HAVE_CUDA
  REQUIRE_WGMMA();
  // NOTE: each output's gate and up accumulate exactly as in the plain product (a column's dot
  // product does not depend on the other columns of its tile), so the bits must match.
  struct Case {
    std::vector<int32_t> counts;
    int64_t n, k;
  };
  const std::vector<int32_t> decode = {3, 0, 70, 1}, prefill = {150, 260, 0, 513};
  // NOTE: the 128-row tiles (prefill) at the small shapes only: the host reference's double dot
  // products for 923 rows at V2-Lite's width would take the device check's time.
  for (const Case& c : {Case{decode, 2816, 2048}, Case{decode, 80, 24}, Case{decode, 272, 136},
                        Case{prefill, 80, 24}, Case{prefill, 272, 136}}) {
    const std::vector<bf16_bits> fused = check_wgmma({c.counts, c.n, c.k, 2, true});
    const std::vector<bf16_bits> plain = check_wgmma({c.counts, c.n, c.k, 2, false});
    const int64_t rows = static_cast<int64_t>(plain.size()) / c.n, half = c.n / 2;
    DeviceBuffer<bf16_bits> d_gu(plain), d_act(std::vector<bf16_bits>(rows * half, 0));
    TestStream st;
    cuda_swiglu(d_gu.data(), c.n, d_gu.data() + half, c.n, rows, half, d_act.data(), st.s);
    st.sync();
    CAPTURE(c.n, c.k, rows);
    REQUIRE(d_act.download() == fused);
  }
  check_wgmma({{5, 9, 0, 2}, 2816, 2048, 0, true, 6, true});  // with the gather, in a graph
#endif
}

#ifdef MOEBENCH_HAVE_CUDA
// Experts and a dense GEMM (the shared experts) in one launch: the experts' rows equal an experts-
// only launch's bit for bit, the dense rows a one-expert launch's over them (the same tiles), and
// the dense rows match the host reference.
void check_dense(const std::vector<int32_t>& counts, int64_t n, int64_t k, int64_t dense_rows,
                 int64_t n_dense, int64_t k_dense, bool y_swiglu) {
  CAPTURE(counts.size(), n, k, dense_rows, n_dense, k_dense, y_swiglu);
  const std::vector<int32_t> offsets = wg_offsets(counts);
  const int n_experts = static_cast<int>(counts.size());
  const int64_t rows = offsets.back();
  const int64_t width = y_swiglu ? n / 2 : n, dense_width = y_swiglu ? n_dense / 2 : n_dense;
  const std::vector<float> x = test::random_bf16(rows * k, 41, -1.0f, 1.0f);
  const std::vector<float> w = test::random_bf16(n_experts * n * k, 42, -1.0f, 1.0f);
  const std::vector<float> xd = test::random_bf16(dense_rows * k_dense, 43, -1.0f, 1.0f);
  const std::vector<float> wd = test::random_bf16(n_dense * k_dense, 44, -1.0f, 1.0f);
  DeviceBuffer<bf16_bits> d_x(bf16_from_f32(x)), d_w(bf16_from_f32(w));
  DeviceBuffer<bf16_bits> d_xd(bf16_from_f32(xd)), d_wd(bf16_from_f32(wd));
  DeviceBuffer<bf16_bits> y_both(rows * width), yd_both(dense_rows * dense_width);
  DeviceBuffer<bf16_bits> y_alone(rows * width), yd_alone(dense_rows * dense_width);
  DeviceBuffer<int32_t> d_off(offsets),
      d_one(std::vector<int32_t>{0, static_cast<int32_t>(dense_rows)});
  GroupedGemmArgs g;
  g.x = d_x.data();
  g.w = d_w.data();
  g.offsets = d_off.data();
  g.max_rows = rows;
  g.n_experts = n_experts;
  g.n = n;
  g.k = k;
  g.y_swiglu = y_swiglu;
  GroupedGemmArgs both =
      grouped_with_dense(g, d_xd.data(), d_wd.data(), yd_both.data(), dense_rows, n_dense, k_dense);
  both.y = y_both.data();
  GroupedGemmArgs experts = g;
  experts.y = y_alone.data();
  GroupedGemmArgs one = g;  // the dense GEMM as the one expert every row goes to
  one.x = d_xd.data();
  one.w = d_wd.data();
  one.y = yd_alone.data();
  one.offsets = d_one.data();
  one.max_rows = dense_rows;
  one.n_experts = 1;
  one.n = n_dense;
  one.k = k_dense;
  TestStream st;
  cuda_grouped_gemm_wgmma(both, st.s);
  cuda_grouped_gemm_wgmma(experts, st.s);
  cuda_grouped_gemm_wgmma(one, st.s);
  st.sync();
  CHECK(y_both.download() == y_alone.download());
  const std::vector<bf16_bits> dense_got = yd_both.download();
  CHECK(dense_got == yd_alone.download());
  if (rows == 0) {  // no routed rows: w may stay null (no weight map is encoded from it)
    GroupedGemmArgs no_w = both;
    no_w.w = nullptr;
    DeviceBuffer<bf16_bits> yd_no_w(dense_rows * dense_width);
    no_w.y_dense = yd_no_w.data();
    cuda_grouped_gemm_wgmma(no_w, st.s);
    st.sync();
    CHECK(yd_no_w.download() == dense_got);
  }
  std::vector<float> want;
  GroupedGemmArgs ref = one;
  ref_grouped_gemm(xd, {0, static_cast<int32_t>(dense_rows)}, wd, ref, want);
  const auto r = test::compare_close(bf16_to_f32(dense_got), want, 2e-2, 1e-2);
  INFO(r.message);
  REQUIRE(r.ok);
}
#endif

TEST_CASE("cuda_grouped_gemm_wgmma runs a dense GEMM beside the experts in the same launch",
          "[gpu][sm90a]") {
#ifdef MOEBENCH_HAVE_CUDA
  REQUIRE_WGMMA();
  std::vector<int32_t> decode(64, 0);
  std::mt19937 rng(13);
  for (int i = 0; i < 384; ++i) ++decode[rng() % 64];  // 64 tokens, top 6
  // V2-Lite's shared experts (2 x 1408) beside its routed up (SwiGLU) and down projections at
  // batch 64, and small ragged shapes with 128-row tiles.
  check_dense(decode, 2816, 2048, 64, 5632, 2048, true);
  check_dense(decode, 2048, 1408, 64, 2048, 2816, false);
  check_dense({130, 0, 300}, 80, 24, 133, 144, 40, true);
  check_dense({0, 0, 0}, 40, 24, 5, 40, 24, false);  // no routed rows: the dense tiles only
#endif
}

}  // namespace
}  // namespace moebench
