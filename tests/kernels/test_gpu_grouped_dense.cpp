// cuda_grouped_gemm's dense rows (GroupedGemmArgs::x_dense ...): the shared experts' GEMMs run
// after the routed experts' tiles in the same launch. [gpu]: the experts bit-equal to a launch
// without them, the dense rows bit-equal to cuda_gemm_skinny over the same rows (plain, and under
// x_swiglu the a_swiglu GEMV), at 1 to 4 tokens, with the vector and the scalar loads, gathered
// (x_slots) up rows, and from a CUDA graph. [kernels]: the argument checks, without a GPU.
#include <algorithm>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernels/bf16.h"
#include "kernels/gemm.h"
#include "kernels/grouped_gemm.h"
#include "tests/catch.h"
#include "tests/kernels/kernel_compare.h"

#ifdef MOEBENCH_HAVE_CUDA
#include <cuda_runtime_api.h>

#include "kernels/cuda_check.h"
#include "kernels/device_buffer.h"
#include "tests/kernels/gpu_test_stream.h"
#endif

namespace moebench {
namespace {

#ifdef MOEBENCH_HAVE_CUDA
// Each of T tokens picks top_k distinct experts of n_experts: the offsets of the grouped rows and
// each grouped row's token slot (token * top_k + j), in expert order.
struct Routing {
  std::vector<int32_t> offsets, slots;
};

Routing route(int T, int top_k, int n_experts, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<std::vector<int32_t>> by_expert(n_experts);
  for (int t = 0; t < T; ++t) {
    std::vector<int> picks;
    while (static_cast<int>(picks.size()) < top_k) {
      const int e = static_cast<int>(rng() % n_experts);
      if (std::find(picks.begin(), picks.end(), e) == picks.end()) picks.push_back(e);
    }
    for (int j = 0; j < top_k; ++j) by_expert[picks[j]].push_back(t * top_k + j);
  }
  Routing r;
  r.offsets.push_back(0);
  for (const auto& rows : by_expert) {
    r.slots.insert(r.slots.end(), rows.begin(), rows.end());
    r.offsets.push_back(static_cast<int32_t>(r.slots.size()));
  }
  return r;
}

DeviceBuffer<bf16_bits> random_device(int64_t n, uint32_t seed) {
  return DeviceBuffer<bf16_bits>(bf16_from_f32(test::random_bf16(n, seed, -1.0f, 1.0f)));
}

// One MoE MLP's two grouped launches at T tokens, the shared MLP (intermediate is) as their dense
// rows: up gathers h's rows (x_slots) into [gate | up] rows, down forms their SwiGLU (x_swiglu).
// Checks both launches against the experts alone and the dense rows against the skinny GEMVs.
void check_dense(int T, int64_t hidden, int64_t inter, int64_t shared_inter, bool graph) {
  CAPTURE(T, hidden, inter, shared_inter, graph);
  constexpr int kExperts = 8, kTopK = 2;
  const Routing r = route(T, kTopK, kExperts, static_cast<uint32_t>(T * 31 + hidden));
  const int64_t rows = T * kTopK;
  TestStream st;
  const DeviceBuffer<bf16_bits> h = random_device(T * hidden, 1);
  const DeviceBuffer<bf16_bits> w_up = random_device(kExperts * 2 * inter * hidden, 2);
  const DeviceBuffer<bf16_bits> w_down = random_device(kExperts * hidden * inter, 3);
  const DeviceBuffer<bf16_bits> ws_up = random_device(2 * shared_inter * hidden, 4);
  const DeviceBuffer<bf16_bits> ws_down = random_device(hidden * shared_inter, 5);
  DeviceBuffer<int32_t> d_off(r.offsets), d_slots(r.slots);
  DeviceBuffer<bf16_bits> gu(rows * 2 * inter), y(rows * hidden), gu_alone(rows * 2 * inter),
      y_alone(rows * hidden);
  DeviceBuffer<bf16_bits> sgu(T * 2 * shared_inter), sy(T * hidden), sgu_gemv(T * 2 * shared_inter),
      sy_gemv(T * hidden);
  GroupedGemmArgs up;
  up.x = h.data();
  up.x_slots = d_slots.data();
  up.slot_div = kTopK;
  up.offsets = d_off.data();
  up.w = w_up.data();
  up.y = gu_alone.data();
  up.max_rows = rows;
  up.max_rows_per_expert = T;
  up.n_experts = kExperts;
  up.n = 2 * inter;
  up.k = hidden;
  GroupedGemmArgs down = up;
  down.x = gu_alone.data();
  down.x_slots = nullptr;
  down.x_swiglu = true;
  down.w = w_down.data();
  down.y = y_alone.data();
  down.n = hidden;
  down.k = inter;
  // The experts alone, then the shared MLP on the skinny GEMVs (the separate launches).
  cuda_grouped_gemm(up, st.s);
  cuda_grouped_gemm(down, st.s);
  GemmArgs s_up = gemm_args_dense(T, 2 * shared_inter, hidden, h.data(), ws_up.data(),
                                  sgu_gemv.data(), GemmAlgo::skinny);
  GemmArgs s_down = gemm_args_dense(T, hidden, shared_inter, sgu_gemv.data(), ws_down.data(),
                                    sy_gemv.data(), GemmAlgo::skinny);
  s_down.lda = 2 * shared_inter;
  s_down.a_swiglu = true;
  cuda_gemm_skinny(s_up, st.s);
  cuda_gemm_skinny(s_down, st.s);
  // Both in the experts' two launches.
  up.y = gu.data();
  up = grouped_with_dense(up, h.data(), ws_up.data(), sgu.data(), T, 2 * shared_inter, hidden);
  down.x = gu.data();
  down.y = y.data();
  down = grouped_with_dense(down, sgu.data(), ws_down.data(), sy.data(), T, hidden, shared_inter);
  if (graph) {
    TestGraph g(st.s, [&] {
      cuda_grouped_gemm(up, st.s);
      cuda_grouped_gemm(down, st.s);
    });
    g.replay();
    g.replay();
  } else {
    cuda_grouped_gemm(up, st.s);
    cuda_grouped_gemm(down, st.s);
  }
  st.sync();
  CHECK(gu.download() == gu_alone.download());
  CHECK(y.download() == y_alone.download());
  CHECK(sgu.download() == sgu_gemv.download());
  CHECK(sy.download() == sy_gemv.download());
}
#endif

TEST_CASE("cuda_grouped_gemm's dense rows equal the skinny GEMVs, the experts their own launch",
          "[gpu]") {
  MOEBENCH_REQUIRE_GPU();
#ifdef MOEBENCH_HAVE_CUDA
  for (int T : {1, 2, 3, 4}) {
    check_dense(T, 256, 96, 192, false);  // vector loads; V2-Lite's 1:2 routed:shared widths
    check_dense(T, 70, 21, 42, false);    // scalar loads in both parts
  }
  check_dense(3, 256, 96, 192, true);
#endif
}

TEST_CASE("cuda_grouped_gemm's dense rows: refused where they cannot match the experts' loads",
          "[kernels]") {
  GroupedGemmArgs g;
  g.n_experts = 2;
  g.n = g.k = 8;
  g.max_rows = 0;
  g.dense_rows = 2;
  g.n_dense = 8;
  g.k_dense = 8;
  CHECK(test::invalid_argument_of([&] {
          grouped_gemm_args_check(g, "t", false, true);
        }).find("needs x_dense, w_dense and y_dense") != std::string::npos);
  CHECK(test::invalid_argument_of([&] {
          grouped_gemm_args_check(g, "t");
        }).find("served by cuda_grouped_gemm and cuda_grouped_gemm_wgmma only") !=
        std::string::npos);
#ifdef MOEBENCH_HAVE_CUDA
  alignas(16) bf16_bits buf[64] = {};
  int32_t off[3] = {0, 0, 0};
  g.x = g.w = g.x_dense = g.w_dense = buf;
  g.y = g.y_dense = buf;
  g.offsets = off;
  g.k_dense = 12;  // scalar loads for the dense rows, vector ones for the experts
  CHECK(test::invalid_argument_of([&] {
          cuda_grouped_gemm(g, nullptr);
        }).find("the dense GEMM's loads must match the experts'") != std::string::npos);
  CHECK(test::invalid_argument_of([&] { cuda_grouped_gemm_tc(g, nullptr); }).find("dense_rows") !=
        std::string::npos);
#endif
}

}  // namespace
}  // namespace moebench
