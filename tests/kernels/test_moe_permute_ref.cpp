// CPU-only tests of ref_moe_permute / ref_moe_combine against hand-computed routings: the stable
// expert grouping, the row gather, dropped ids, and the weighted f32 combine with accumulate.
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "kernels/bf16.h"
#include "kernels/moe_permute.h"
#include "tests/catch.h"

namespace moebench {
namespace {

MoePermuteArgs permute_args(int64_t n_tokens, int top_k, int n_experts, int64_t hidden,
                            int64_t ld_x) {
  MoePermuteArgs a;
  a.n_tokens = n_tokens;
  a.top_k = top_k;
  a.n_experts = n_experts;
  a.hidden = hidden;
  a.ld_x = ld_x;
  return a;
}

TEST_CASE("ref_moe_permute groups slots by expert, stable, and gathers rows", "[kernels]") {
  // slots (t * 2 + j): 0->e2, 1->e0, 2->e0, 3->e1, 4->e2, 5->e0
  const std::vector<int32_t> ids = {2, 0, 0, 1, 2, 0};          // (3, 2)
  const std::vector<float> x = {1, 2, -9, 3, 4, -9, 5, 6, -9};  // (3, 2), ld_x 3
  std::vector<int32_t> off, p2s, s2p;
  std::vector<float> xp;
  ref_moe_permute(ids, x, permute_args(3, 2, 3, 2, 3), off, p2s, s2p, xp);
  CHECK(off == std::vector<int32_t>{0, 3, 4, 6});
  CHECK(p2s == std::vector<int32_t>{1, 2, 5, 3, 0, 4});
  CHECK(s2p == std::vector<int32_t>{4, 0, 1, 3, 5, 2});
  // rows: slot 1 (t0), 2 (t1), 5 (t2), 3 (t1), 0 (t0), 4 (t2)
  CHECK(xp == std::vector<float>{1, 2, 3, 4, 5, 6, 3, 4, 1, 2, 5, 6});
}

TEST_CASE("ref_moe_permute drops out-of-range ids and counts only placed slots", "[kernels]") {
  const std::vector<int32_t> ids = {1, -1, 4, 0};  // (2, 2), n_experts 2
  const std::vector<float> x = {7, 8};             // (2, 1)
  std::vector<int32_t> off, p2s, s2p;
  std::vector<float> xp;
  ref_moe_permute(ids, x, permute_args(2, 2, 2, 1, 1), off, p2s, s2p, xp);
  CHECK(off == std::vector<int32_t>{0, 1, 2});
  CHECK(s2p == std::vector<int32_t>{1, -1, -1, 0});
  CHECK(p2s[0] == 3);
  CHECK(p2s[1] == 0);
  CHECK(xp[0] == 8.0f);
  CHECK(xp[1] == 7.0f);
  CHECK_THROWS_AS(ref_moe_permute({1, 0}, x, permute_args(2, 2, 2, 1, 1), off, p2s, s2p, xp),
                  std::invalid_argument);
}

TEST_CASE("ref_moe_combine sums weighted expert rows in slot order, rounding once", "[kernels]") {
  // 2 tokens, top_k 2, hidden 2; token 0's slots live at perm rows 2 and 0, token 1's at 1 and -1.
  const std::vector<float> y = {1, 2, 3, 4, 5, 6};  // (3 used of 4 perm rows, 2)
  std::vector<float> y_perm = y;
  y_perm.resize(8, 0.0f);
  const std::vector<int32_t> s2p = {2, 0, 1, -1};
  const std::vector<float> w = {0.5f, 0.25f, 2.0f, 100.0f};  // (2, 2)
  MoeCombineArgs a;
  a.n_tokens = 2;
  a.top_k = 2;
  a.hidden = 2;
  a.ld_out = 3;
  std::vector<float> out = {10, 20, -1, 30, 40, -1};  // (2, 2), ld_out 3
  ref_moe_combine(y_perm, s2p, w, a, out);
  // t0: 0.5 * (5, 6) + 0.25 * (1, 2); t1: 2 * (3, 4); the padding column is untouched.
  CHECK(out == std::vector<float>{2.75f, 3.5f, -1, 6, 8, -1});
  a.accumulate = true;
  out = {10, 20, -1, 30, 40, -1};
  ref_moe_combine(y_perm, s2p, w, a, out);
  CHECK(out == std::vector<float>{12.75f, 23.5f, -1, 36, 48, -1});
  // One bf16 rounding at the end: 1 + 2^-8 + 2^-8 = 1 + 2^-7 is exact in bf16 (8 significant
  // bits); rounding after each term would lose both (1 + 2^-8 ties to even, 1).
  const std::vector<float> y1 = {1.0f, 1.0f, 1.0f};
  const std::vector<float> w1 = {1.0f, 0x1.0p-8f, 0x1.0p-8f};
  MoeCombineArgs b;
  b.n_tokens = 1;
  b.top_k = 3;
  b.hidden = 1;
  b.ld_out = 1;
  std::vector<float> o1;
  ref_moe_combine(y1, {0, 1, 2}, w1, b, o1);
  CHECK(o1[0] == 1.0f + 0x1.0p-7f);
}

}  // namespace
}  // namespace moebench
