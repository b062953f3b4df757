// [gpu] tests: cuda_moe_permute and cuda_moe_combine against their CPU references over ragged
// shapes (1, 7, 33, 4097 tokens; hidden 1, 33, 64, 2048 with padded strides), skewed and bad
// routings, and a CUDA-graph capture of both. They skip visibly without a CUDA build or device.
#include <cstdint>
#include <random>
#include <stdexcept>
#include <vector>

#include "kernels/bf16.h"
#include "kernels/moe_permute.h"
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
struct Case {
  int64_t n_tokens;
  int top_k;
  int n_experts;
  int64_t hidden;
  int64_t ld_x;  // x and out row stride
  bool skewed;   // half the slots go to expert 0
  bool bad_ids;  // a few ids outside [0, n_experts)
  bool accumulate;
  bool graph;  // capture permute + combine in a CUDA graph and launch that
};

std::vector<int32_t> make_ids(const Case& c) {
  std::mt19937 rng(static_cast<uint32_t>(c.n_tokens * 131 + c.n_experts));
  std::vector<int32_t> ids(c.n_tokens * c.top_k);  // (n_tokens, top_k)
  for (auto& id : ids) {
    id = c.skewed && rng() % 2 == 0 ? 0 : static_cast<int32_t>(rng() % c.n_experts);
  }
  if (c.bad_ids && ids.size() >= 3) {
    ids[0] = -1;
    ids[ids.size() / 2] = c.n_experts;
    ids[ids.size() - 1] = 1 << 30;
  }
  return ids;
}

void check_case(const Case& c) {
  CAPTURE(c.n_tokens, c.top_k, c.n_experts, c.hidden, c.ld_x, c.skewed, c.bad_ids, c.accumulate,
          c.graph);
  const int64_t n_slots = c.n_tokens * c.top_k;
  const std::vector<int32_t> ids = make_ids(c);
  const std::vector<float> x = test::random_bf16(c.n_tokens * c.ld_x, 11);  // (T, ld_x)
  MoePermuteArgs pa;
  pa.ld_x = c.ld_x;
  pa.n_tokens = c.n_tokens;
  pa.top_k = c.top_k;
  pa.n_experts = c.n_experts;
  pa.hidden = c.hidden;
  std::vector<int32_t> off, p2s, s2p;
  std::vector<float> xp;
  ref_moe_permute(ids, x, pa, off, p2s, s2p, xp);

  // combine inputs: y_perm (n_slots, hidden), weights (T, top_k), out (T, ld_x)
  const std::vector<float> y = test::random_bf16(n_slots * c.hidden, 12);
  const std::vector<float> w = test::random_bf16(n_slots, 13, 0.0f, 1.0f);
  const std::vector<float> out0 = test::random_bf16(c.n_tokens * c.ld_x, 14);
  MoeCombineArgs ca;
  ca.ld_out = c.ld_x;
  ca.n_tokens = c.n_tokens;
  ca.top_k = c.top_k;
  ca.hidden = c.hidden;
  ca.accumulate = c.accumulate;
  std::vector<float> want_out = out0;
  ref_moe_combine(y, s2p, w, ca, want_out);

  TestStream st;
  DeviceBuffer<int32_t> d_ids(ids), d_off(c.n_experts + 1), d_p2s(n_slots), d_s2p(n_slots);
  DeviceBuffer<bf16_bits> d_x(bf16_from_f32(x)),
      d_xp(bf16_from_f32(std::vector<float>(n_slots * c.hidden, 0.0f)));
  DeviceBuffer<bf16_bits> d_y(bf16_from_f32(y)), d_out(bf16_from_f32(out0));
  DeviceBuffer<float> d_w(w);
  DeviceBuffer<unsigned char> d_ws(moe_permute_workspace_bytes(c.n_tokens, c.top_k, c.n_experts));
  pa.topk_ids = d_ids.data();
  pa.x = d_x.data();
  pa.offsets = d_off.data();
  pa.perm_to_slot = d_p2s.data();
  pa.slot_to_perm = d_s2p.data();
  pa.x_perm = d_xp.data();
  pa.workspace = d_ws.data();
  ca.y_perm = d_y.data();
  ca.slot_to_perm = d_s2p.data();
  ca.weights = d_w.data();
  ca.out = d_out.data();
  if (c.graph) {
    cudaGraph_t graph = nullptr;
    cudaGraphExec_t exec = nullptr;
    CUDA_CHECK(cudaStreamBeginCapture(st.s, cudaStreamCaptureModeGlobal));
    cuda_moe_permute(pa, st.s);
    cuda_moe_combine(ca, st.s);
    CUDA_CHECK(cudaStreamEndCapture(st.s, &graph));
    CUDA_CHECK(cudaGraphInstantiate(&exec, graph, 0));
    CUDA_CHECK(cudaGraphLaunch(exec, st.s));
    st.sync();
    cudaGraphExecDestroy(exec);
    cudaGraphDestroy(graph);
  } else {
    cuda_moe_permute(pa, st.s);
    cuda_moe_combine(ca, st.s);
    st.sync();
  }
  REQUIRE(d_off.download() == off);
  const std::vector<int32_t> got_p2s = d_p2s.download();
  const int32_t placed = off[c.n_experts];
  REQUIRE(std::vector<int32_t>(got_p2s.begin(), got_p2s.begin() + placed) ==
          std::vector<int32_t>(p2s.begin(), p2s.begin() + placed));
  REQUIRE(d_s2p.download() == s2p);
  const auto r_x = test::compare_close(bf16_to_f32(d_xp.download()), xp, 0.0, 0.0);
  INFO(r_x.message);
  REQUIRE(r_x.ok);  // a copy: bit-exact
  // NOTE: the same fmaf chain in the same order on both sides, so the combine is bit-exact too.
  const auto r_out = test::compare_close(bf16_to_f32(d_out.download()), want_out, 0.0, 0.0);
  INFO(r_out.message);
  REQUIRE(r_out.ok);
}
#endif

