// [gpu] tests of cuda_moe_route against ref_moe_route over ragged token counts (1, 33, 4097), all
// three modes and several (n_experts, top_k, groups); ids must match exactly, weights within 1e-5
// relative. They skip visibly without a CUDA build or device. The argument checks run on any
// CUDA build, device or not.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernels/ops.h"
#include "kernels/reference.h"
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

// Smallest gap between any two of v (+inf for fewer than two values).
double min_gap(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  double gap = INFINITY;
  for (size_t i = 1; i < v.size(); ++i) gap = std::min(gap, v[i] - v[i - 1]);
  return gap;
}

// NOTE: GPU expf and the host's exp differ by an ulp or two, so a near-tie in the selection keys
// could legitimately order differently. A row is kept only when its keys (in double) are far
// apart compared to f32 rounding: logits >= 1e-5 apart (probs then differ by >= 1e-5 relative),
// biased sigmoid scores >= 2e-6 apart and group scores >= 4e-6 apart. Exact ties that do occur
// (masked 0.0 / -inf experts) resolve identically by index on both sides.
bool row_separated(const float* logits, const std::vector<float>& bias, const MoeRouteArgs& a) {
  const int E = a.n_experts;
  std::vector<double> key(E);
  for (int e = 0; e < E; ++e) key[e] = logits[e];
  if (a.mode != MoeRouteMode::sigmoid_noaux_tc) return min_gap(key) >= 1e-5;
  for (int e = 0; e < E; ++e) key[e] = 1.0 / (1.0 + std::exp(-key[e])) + bias[e];
  if (min_gap(key) < 2e-6) return false;
  const int per = E / a.n_group;
  std::vector<double> gscore(a.n_group);
  for (int g = 0; g < a.n_group; ++g) {
    std::vector<double> grp(key.begin() + g * per, key.begin() + (g + 1) * per);
    std::partial_sort(grp.begin(), grp.begin() + 2, grp.end(), std::greater<double>());
    gscore[g] = grp[0] + grp[1];
  }
  return min_gap(gscore) >= 4e-6;
}

// Logits (n_tokens, n_experts) uniform in [-4, 4), each row redrawn until row_separated.
std::vector<float> separated_logits(const MoeRouteArgs& a, const std::vector<float>& bias,
                                    uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-4.0f, 4.0f);
  std::vector<float> logits(a.n_tokens * a.n_experts);
  for (int64_t t = 0; t < a.n_tokens; ++t) {
    float* row = logits.data() + t * a.n_experts;
    int tries = 0;
    do {
      for (int e = 0; e < a.n_experts; ++e) row[e] = dist(rng);
      if (++tries > 1000) throw std::runtime_error("separated_logits: no separated row");
    } while (!row_separated(row, bias, a));
  }
  return logits;
}

// The route of one mode with the engine's usual flags for it.
MoeRouteArgs route_config(MoeRouteMode mode, int64_t n_tokens, int n_experts, int top_k,
                          int n_group, int topk_group) {
  MoeRouteArgs a;
  a.mode = mode;
  a.n_tokens = n_tokens;
  a.n_experts = n_experts;
  a.top_k = top_k;
  a.n_group = n_group;
  a.topk_group = topk_group;
  switch (mode) {
    case MoeRouteMode::softmax_topk:  // qwen3_moe / mixtral: renormalized, unscaled
      a.renormalize = top_k != 6;     // and one unnormalized K (qwen2_moe norm_topk_prob=false)
      break;
    case MoeRouteMode::softmax_group:  // deepseek_v2: never renormalized, scaled
      a.scaling = 16.0f;
      break;
    case MoeRouteMode::sigmoid_noaux_tc:  // deepseek_v3
      a.renormalize = true;
      a.renorm_eps = 1e-20f;
      a.scaling = 2.5f;
      break;
  }
  return a;
}

