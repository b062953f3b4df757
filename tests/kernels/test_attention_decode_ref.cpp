// CPU-only tests of ref_decode_attention against hand-computed softmax averages: the paged layout
// walk (shuffled pages), the GQA head -> kv head mapping, MLA's shared cache, empty sequences and
// its argument checks.
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "kernels/attention.h"
#include "tests/catch.h"

namespace moebench {
namespace {

DecodeAttentionArgs decode_args(int n_seqs, int n_heads, int n_kv_heads, int dk, int dv,
                                int page_size, int max_pages_per_seq) {
  DecodeAttentionArgs a;
  a.n_seqs = n_seqs;
  a.n_heads = n_heads;
  a.n_kv_heads = n_kv_heads;
  a.dk = dk;
  a.dv = dv;
  a.page_size = page_size;
  a.max_pages_per_seq = max_pages_per_seq;
  a.q_stride = int64_t{n_heads} * dk;
  a.out_stride = int64_t{n_heads} * dv;
  a.k_token_stride = int64_t{n_kv_heads} * dk;
  a.v_token_stride = int64_t{n_kv_heads} * dv;
  a.max_seq_len = page_size * max_pages_per_seq;
  a.scale = 1.0f;
  return a;
}

TEST_CASE("ref_decode_attention weights values by softmax of scaled scores", "[decode]") {
  // One seq, one head, dk = dv = 8, two keys on shuffled pages of size 1: scores 0 and ln 3 give
  // weights 1/4 and 3/4, so out = 4/4 + 3 * 8/4 = 7 in dim 0 and 1/4 * 2 + 3/4 * 6 = 5 in dim 1.
  DecodeAttentionArgs a = decode_args(1, 1, 1, 8, 8, 1, 2);
  a.scale = std::log(3.0f);
  std::vector<float> q(8, 0.0f), k(3 * 8, 0.0f), v(3 * 8, 0.0f);
  q[0] = 1.0f;
  // position 0 -> page 2, position 1 -> page 0; page 1 holds junk that must not be read
  k[2 * 8 + 0] = 0.0f;
  v[2 * 8 + 0] = 4.0f;
  v[2 * 8 + 1] = 2.0f;
  k[0 * 8 + 0] = 1.0f;
  v[0 * 8 + 0] = 8.0f;
  v[0 * 8 + 1] = 6.0f;
  k[1 * 8 + 0] = 100.0f;
  v[1 * 8 + 0] = -1000.0f;
  std::vector<float> out;
  ref_decode_attention(a, q, k, v, {2, 0}, {2}, out);
  REQUIRE(out.size() == 8);
  CHECK(out[0] == 7.0f);
  CHECK(out[1] == 5.0f);
  for (int d = 2; d < 8; ++d) CHECK(out[d] == 0.0f);
}

TEST_CASE("ref_decode_attention maps head h to kv head h / group and reads MLA's shared row",
          "[decode]") {
  SECTION("GQA: 4 heads over 2 kv heads, one key each returns its kv head's v") {
    DecodeAttentionArgs a = decode_args(1, 4, 2, 8, 8, 4, 1);
    std::vector<float> q(4 * 8, 0.5f), k(4 * 16, 0.25f), v(4 * 16, 0.0f);
    for (int d = 0; d < 8; ++d) {
      v[3 * 16 + d] = 1.0f + d;       // row 3, kv head 0
      v[3 * 16 + 8 + d] = -2.0f - d;  // row 3, kv head 1
    }
    std::vector<float> out;
    ref_decode_attention(a, q, k, v, {0}, {4}, out);  // positions 0..3 = rows 0..3; only 3 differs
    // rows 0..2 have v = 0 and the same score as row 3, so each head averages to v[3] / 4
    for (int h = 0; h < 4; ++h) {
      for (int d = 0; d < 8; ++d) {
        const float want = h < 2 ? (1.0f + d) / 4.0f : (-2.0f - d) / 4.0f;
        CHECK(out[h * 8 + d] == want);
      }
    }
  }
  SECTION("MLA: V is the first dv values of the K row, k_cache == v_cache") {
    DecodeAttentionArgs a = decode_args(1, 2, 1, 16, 8, 2, 1);
    a.v_token_stride = 16;
    std::vector<float> q(2 * 16, 0.0f), cache(2 * 16, 0.0f);
    for (int i = 0; i < 16; ++i) cache[16 + i] = static_cast<float>(i);  // row 1
    q[8] = 1.0f;       // head 0 scores row 1 at 8 (rope part) vs row 0 at 0
    a.scale = 100.0f;  // weight of row 0 is e^-800: out = row 1's first 8 values
    std::vector<float> out;
    ref_decode_attention(a, q, cache, cache, {0}, {2}, out);
    for (int d = 0; d < 8; ++d) {
      CHECK(out[d] == static_cast<float>(d));          // head 0
      CHECK(out[8 + d] == static_cast<float>(d) / 2);  // head 1: q = 0, equal weights
    }
  }
}

TEST_CASE("ref_decode_attention gives zero rows to empty sequences and keeps padding", "[decode]") {
  DecodeAttentionArgs a = decode_args(2, 1, 1, 8, 8, 16, 1);
  a.out_stride = 12;
  std::vector<float> q(2 * 8, 1.0f), k(16 * 8, 1.0f), v(16 * 8, 3.0f);
  std::vector<float> out;
  ref_decode_attention(a, q, k, v, {0, 0}, {0, 5}, out);
  REQUIRE(out.size() == 24);
  for (int i = 0; i < 12; ++i) CHECK(out[i] == 0.0f);
  for (int d = 0; d < 8; ++d) CHECK(out[12 + d] == 3.0f);
  for (int i = 20; i < 24; ++i) CHECK(out[i] == 0.0f);
}

TEST_CASE("ref_decode_attention rejects bad shapes and pages outside the cache", "[decode]") {
  DecodeAttentionArgs a = decode_args(1, 2, 1, 8, 8, 4, 2);
  const std::vector<float> q(16, 1.0f), k(8 * 8, 1.0f), v(8 * 8, 1.0f);
  std::vector<float> out;
  CHECK_NOTHROW(ref_decode_attention(a, q, k, v, {1, 0}, {8}, out));
  CHECK_THROWS_AS(ref_decode_attention(a, q, k, v, {2, 0}, {3}, out), std::invalid_argument);
  CHECK_THROWS_AS(ref_decode_attention(a, q, k, v, {1, 0}, {9}, out), std::invalid_argument);
  CHECK_THROWS_AS(ref_decode_attention(a, q, k, v, {1}, {3}, out), std::invalid_argument);
  a.n_kv_heads = 3;
  CHECK_THROWS_AS(ref_decode_attention(a, q, k, v, {1, 0}, {3}, out), std::invalid_argument);
}

}  // namespace
}  // namespace moebench
