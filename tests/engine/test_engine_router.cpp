// MoE routers of every family against hand-computed examples: renormalization, tie order,
// group-limited selection, the noaux_tc bias (selection only) and routed_scaling_factor.
#include <cmath>

#include "backends/builtin/engine/cpu/engine_cpu_layers.h"
#include "tests/catch.h"
#include "tests/engine/engine_test_util.h"

using namespace moebench;

namespace {

struct Routed {
  std::vector<int> idx;
  std::vector<float> w;
};

Routed route(const ModelConfig& c, std::vector<float> logits, const float* bias = nullptr) {
  const RouterSpec s = moe_router_spec(c);
  Routed r{std::vector<int>(s.top_k), std::vector<float>(s.top_k)};
  moe_route(s, logits.data(), 1, bias, r.idx.data(), r.w.data());
  return r;
}

ModelConfig router_config(ModelFamily f, int experts, int k) {
  ModelConfig c = test::tiny_base(f);
  c.n_routed_experts = experts;
  c.num_experts_per_tok = k;
  return c;
}

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

}  // namespace

TEST_CASE("softmax top-k: mixtral always renormalizes, others per norm_topk_prob",
          "[engine][router]") {
  // softmax([1, 2, 3, 0]) = e^x / (e + e² + e³ + 1); top-2 = experts 2, 1.
  const double z = std::exp(1.0) + std::exp(2.0) + std::exp(3.0) + 1.0;
  ModelConfig mix = router_config(ModelFamily::mixtral, 4, 2);
  Routed r = route(mix, {1, 2, 3, 0});
  REQUIRE(r.idx == std::vector<int>{2, 1});
  CHECK(std::abs(r.w[0] - std::exp(3.0) / (std::exp(3.0) + std::exp(2.0))) < 1e-6);
  CHECK(std::abs(r.w[0] + r.w[1] - 1.0) < 1e-6);

  ModelConfig ol = router_config(ModelFamily::olmoe, 4, 2);  // norm_topk_prob false
  r = route(ol, {1, 2, 3, 0});
  CHECK(std::abs(r.w[0] - std::exp(3.0) / z) < 1e-6);
  CHECK(std::abs(r.w[1] - std::exp(2.0) / z) < 1e-6);
  ol.norm_topk_prob = true;
  CHECK(std::abs(route(ol, {1, 2, 3, 0}).w[1] - std::exp(2.0) / (std::exp(3.0) + std::exp(2.0))) <
        1e-6);

  // Exact ties: the lower expert index wins (torch.topk's usual CPU order).
  CHECK(route(mix, {1, 1, 1, 0}).idx == std::vector<int>{0, 1});
}

TEST_CASE("deepseek_v2: greedy vs group_limited_greedy, scaling, no renormalization",
          "[engine][router]") {
  // Groups of 2: g0 = {5, 0}, g1 = {4.9, 0}, g2 = g3 = {0, 0}. Greedy top-2 = {0, 2}; with
  // topk_group 1 only g0 survives (max 5), so the second pick is expert 1, masked from nothing.
  const std::vector<float> logits = {5, 0, 4.9f, 0, 0, 0, 0, 0};
  const double z = std::exp(5.0) + std::exp(4.9) + 6.0;
  ModelConfig c = router_config(ModelFamily::deepseek_v2, 8, 2);
  c.norm_topk_prob = true;  // ignored by HF's V2 router
  c.routed_scaling_factor = 2.0;
  c.router = MoeRouteMode::softmax_topk;
  Routed r = route(c, logits);
  REQUIRE(r.idx == std::vector<int>{0, 2});
  CHECK(std::abs(r.w[0] - 2.0 * std::exp(5.0) / z) < 1e-6);
  CHECK(std::abs(r.w[1] - 2.0 * std::exp(4.9) / z) < 1e-6);

  c.router = MoeRouteMode::softmax_group;
  c.n_group = 4;
  c.topk_group = 1;
  r = route(c, logits);
  REQUIRE(r.idx == std::vector<int>{0, 1});
  CHECK(std::abs(r.w[1] - 2.0 * 1.0 / z) < 1e-6);  // weight = its own softmax prob, scaled
}

TEST_CASE("deepseek_v3 noaux_tc: bias moves selection, weights stay unbiased", "[engine][router]") {
  ModelConfig c = router_config(ModelFamily::deepseek_v3, 4, 2);
  c.router = MoeRouteMode::sigmoid_noaux_tc;
  c.norm_topk_prob = true;
  c.routed_scaling_factor = 2.5;
  const std::vector<float> logits = {2, 1, 0, -1};
  Routed r = route(c, logits);
  REQUIRE(r.idx == std::vector<int>{0, 1});
  // bias +5 on expert 2 selects it; its weight still comes from sigmoid(0) = 0.5.
  const float bias[4] = {0, 0, 5, 0};
  r = route(c, logits, bias);
  REQUIRE(r.idx == std::vector<int>{2, 0});
  const double den = sigmoid(0.0) + sigmoid(2.0);
  CHECK(std::abs(r.w[0] - 2.5 * 0.5 / den) < 1e-6);
  CHECK(std::abs(r.w[1] - 2.5 * sigmoid(2.0) / den) < 1e-6);
  c.norm_topk_prob = false;
  r = route(c, logits, bias);
  CHECK(std::abs(r.w[0] - 2.5 * 0.5) < 1e-6);
}

TEST_CASE("deepseek_v3 groups score by their top-2 sum, dropped groups are -inf",
          "[engine][router]") {
  ModelConfig c = router_config(ModelFamily::deepseek_v3, 8, 2);
  c.router = MoeRouteMode::sigmoid_noaux_tc;
  c.norm_topk_prob = true;
  c.n_group = 4;
  c.topk_group = 2;
  // Group sums of sigmoids: g0 {4, -4} = 1.0, g1 {1, 1} = 1.462, g2 {0.5, 0.5} = 1.245,
  // g3 {-1, -1} = 0.538. g1, g2 survive, so expert 0 (the single best score) is not picked.
  Routed r = route(c, {4, -4, 1, 1, 0.5f, 0.5f, -1, -1});
  REQUIRE(r.idx == std::vector<int>{2, 3});
  CHECK(std::abs(r.w[0] - 0.5) < 1e-6);

  // Negative biased scores: choice = [-0.1, -0.2, -0.4, -0.4]; with topk_group 1 only group 0
  // survives. HF 5.17 (and the DeepSeek reference) mask with -inf and pick {0, 1}; the older
  // HF 0.0 mask would have picked the dropped experts {2, 3}.
  ModelConfig d = router_config(ModelFamily::deepseek_v3, 4, 2);
  d.router = MoeRouteMode::sigmoid_noaux_tc;
  d.n_group = 2;
  d.topk_group = 1;
  const float bias[4] = {-0.6f, -0.7f, -0.9f, -0.9f};
  r = route(d, {0, 0, 0, 0}, bias);
  CHECK(r.idx == std::vector<int>{0, 1});
}