#ifdef MOEBENCH_HAVE_CUDA
void check_route(MoeRouteArgs a, uint32_t seed) {
  INFO("mode " << moe_route_mode_name(a.mode) << " n_tokens " << a.n_tokens << " n_experts "
               << a.n_experts << " top_k " << a.top_k << " n_group " << a.n_group << " topk_group "
               << a.topk_group << " renormalize " << a.renormalize);
  std::vector<float> bias;  // (n_experts); the reference and the GPU both read it
  if (a.mode == MoeRouteMode::sigmoid_noaux_tc)
    bias = test::random_bf16(a.n_experts, seed, -0.1f, 0.1f);
  const std::vector<float> logits = separated_logits(a, bias, seed + 1);
  std::vector<int32_t> want_ids;
  std::vector<float> want_w;
  ref_moe_route(logits, bias, a, want_ids, want_w);

  TestStream st;
  DeviceBuffer<float> d_logits(logits), d_w(want_w.size());
  DeviceBuffer<float> d_bias(bias);  // empty -> null
  DeviceBuffer<int32_t> d_ids(want_ids.size());
  a.logits = d_logits.data();
  a.bias = bias.empty() ? nullptr : d_bias.data();
  a.topk_ids = d_ids.data();
  a.topk_weights = d_w.data();
  cuda_moe_route(a, st.s);
  st.sync();

  const std::vector<int32_t> got_ids = d_ids.download();
  const auto bad = std::mismatch(got_ids.begin(), got_ids.end(), want_ids.begin());
  if (bad.first != got_ids.end()) {
    const int64_t i = bad.first - got_ids.begin();
    FAIL("ids differ first at token " << i / a.top_k << " pick " << i % a.top_k << ": got "
                                      << *bad.first << ", want " << *bad.second);
  }
  const auto r = test::compare_close(d_w.download(), want_w, 0.0, 1e-5);
  INFO(r.message);
  REQUIRE(r.ok);
}
#endif

TEST_CASE("cuda_moe_route matches the reference for all modes and shapes", "[gpu]") {
  MOEBENCH_REQUIRE_GPU();
#ifdef MOEBENCH_HAVE_CUDA
  // {n_experts, n_group, topk_group}: E=8 keeps 4 experts, so K=6 and K=8 also pick masked ones.
  const int groups[][3] = {{8, 4, 2}, {64, 8, 3}, {256, 8, 4}};
  uint32_t seed = 100;
  for (MoeRouteMode mode :
       {MoeRouteMode::softmax_topk, MoeRouteMode::softmax_group, MoeRouteMode::sigmoid_noaux_tc}) {
    for (int64_t t : {int64_t{1}, int64_t{33}, int64_t{4097}}) {
      for (const auto& g : groups) {
        for (int k : {2, 6, 8}) check_route(route_config(mode, t, g[0], k, g[1], g[2]), seed++);
      }
      // The limits: 256 experts in 16 groups, 16 picks; and a ragged 200 experts (25 per group).
      check_route(route_config(mode, t, 256, 16, 16, 5), seed++);
      check_route(route_config(mode, t, 200, 7, 8, 3), seed++);
    }
  }
#endif
}

#ifdef MOEBENCH_HAVE_CUDA
TEST_CASE("cuda_moe_route rejects out-of-range shapes with the values", "[kernels]") {
  // Host-side checks: these throw before any CUDA call, so they run without a device too.
  const auto message_of = [](const MoeRouteArgs& a) {
    try {
      cuda_moe_route(a, nullptr);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no throw");
  };
  const auto has = [&](const MoeRouteArgs& a, const std::string& want) {
    const std::string got = message_of(a);
    INFO("message: " << got);
    CHECK(got.find(want) != std::string::npos);
  };
  const MoeRouteMode grouped = MoeRouteMode::sigmoid_noaux_tc;
  has(route_config(grouped, 1, 300, 8, 8, 4), "n_experts must be in [1, 256], got 300");
  has(route_config(grouped, 1, 256, 17, 8, 4), "got top_k 17 with n_experts 256");
  has(route_config(grouped, 1, 8, 9, 4, 2), "got top_k 9 with n_experts 8");
  has(route_config(grouped, 1, 256, 8, 32, 4), "divide n_experts 256, got 32");
  has(route_config(grouped, 1, 64, 8, 6, 4), "divide n_experts 64, got 6");
  has(route_config(grouped, 1, 64, 8, 8, 9), "topk_group must be in [1, n_group 8], got 9");
  has(route_config(grouped, 1, 16, 2, 16, 4), "n_experts 16 / n_group 16");
  has(route_config(MoeRouteMode::softmax_topk, 1, 64, 8, 1, 1), "null pointer");
  // softmax_topk ignores the group fields, so a zero-token call with odd groups is fine.
  CHECK(message_of(route_config(MoeRouteMode::softmax_topk, 0, 64, 8, 6, 9)) == "no throw");
}
#endif

}  // namespace
}  // namespace moebench
