// CPU-only tests of ref_moe_route against hand-computed routes for each mode: the selection, the
// weights (probs or unbiased sigmoid scores), renormalization, scaling, group masks and ties.
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "kernels/reference.h"
#include "tests/catch.h"

namespace moebench {
namespace {

// softmax of v in double, for the expected weights.
std::vector<double> softmax_d(const std::vector<float>& v) {
  double sum = 0.0;
  std::vector<double> p(v.size());
  for (size_t i = 0; i < v.size(); ++i) sum += p[i] = std::exp(static_cast<double>(v[i]));
  for (double& x : p) x /= sum;
  return p;
}

double sigmoid_d(double x) { return 1.0 / (1.0 + std::exp(-x)); }

// |got - want| <= 1e-6 * |want|: the f32 route against a double hand computation.
bool near(float got, double want) { return std::abs(got - want) <= 1e-6 * std::abs(want); }

MoeRouteArgs route_args(MoeRouteMode mode, int n_experts, int top_k, int n_group = 1,
                        int topk_group = 1) {
  MoeRouteArgs a;
  a.mode = mode;
  a.n_tokens = 1;
  a.n_experts = n_experts;
  a.top_k = top_k;
  a.n_group = n_group;
  a.topk_group = topk_group;
  return a;
}

TEST_CASE("ref_moe_route softmax_topk picks the largest probs, renormalizes and scales",
          "[kernels]") {
  const std::vector<float> logits = {1.0f, 3.0f, 2.0f, 0.0f};  // (1, 4)
  const std::vector<double> p = softmax_d(logits);
  MoeRouteArgs a = route_args(MoeRouteMode::softmax_topk, 4, 2);
  std::vector<int32_t> ids;
  std::vector<float> w;
  ref_moe_route(logits, {}, a, ids, w);
  CHECK(ids == std::vector<int32_t>{1, 2});
  CHECK(near(w[0], p[1]));
  CHECK(near(w[1], p[2]));

  a.renormalize = true;
  a.scaling = 2.0f;
  ref_moe_route(logits, {}, a, ids, w);
  CHECK(ids == std::vector<int32_t>{1, 2});
  CHECK(near(w[0], 2.0 * sigmoid_d(1.0)));  // p1 / (p1 + p2) = 1 / (1 + e^-1)
  CHECK(near(w[1], 2.0 * sigmoid_d(-1.0)));
}

TEST_CASE("ref_moe_route breaks exact ties toward the lower expert", "[kernels]") {
  const std::vector<float> logits = {2.0f, 1.0f, 2.0f, 2.0f,   // token 0
                                     0.0f, 0.0f, 0.0f, 0.0f};  // token 1: all tied
  MoeRouteArgs a = route_args(MoeRouteMode::softmax_topk, 4, 3);
  a.n_tokens = 2;
  std::vector<int32_t> ids;
  std::vector<float> w;
  ref_moe_route(logits, {}, a, ids, w);
  CHECK(ids == std::vector<int32_t>{0, 2, 3, 0, 1, 2});
  CHECK(w[3] == 0.25f);
}

TEST_CASE("ref_moe_route softmax_group keeps the best groups by max prob, masks others to 0",
          "[kernels]") {
  // 4 groups of 2: maxes 5, 3.8, 4, 0.5 -> keep groups 0 and 2; expert 3 (3.8) beats expert 5
  // (3.5) but its group is dropped.
  const std::vector<float> logits = {0.0f, 5.0f, 1.0f, 3.8f, 4.0f, 3.5f, 0.0f, 0.5f};
  const std::vector<double> p = softmax_d(logits);
  MoeRouteArgs a = route_args(MoeRouteMode::softmax_group, 8, 3, 4, 2);
  a.scaling = 16.0f;
  std::vector<int32_t> ids;
  std::vector<float> w;
  ref_moe_route(logits, {}, a, ids, w);
  CHECK(ids == std::vector<int32_t>{1, 4, 5});
  CHECK(near(w[0], 16.0 * p[1]));  // probs over all 8 experts, no renorm
  CHECK(near(w[2], 16.0 * p[5]));

  // More picks than kept experts: the 5th is a masked 0.0, the lowest masked index (2).
  a.top_k = 5;
  ref_moe_route(logits, {}, a, ids, w);
  CHECK(ids == std::vector<int32_t>{1, 4, 5, 0, 2});
  CHECK(w[4] == 0.0f);
}

TEST_CASE("ref_moe_route sigmoid_noaux_tc selects on biased scores, weighs unbiased ones",
          "[kernels]") {
  // 4 groups of 2. Biased top-2 sums: g0 .881 + .269, g1 .5 + .622, g2 .731 + .818,
  // g3 .119 + 1.5 -> keep g3 (1.619) and g2 (1.549); expert 0 (.881) is dropped with its group.
  const std::vector<float> logits = {2.0f, -1.0f, 0.0f, 0.5f, 1.0f, 1.5f, -2.0f, 0.0f};
  const std::vector<float> bias = {0, 0, 0, 0, 0, 0, 0, 1.0f};
  MoeRouteArgs a = route_args(MoeRouteMode::sigmoid_noaux_tc, 8, 2, 4, 2);
  a.renormalize = true;
  a.renorm_eps = 1e-20f;
  a.scaling = 2.5f;
  std::vector<int32_t> ids;
  std::vector<float> w;
  ref_moe_route(logits, bias, a, ids, w);
  CHECK(ids == std::vector<int32_t>{7, 5});
  const double s7 = 0.5, s5 = sigmoid_d(1.5);
  CHECK(near(w[0], 2.5 * s7 / (s7 + s5)));
  CHECK(near(w[1], 2.5 * s5 / (s7 + s5)));

  // Five picks from four kept experts: the 5th is a -inf-masked expert, the lowest index (0),
  // weighted by its unbiased score.
  a.top_k = 5;
  a.renormalize = false;
  a.scaling = 1.0f;
  ref_moe_route(logits, bias, a, ids, w);
  CHECK(ids == std::vector<int32_t>{7, 5, 4, 6, 0});
  CHECK(near(w[4], sigmoid_d(2.0)));
}

TEST_CASE("ref_moe_route without groups ignores the group fields and the bias when absent",
          "[kernels]") {
  const std::vector<float> logits = {0.0f, -1.0f, 3.0f, 1.0f};
  MoeRouteArgs a = route_args(MoeRouteMode::sigmoid_noaux_tc, 4, 2);
  std::vector<int32_t> ids;
  std::vector<float> w;
  ref_moe_route(logits, {}, a, ids, w);
  CHECK(ids == std::vector<int32_t>{2, 3});
  CHECK(near(w[0], sigmoid_d(3.0)));
}

TEST_CASE("ref_moe_route rejects bad shapes", "[kernels]") {
  std::vector<int32_t> ids;
  std::vector<float> w;
  const std::vector<float> logits(8, 0.0f);
  CHECK_THROWS_AS(ref_moe_route(logits, {}, route_args(MoeRouteMode::softmax_topk, 8, 9), ids, w),
                  std::invalid_argument);
  CHECK_THROWS_AS(
      ref_moe_route(logits, {}, route_args(MoeRouteMode::softmax_group, 8, 2, 3, 1), ids, w),
      std::invalid_argument);
  CHECK_THROWS_AS(ref_moe_route(logits, {}, route_args(MoeRouteMode::softmax_topk, 4, 2), ids, w),
                  std::invalid_argument);
}

}  // namespace
}  // namespace moebench
