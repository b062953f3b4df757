// CPU reference of cuda_decode_attention: for each sequence and head a plain double-precision
// softmax over the keys found by walking the block table, bf16-rounded outputs.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernels/attention.h"
#include "kernels/launch_check.h"

namespace moebench {
namespace {

constexpr const char* kFn = "ref_decode_attention";

void ref_decode_check(const DecodeAttentionArgs& a, const std::vector<float>& q,
                      const std::vector<int32_t>& block_table,
                      const std::vector<int32_t>& seq_lens) {
  launch_require(a.n_seqs >= 0, kFn, "n_seqs must be >= 0, got ", a.n_seqs);
  launch_require(a.n_heads > 0 && a.n_kv_heads > 0 && a.n_heads % a.n_kv_heads == 0, kFn,
                 "n_heads (", a.n_heads, ") must be a positive multiple of n_kv_heads (",
                 a.n_kv_heads, ")");
  launch_require(a.dk > 0 && a.dv > 0, kFn, "dk and dv must be > 0, got ", a.dk, ", ", a.dv);
  launch_require(a.page_size > 0 && a.max_pages_per_seq > 0, kFn,
                 "page_size and max_pages_per_seq must be > 0, got ", a.page_size, ", ",
                 a.max_pages_per_seq);
  launch_require(a.q_stride >= int64_t{a.n_heads} * a.dk, kFn, "q_stride ", a.q_stride,
                 " < n_heads * dk");
  launch_require(a.out_stride >= int64_t{a.n_heads} * a.dv, kFn, "out_stride ", a.out_stride,
                 " < n_heads * dv");
  launch_require(a.k_token_stride >= int64_t{a.n_kv_heads} * a.dk, kFn, "k_token_stride ",
                 a.k_token_stride, " < n_kv_heads * dk");
  launch_require(a.v_token_stride >= int64_t{a.n_kv_heads} * a.dv, kFn, "v_token_stride ",
                 a.v_token_stride, " < n_kv_heads * dv");
  launch_require(q.size() >= static_cast<size_t>(a.n_seqs) * a.q_stride, kFn, "q has ", q.size(),
                 " values, want n_seqs * q_stride");
  launch_require(block_table.size() == static_cast<size_t>(a.n_seqs) * a.max_pages_per_seq, kFn,
                 "block_table has ", block_table.size(), " entries, want n_seqs * ",
                 "max_pages_per_seq");
  launch_require(seq_lens.size() == static_cast<size_t>(a.n_seqs), kFn, "seq_lens has ",
                 seq_lens.size(), " entries, want n_seqs ", a.n_seqs);
}

// Row of cache position pos of sequence s; throws when the page is outside a cache of n_rows.
int64_t ref_decode_row(const DecodeAttentionArgs& a, const std::vector<int32_t>& block_table, int s,
                       int pos, int64_t n_rows) {
  const int32_t page =
      block_table[static_cast<size_t>(s) * a.max_pages_per_seq + pos / a.page_size];
  const int64_t row = int64_t{page} * a.page_size + pos % a.page_size;
  launch_require(page >= 0 && row < n_rows, kFn, "block_table[", s, "][", pos / a.page_size,
                 "] = ", page, " is outside the caches (", n_rows, " rows)");
  return row;
}

}  // namespace

void ref_decode_attention(const DecodeAttentionArgs& a, const std::vector<float>& q,
                          const std::vector<float>& k_cache, const std::vector<float>& v_cache,
                          const std::vector<int32_t>& block_table,
                          const std::vector<int32_t>& seq_lens, std::vector<float>& out) {
  ref_decode_check(a, q, block_table, seq_lens);
  const int64_t n_rows = std::min(static_cast<int64_t>(k_cache.size()) / a.k_token_stride,
                                  static_cast<int64_t>(v_cache.size()) / a.v_token_stride);
  const int group = a.n_heads / a.n_kv_heads;
  out.assign(static_cast<size_t>(a.n_seqs) * a.out_stride, 0.0f);  // (n_seqs, out_stride)
  for (int s = 0; s < a.n_seqs; ++s) {
    const int len = seq_lens[s];
    launch_require(len >= 0 && len <= a.max_pages_per_seq * a.page_size, kFn, "seq_lens[", s,
                   "] = ", len, " is outside [0, max_pages_per_seq * page_size]");
    std::vector<int64_t> rows(len);
    for (int pos = 0; pos < len; ++pos) rows[pos] = ref_decode_row(a, block_table, s, pos, n_rows);
    for (int h = 0; h < a.n_heads; ++h) {
      const int kvh = h / group;
      const float* qh = q.data() + s * a.q_stride + int64_t{h} * a.dk;
      std::vector<double> score(len);
      double max_score = -INFINITY;
      for (int pos = 0; pos < len; ++pos) {
        const float* k = k_cache.data() + rows[pos] * a.k_token_stride + int64_t{kvh} * a.dk;
        double dot = 0.0;
        for (int i = 0; i < a.dk; ++i) dot += static_cast<double>(qh[i]) * k[i];
        score[pos] = dot * a.scale;
        max_score = std::max(max_score, score[pos]);
      }
      double sum = 0.0;
      for (double& x : score) sum += x = std::exp(x - max_score);
      float* o = out.data() + s * a.out_stride + int64_t{h} * a.dv;
      for (int d = 0; d < a.dv && len > 0; ++d) {
        double acc = 0.0;
        for (int pos = 0; pos < len; ++pos) {
          acc += score[pos] * v_cache[rows[pos] * a.v_token_stride + int64_t{kvh} * a.dv + d];
        }
        o[d] = bf16_round(static_cast<float>(acc / sum));
      }
    }
  }
}

}  // namespace moebench