TEST_CASE("cuda_moe_permute and cuda_moe_combine match the reference", "[gpu]") {
  MOEBENCH_REQUIRE_GPU();
#ifdef MOEBENCH_HAVE_CUDA
  for (int64_t t : {int64_t{1}, int64_t{7}, int64_t{33}, int64_t{4097}}) {
    for (int64_t h : {int64_t{1}, int64_t{33}, int64_t{64}, int64_t{2048}}) {
      for (bool acc : {false, true}) {
        check_case({t, 6, 64, h, h, false, false, acc, false});    // DeepSeek-V2-Lite routing
        check_case({t, 2, 5, h, h + 8, true, false, acc, false});  // padded stride, skew
      }
    }
  }
  check_case({256, 16, 256, 64, 72, false, false, true, false});  // widest routing, decode-sized
  check_case({300, 1, 1, 40, 40, false, false, false, false});    // one expert, top-1
  check_case({33, 4, 8, 33, 40, true, true, true, false});        // bad ids dropped
  check_case({0, 6, 64, 64, 64, false, false, false, false});     // empty batch: offsets all 0
#endif
}

TEST_CASE("cuda_moe_permute handles a large prefill (16384 x 6 over 64 experts)", "[gpu]") {
  MOEBENCH_REQUIRE_GPU();
#ifdef MOEBENCH_HAVE_CUDA
  check_case({16384, 6, 64, 64, 64, true, false, true, false});
  check_case({2048, 8, 256, 2048, 2048, false, false, false, false});
#endif
}

TEST_CASE("cuda_moe_permute and cuda_moe_combine are CUDA-graph capturable", "[gpu]") {
  MOEBENCH_REQUIRE_GPU();
#ifdef MOEBENCH_HAVE_CUDA
  check_case({5, 6, 64, 2048, 2048, false, false, true, true});
  check_case({33, 4, 8, 33, 40, true, true, false, true});
#endif
}

TEST_CASE("cuda_moe_permute / cuda_moe_combine reject bad host arguments", "[gpu]") {
  MOEBENCH_REQUIRE_GPU();
#ifdef MOEBENCH_HAVE_CUDA
  MoePermuteArgs pa;
  pa.n_tokens = 4;
  pa.top_k = 17;
  pa.n_experts = 8;
  pa.hidden = 8;
  pa.ld_x = 8;
  CHECK_THROWS_AS(cuda_moe_permute(pa, nullptr), std::invalid_argument);
  pa.top_k = 2;
  pa.n_experts = 257;
  CHECK_THROWS_AS(cuda_moe_permute(pa, nullptr), std::invalid_argument);
  MoeCombineArgs ca;
  ca.n_tokens = 4;
  ca.top_k = 2;
  ca.hidden = 8;
  ca.ld_out = 4;
  CHECK_THROWS_AS(cuda_moe_combine(ca, nullptr), std::invalid_argument);
#endif
}

}  // namespace
}  // namespace moebench
