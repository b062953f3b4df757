// CPU-only tests of ref_prefill_attention against hand-computed attention: a single key, equal
// scores averaging, the causal offset of a cached prefix, GQA head mapping and head strides.
#include <cmath>
#include <cstdint>
#include <vector>

#include "kernels/attention.h"
#include "tests/catch.h"

namespace moebench {
namespace {

PrefillAttentionArgs packed_args(int n_seqs, int n_heads, int n_kv_heads, int dk, int dv,
                                 bool causal) {
  PrefillAttentionArgs a;
  a.n_seqs = n_seqs;
  a.n_heads = n_heads;
  a.n_kv_heads = n_kv_heads;
  a.dk = dk;
  a.dv = dv;
  a.q_stride = n_heads * dk;
  a.k_stride = n_kv_heads * dk;
  a.v_stride = n_kv_heads * dv;
  a.out_stride = n_heads * dv;
  a.scale = 1.0f;
  a.causal = causal;
  return a;
}

TEST_CASE("ref_prefill_attention with one key returns that key's value") {
  const PrefillAttentionArgs a = packed_args(1, 1, 1, 2, 2, true);
  std::vector<float> out;
  ref_prefill_attention(a, {1.0f, -3.0f}, {0.5f, 2.0f}, {1.5f, -0.25f}, {0, 1}, {0, 1}, out);
  REQUIRE(out == std::vector<float>{1.5f, -0.25f});
}

TEST_CASE("ref_prefill_attention averages values of equal scores and weighs by softmax") {
  // One query, two keys: scores 0 and ln(3) (scale 1), so weights 1/4 and 3/4.
  PrefillAttentionArgs a = packed_args(1, 1, 1, 1, 1, false);
  const float ln3 = static_cast<float>(std::log(3.0));
  std::vector<float> out;
  ref_prefill_attention(a, {1.0f}, {0.0f, ln3}, {4.0f, 8.0f}, {0, 1}, {0, 2}, out);
  REQUIRE(out.size() == 1);
  CHECK(out[0] == bf16_round(0.25f * 4.0f + 0.75f * 8.0f));
  // Equal scores: the plain mean.
  ref_prefill_attention(a, {0.0f}, {1.0f, -1.0f}, {2.0f, 6.0f}, {0, 1}, {0, 2}, out);
  CHECK(out[0] == 4.0f);
}

TEST_CASE("ref_prefill_attention causal mask sits after the cached prefix") {
  // len_k 3, len_q 2: query 0 sees keys 0..1, query 1 sees keys 0..2. All scores equal (q = 0).
  const PrefillAttentionArgs a = packed_args(1, 1, 1, 1, 1, true);
  std::vector<float> out;
  ref_prefill_attention(a, {0.0f, 0.0f}, {1.0f, 2.0f, 3.0f}, {3.0f, 5.0f, 10.0f}, {0, 2}, {0, 3},
                        out);
  CHECK(out == std::vector<float>{4.0f, 6.0f});
  // Not causal: both see all three keys.
  PrefillAttentionArgs b = a;
  b.causal = false;
  ref_prefill_attention(b, {0.0f, 0.0f}, {1.0f, 2.0f, 3.0f}, {3.0f, 5.0f, 10.0f}, {0, 2}, {0, 3},
                        out);
  CHECK(out == std::vector<float>{6.0f, 6.0f});
}

TEST_CASE("ref_prefill_attention maps query heads to kv heads by group and keeps sequences apart") {
  // Two sequences of one token each; 4 query heads, 2 kv heads (group 2): heads 0-1 read kv head 0,
  // heads 2-3 kv head 1. One key per sequence, so out = that key's value for the kv head.
  const PrefillAttentionArgs a = packed_args(2, 4, 2, 1, 1, true);
  const std::vector<float> q(2 * 4, 1.0f), k(2 * 2, 1.0f);
  const std::vector<float> v = {10.0f, 20.0f, 30.0f, 40.0f};  // (2 tokens, 2 kv heads, 1)
  std::vector<float> out;
  ref_prefill_attention(a, q, k, v, {0, 1, 2}, {0, 1, 2}, out);
  CHECK(out == std::vector<float>{10.0f, 10.0f, 20.0f, 20.0f, 30.0f, 30.0f, 40.0f, 40.0f});
}

TEST_CASE("ref_prefill_attention honours head strides and leaves padding at 0") {
  // v read in place from an MLA-style kv (1 token, 2 heads, nope 1 + v 1): v = kv + 1, head
  // stride 2; out rows padded to 4 with head stride 2.
  PrefillAttentionArgs a = packed_args(1, 2, 2, 1, 1, true);
  a.v_head_stride = 2;
  a.v_stride = 4;
  a.out_head_stride = 2;
  a.out_stride = 4;
  const std::vector<float> kv = {9.0f, 1.5f, 9.0f, 2.5f};
  const std::vector<float> v(kv.begin() + 1, kv.end());
  std::vector<float> out;
  ref_prefill_attention(a, {1.0f, 1.0f}, {1.0f, 1.0f}, v, {0, 1}, {0, 1}, out);
  CHECK(out == std::vector<float>{1.5f, 0.0f, 2.5f, 0.0f});
}

}  // namespace
}  // namespace moebench
