// cuda_moe_route_place (decode's routing and placement in one launch): its argument checks before
// any device work, and [gpu] its ids, weights, offsets and slot maps against the two launches it
// replaces (cuda_moe_route, cuda_moe_permute placing only) bit for bit, and against the CPU
// references, for the three router modes at decode batch sizes up to its 1024-slot bound; and
// cuda_moe_router_route_place (the router GEMV too, its last block routing) against the router's
// skinny GEMV and cuda_moe_route_place, bit for bit.
#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernels/bf16.h"
#include "kernels/gemm.h"
#include "kernels/moe_permute.h"
#include "kernels/ops.h"
#include "kernels/reference.h"
#include "tests/catch.h"
#include "tests/kernels/kernel_compare.h"
#include "tests/kernels/route_place_case.h"

#ifdef MOEBENCH_HAVE_CUDA
#include "kernels/cuda_check.h"
#include "kernels/device_buffer.h"
#include "tests/kernels/gpu_test_stream.h"
#endif

namespace moebench {
namespace {

using test::HostRoutePlace;
using test::route_args;
#ifdef MOEBENCH_HAVE_CUDA
using test::RoutePlaceBuffers;
#endif

#ifdef MOEBENCH_HAVE_CUDA
void check_route_place(MoeRouteMode mode, int64_t n_tokens, int n_experts, int top_k) {
  CAPTURE(moe_route_mode_name(mode), n_tokens, n_experts, top_k);
  const int64_t slots = n_tokens * top_k;
  const std::vector<float> logits = test::random_bf16(n_tokens * n_experts, 91, -4.0f, 4.0f);
  const std::vector<float> bias = test::random_bf16(n_experts, 92, -0.5f, 0.5f);
  DeviceBuffer<float> d_logits(logits), d_bias(bias);
  MoeRouteArgs r = route_args(mode, n_tokens, n_experts, top_k);
  r.logits = d_logits.data();
  r.bias = mode == MoeRouteMode::sigmoid_noaux_tc ? d_bias.data() : nullptr;
  TestStream st;
  RoutePlaceBuffers fused(slots, n_experts), split(slots, n_experts);
  MoeRouteArgs rf = r, rs = r;
  MoePermuteArgs pf, ps;
  fused.args(rf, pf);
  split.args(rs, ps);
  cuda_moe_route_place(rf, pf, st.s);
  cuda_moe_route(rs, st.s);
  cuda_moe_permute(ps, st.s);
  st.sync();
  CHECK(fused.ids.download() == split.ids.download());
  CHECK(fused.weights.download() == split.weights.download());
  CHECK(fused.offsets.download() == split.offsets.download());
  CHECK(fused.p2s.download() == split.p2s.download());
  CHECK(fused.s2p.download() == split.s2p.download());
  // And the CPU references of the two.
  std::vector<int32_t> want_ids, want_off, want_p2s, want_s2p;
  std::vector<float> want_w, no_rows;
  ref_moe_route(logits, mode == MoeRouteMode::sigmoid_noaux_tc ? bias : std::vector<float>{}, r,
                want_ids, want_w);
  CHECK(fused.ids.download() == want_ids);
  MoePermuteArgs pr = pf;
  ref_moe_permute(want_ids, std::vector<float>(n_tokens * 8, 0.0f), pr, want_off, want_p2s,
                  want_s2p, no_rows);
  CHECK(fused.offsets.download() == want_off);
  std::vector<int32_t> got_p2s = fused.p2s.download();
  got_p2s.resize(want_p2s.size());
  CHECK(got_p2s == want_p2s);
  CHECK(fused.s2p.download() == want_s2p);
}
#endif

TEST_CASE("cuda_moe_route_place refuses bad arguments before touching the device", "[kernels]") {
#ifndef MOEBENCH_HAVE_CUDA
  MOEBENCH_SKIP("cuda_moe_route_place exists only in CUDA builds");
#else
  bf16_bits rows[8] = {};
  HostRoutePlace h;
  const MoeRouteArgs& r = h.r;
  const MoePermuteArgs& p = h.p;
  auto error_of = [](const MoeRouteArgs& ra, const MoePermuteArgs& pa) {
    return test::invalid_argument_of([&] { cuda_moe_route_place(ra, pa, nullptr); });
  };
  MoeRouteArgs big = r;
  big.n_tokens = 513;  // 1026 slots
  MoePermuteArgs big_p = p;
  big_p.n_tokens = 513;
  CHECK(error_of(big, big_p).find("<= 1024") != std::string::npos);
  MoePermuteArgs gather = p;
  gather.x_perm = rows;
  CHECK(error_of(r, gather).find("x_perm must be null") != std::string::npos);
  MoePermuteArgs other = p;
  other.top_k = 3;
  CHECK(error_of(r, other).find("route's topk_ids") != std::string::npos);
  MoeRouteArgs bad = r;
  bad.top_k = 9;  // more than the experts
  CHECK(error_of(bad, p).find("top_k") != std::string::npos);
#endif
}

TEST_CASE("cuda_moe_route_place equals cuda_moe_route then the permute's placement", "[gpu]") {
  MOEBENCH_REQUIRE_GPU();
#ifdef MOEBENCH_HAVE_CUDA
  for (int64_t t : {int64_t{1}, int64_t{5}, int64_t{64}, int64_t{170}}) {
    check_route_place(MoeRouteMode::softmax_topk, t, 64, 6);  // V2-Lite (170 x 6 = 1020 slots)
  }
  for (int64_t t : {int64_t{1}, int64_t{64}, int64_t{128}}) {
    check_route_place(MoeRouteMode::sigmoid_noaux_tc, t, 256, 8);  // V3 (128 x 8 = 1024)
    check_route_place(MoeRouteMode::softmax_group, t, 64, 6);
  }
  check_route_place(MoeRouteMode::softmax_topk, 0, 64, 6);  // no tokens: offsets all 0
#endif
}

#ifdef MOEBENCH_HAVE_CUDA
// The router's f32 GEMV over h + h_lo (n_tokens x hidden) then routing and placement: in one launch
// (cuda_moe_router_route_place) against cuda_gemm_skinny + cuda_moe_route_place, bit for bit, the
// one launch also replayed twice from a graph (its counter back at zero after each).
void check_router_place(MoeRouteMode mode, int64_t n_tokens, int n_experts, int top_k,
                        int64_t hidden) {
  CAPTURE(moe_route_mode_name(mode), n_tokens, n_experts, top_k, hidden);
  const int64_t slots = n_tokens * top_k;
  DeviceBuffer<bf16_bits> x(bf16_from_f32(test::random_bf16(n_tokens * hidden, 93, -1.0f, 1.0f)));
  DeviceBuffer<bf16_bits> x_lo(
      bf16_from_f32(test::random_bf16(n_tokens * hidden, 94, -0.004f, 0.004f)));
  DeviceBuffer<bf16_bits> w(bf16_from_f32(test::random_bf16(n_experts * hidden, 95, -0.1f, 0.1f)));
  DeviceBuffer<float> bias(test::random_bf16(n_experts, 96, -0.5f, 0.5f));
  DeviceBuffer<float> logits_f(n_tokens * n_experts), logits_s(n_tokens * n_experts);
  DeviceBuffer<int32_t> counter(std::vector<int32_t>{0});
  auto router = [&](DeviceBuffer<float>& out) {
    GemmArgs g = gemm_args_dense(n_tokens, n_experts, hidden, x.data(), w.data(), out.data());
    g.a_lo = x_lo.data();
    g.c_f32 = true;
    return g;
  };
  MoeRouteArgs r = route_args(mode, n_tokens, n_experts, top_k);
  r.bias = mode == MoeRouteMode::sigmoid_noaux_tc ? bias.data() : nullptr;
  RoutePlaceBuffers fused(slots, n_experts), split(slots, n_experts);
  MoeRouteArgs rf = r, rs = r;
  rf.logits = logits_f.data();
  rs.logits = logits_s.data();
  MoePermuteArgs pf, ps;
  fused.args(rf, pf);
  split.args(rs, ps);
  TestStream st;
  // NOTE: the skinny kernel takes 16 rows at most: more tokens run as 16-row slices, the passes the
  // one launch makes.
  for (int64_t r0 = 0; r0 < n_tokens; r0 += 16) {
    GemmArgs slice = router(logits_s);
    slice.a += r0 * hidden;
    slice.a_lo += r0 * hidden;
    slice.c = logits_s.data() + r0 * n_experts;
    slice.m = std::min<int64_t>(16, n_tokens - r0);
    cuda_gemm_skinny(slice, st.s);
  }
  cuda_moe_route_place(rs, ps, st.s);
  auto same = [&] {
    st.sync();
    CHECK(logits_f.download() == logits_s.download());
    CHECK(fused.ids.download() == split.ids.download());
    CHECK(fused.weights.download() == split.weights.download());
    CHECK(fused.offsets.download() == split.offsets.download());
    CHECK(fused.p2s.download() == split.p2s.download());
    CHECK(fused.s2p.download() == split.s2p.download());
    CHECK(counter.download() == std::vector<int32_t>{0});
  };
  cuda_moe_router_route_place(router(logits_f), rf, pf, counter.data(), st.s);
  same();
  const TestGraph graph(
      st.s, [&] { cuda_moe_router_route_place(router(logits_f), rf, pf, counter.data(), st.s); });
  for (int replay = 0; replay < 2; ++replay) {
    fused.ids.upload(std::vector<int32_t>(slots, -7));  // every id rewritten
    graph.replay();
    same();
  }
}
#endif

TEST_CASE("cuda_moe_router_route_place refuses what the skinny router does not serve",
          "[kernels]") {
#ifndef MOEBENCH_HAVE_CUDA
  MOEBENCH_SKIP("cuda_moe_router_route_place exists only in CUDA builds");
#else
  int32_t counter = 0;
  bf16_bits x[64] = {}, w[64] = {};
  HostRoutePlace h;
  const MoeRouteArgs& r = h.r;
  const MoePermuteArgs& p = h.p;
  GemmArgs g = gemm_args_dense(2, 8, 8, x, w, h.logits);
  g.c_f32 = true;
  auto error_of = [](const GemmArgs& ga, const MoeRouteArgs& ra, const MoePermuteArgs& pa,
                     int32_t* c) {
    return test::invalid_argument_of([&] { cuda_moe_router_route_place(ga, ra, pa, c, nullptr); });
  };
  GemmArgs three = g;  // the router's rows are the routed tokens
  three.m = 3;
  CHECK(error_of(three, r, p, &counter).find("router.m must equal") != std::string::npos);
  // More logits than one block's shared memory holds: 200 tokens x 256 experts (top 2: 400 slots).
  float big_logits[1] = {};
  MoeRouteArgs wide = route_args(MoeRouteMode::softmax_topk, 200, 256, 2);
  wide.logits = big_logits;
  wide.topk_ids = h.ids;
  wide.topk_weights = h.weights;
  MoePermuteArgs p_wide = p;
  p_wide.n_tokens = 200;
  p_wide.n_experts = 256;
  GemmArgs g_wide = gemm_args_dense(200, 256, 8, x, w, big_logits);
  g_wide.c_f32 = true;
  CHECK(error_of(g_wide, wide, p_wide, &counter).find("n_tokens * n_experts must be <= 49152") !=
        std::string::npos);
  GemmArgs elsewhere = g;  // logits not where the routing reads them
  elsewhere.c = h.weights;
  CHECK(error_of(elsewhere, r, p, &counter).find("route.logits") != std::string::npos);
  GemmArgs bf16_out = g;
  bf16_out.c_f32 = false;
  CHECK(error_of(bf16_out, r, p, &counter).find("f32") != std::string::npos);
  uint64_t keys[2] = {};
  GemmArgs with_argmax = g;  // the routing kernel leaves no argmax keys: refused, not ignored
  with_argmax.c_argmax = keys;
  CHECK(error_of(with_argmax, r, p, &counter).find("no c_argmax") != std::string::npos);
  CHECK(error_of(g, r, p, nullptr).find("counter") != std::string::npos);
#endif
}

TEST_CASE("cuda_moe_router_route_place equals the router GEMV then cuda_moe_route_place", "[gpu]") {
  MOEBENCH_REQUIRE_GPU();
#ifdef MOEBENCH_HAVE_CUDA
  for (int64_t t : {int64_t{1}, int64_t{2}, int64_t{3}, int64_t{4}}) {
    check_router_place(MoeRouteMode::softmax_topk, t, 64, 6, 2048);       // V2-Lite
    check_router_place(MoeRouteMode::sigmoid_noaux_tc, t, 256, 8, 7168);  // V3
    check_router_place(MoeRouteMode::softmax_group, t, 64, 6, 2048);
  }
  // Batch decode (kernels=wgmma): 8 and 16 tokens a pass, and 16-token passes up to the slots
  for (int64_t t : {int64_t{5}, int64_t{16}, int64_t{64}, int64_t{170}}) {
    check_router_place(MoeRouteMode::softmax_topk, t, 64, 6, 2048);
  }
  check_router_place(MoeRouteMode::sigmoid_noaux_tc, 128, 256, 8, 7168);  // V3: 128 KB of logits
  check_router_place(MoeRouteMode::softmax_topk, 3, 60, 4, 72);  // 15 blocks, the last partial
  check_router_place(MoeRouteMode::softmax_topk, 2, 8, 2, 70);   // k % 8 != 0: element loads
#endif
}

}  // namespace
}  // namespace moebench
