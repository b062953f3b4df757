// cuda_moe_router_route_place with the post-attention norm in its launch (RouterNormArgs): the
// shared-memory bound it takes, its refusals before any device work, and [gpu] its stream, norm
// rows, logits and routing against cuda_rmsnorm_residual_f32 then the launch without the norm, bit
// for bit, launched and replayed from a graph.
#include <cstdint>
#include <string>
#include <vector>

#include "kernels/bf16.h"
#include "kernels/gemm.h"
#include "kernels/moe_permute.h"
#include "kernels/ops.h"
#include "tests/catch.h"
#include "tests/kernels/kernel_compare.h"
#include "tests/kernels/route_place_case.h"

#ifdef MOEBENCH_HAVE_CUDA
#include "kernels/device_buffer.h"
#include "tests/kernels/gpu_test_stream.h"
#endif

namespace moebench {
namespace {

TEST_CASE("the router's norm fits decode's shapes: up to 4 tokens of V2-Lite and V3", "[kernels]") {
  // logits (16-byte rounded) + 4 KB of lane partials a row + y and y_lo rows of k rounded up to 8
  CHECK(moe_router_norm_smem_bytes(1, 2048, 64) == 256 + 4096 + 2 * 2048 * 2);
  CHECK(moe_router_norm_smem_bytes(3, 70, 5) == 64 + 3 * 4096 + 2 * 3 * 72 * 2);
  CHECK(moe_router_norm_smem_bytes(4, 7168, 256) == 4096 + 4 * 4096 + 2 * 4 * 7168 * 2);
  CHECK(moe_router_norm_fits(4, 2048, 64));
  CHECK(moe_router_norm_fits(4, 7168, 256));  // V3: 132 KB
  CHECK_FALSE(moe_router_norm_fits(5, 2048, 64));
  CHECK_FALSE(moe_router_norm_fits(0, 2048, 64));
  CHECK_FALSE(moe_router_norm_fits(4, 16384, 64));  // 279,552 bytes
  CHECK(moe_router_norm_fits(2, 16384, 64));
}

TEST_CASE("cuda_moe_router_route_place refuses a norm it cannot take", "[kernels]") {
#ifndef MOEBENCH_HAVE_CUDA
  MOEBENCH_SKIP("cuda_moe_router_route_place exists only in CUDA builds");
#else
  int32_t counter = 0;
  bf16_bits x[16] = {}, y[16] = {}, y_lo[16] = {}, w[64] = {};
  float residual[16] = {};
  test::HostRoutePlace h;
  GemmArgs g = gemm_args_dense(2, 8, 8, y, w, h.logits);
  g.a_lo = y_lo;
  g.c_f32 = true;
  RouterNormArgs n;
  n.x = x;
  n.residual = residual;
  n.w = w;
  n.eps = 1e-6f;
  n.y = y;
  n.y_lo = y_lo;
  auto error_of = [&](const GemmArgs& ga, const RouterNormArgs& na) {
    return test::invalid_argument_of(
        [&] { cuda_moe_router_route_place(ga, h.r, h.p, &counter, nullptr, &na); });
  };
  RouterNormArgs no_w = n;
  no_w.w = nullptr;
  CHECK(error_of(g, no_w).find("null norm pointer") != std::string::npos);
  RouterNormArgs bad_eps = n;
  bad_eps.eps = -1.0f;
  CHECK(error_of(g, bad_eps).find("eps must be >= 0") != std::string::npos);
  GemmArgs elsewhere = g;  // the GEMV must read the rows the norm writes
  elsewhere.a = x;
  CHECK(error_of(elsewhere, n).find("a = norm.y") != std::string::npos);
  GemmArgs no_lo = g;
  no_lo.a_lo = nullptr;
  CHECK(error_of(no_lo, n).find("a_lo = norm.y_lo") != std::string::npos);
  // Five tokens: more than the norm's 4 (the routing args of 5 tokens, so only the norm refuses).
  test::HostRoutePlace five;
  five.r.n_tokens = 5;
  five.p.n_tokens = 5;
  GemmArgs g5 = gemm_args_dense(5, 8, 8, y, w, five.logits);  // host arrays: never read
  g5.a_lo = y_lo;
  g5.c_f32 = true;
  CHECK(test::invalid_argument_of([&] {
          cuda_moe_router_route_place(g5, five.r, five.p, &counter, nullptr, &n);
        }).find("the norm takes 1 to 4 tokens") != std::string::npos);
#endif
}

#ifdef MOEBENCH_HAVE_CUDA
// residual (f32) += x, the norm's rows and the router's routing of them: in the router's launch
// against cuda_rmsnorm_residual_f32 then that launch without the norm, bit for bit; then both
// replayed twice (the stream growing each time), the fused one from a graph.
void check_router_norm(MoeRouteMode mode, int64_t n_tokens, int n_experts, int top_k,
                       int64_t hidden) {
  CAPTURE(moe_route_mode_name(mode), n_tokens, n_experts, top_k, hidden);
  const int64_t slots = n_tokens * top_k, rows = n_tokens * hidden;
  const float eps = 1e-6f;
  const std::vector<float> residual0 = test::random_bf16(rows, 81, -3.0f, 3.0f);
  DeviceBuffer<bf16_bits> x(bf16_from_f32(test::random_bf16(rows, 82, -1.0f, 1.0f)));
  DeviceBuffer<bf16_bits> w_norm(bf16_from_f32(test::random_bf16(hidden, 83, 0.5f, 1.5f)));
  DeviceBuffer<bf16_bits> w(bf16_from_f32(test::random_bf16(n_experts * hidden, 84, -0.1f, 0.1f)));
  DeviceBuffer<float> bias(test::random_bf16(n_experts, 85, -0.5f, 0.5f));
  struct Side {
    DeviceBuffer<float> residual, logits;
    DeviceBuffer<bf16_bits> y, y_lo;
    DeviceBuffer<int32_t> counter;
    test::RoutePlaceBuffers routing;
    MoeRouteArgs r;
    MoePermuteArgs p;
  };
  auto side = [&](Side& s) {
    s.r = test::route_args(mode, n_tokens, n_experts, top_k);
    s.r.bias = mode == MoeRouteMode::sigmoid_noaux_tc ? bias.data() : nullptr;
    s.r.logits = s.logits.data();
    s.routing.args(s.r, s.p);
  };
  auto make = [&] {
    return Side{DeviceBuffer<float>(residual0),
                DeviceBuffer<float>(n_tokens * n_experts),
                DeviceBuffer<bf16_bits>(rows),
                DeviceBuffer<bf16_bits>(rows),
                DeviceBuffer<int32_t>(std::vector<int32_t>{0}),
                test::RoutePlaceBuffers(slots, n_experts),
                MoeRouteArgs{},
                MoePermuteArgs{}};
  };
  Side fused = make(), split = make();
  side(fused);
  side(split);
  auto router = [&](Side& s) {
    GemmArgs g =
        gemm_args_dense(n_tokens, n_experts, hidden, s.y.data(), w.data(), s.logits.data());
    g.a_lo = s.y_lo.data();
    g.c_f32 = true;
    return g;
  };
  RouterNormArgs norm;
  norm.x = x.data();
  norm.residual = fused.residual.data();
  norm.w = w_norm.data();
  norm.eps = eps;
  norm.y = fused.y.data();
  norm.y_lo = fused.y_lo.data();
  TestStream st;
  auto run_fused = [&] {
    cuda_moe_router_route_place(router(fused), fused.r, fused.p, fused.counter.data(), st.s, &norm);
  };
  auto run_split = [&] {
    cuda_rmsnorm_residual_f32(split.residual.data(), x.data(), false, w_norm.data(), n_tokens,
                              hidden, eps, split.y.data(), split.y_lo.data(), st.s);
    cuda_moe_router_route_place(router(split), split.r, split.p, split.counter.data(), st.s);
  };
  auto same = [&] {
    st.sync();
    CHECK(fused.residual.download() == split.residual.download());
    CHECK(fused.y.download() == split.y.download());
    CHECK(fused.y_lo.download() == split.y_lo.download());
    CHECK(fused.logits.download() == split.logits.download());
    CHECK(fused.routing.download() == split.routing.download());
    CHECK(fused.counter.download() == std::vector<int32_t>{0});
  };
  run_fused();
  run_split();
  same();
  const TestGraph graph(st.s, run_fused);
  for (int replay = 0; replay < 2; ++replay) {
    fused.y.upload(std::vector<bf16_bits>(rows, 0x7fc0));  // NaN: every row rewritten
    fused.y_lo.upload(std::vector<bf16_bits>(rows, 0x7fc0));
    graph.replay();
    run_split();
    same();
  }
}
#endif

TEST_CASE("cuda_moe_router_route_place's norm equals cuda_rmsnorm_residual_f32 then the router",
          "[gpu]") {
  MOEBENCH_REQUIRE_GPU();
#ifdef MOEBENCH_HAVE_CUDA
  for (int64_t t = 1; t <= 4; ++t) {
    check_router_norm(MoeRouteMode::softmax_topk, t, 64, 6, 2048);       // V2-Lite
    check_router_norm(MoeRouteMode::sigmoid_noaux_tc, t, 256, 8, 7168);  // V3: 7 values a lane
  }
  check_router_norm(MoeRouteMode::softmax_group, 2, 64, 6, 2048);
  check_router_norm(MoeRouteMode::softmax_topk, 3, 60, 4, 1056);  // 1024 lanes, 32 take two
  check_router_norm(MoeRouteMode::softmax_topk, 4, 62, 4, 72);    // 96 lanes; 2 idle warps
  check_router_norm(MoeRouteMode::softmax_topk, 2, 8, 2, 70);     // k % 8 != 0: element loads
  check_router_norm(MoeRouteMode::softmax_topk, 1, 64, 6, 200);   // 224 lanes: 7 lane warps
  check_router_norm(MoeRouteMode::softmax_topk, 3, 64, 6, 700);   // 704 lanes, 22 lane warps
#endif
}

}  // namespace
}  // namespace moebench
