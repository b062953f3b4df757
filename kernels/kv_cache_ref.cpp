// CPU references of the paged KV cache kernels: cuda_kv_append, cuda_kv_gather and
// cuda_mla_assemble_k (plain copies, so the GPU must match them exactly).
#include <cstdint>
#include <vector>

#include "kernels/attention.h"

namespace moebench {

void ref_kv_append(const std::vector<float>& src, int64_t src_stride, int64_t n_tokens,
                   int64_t row_dim, const std::vector<int32_t>& slot_mapping,
                   std::vector<float>& cache, int64_t token_stride) {
  for (int64_t t = 0; t < n_tokens; ++t) {
    const int64_t row = slot_mapping[t];
    if (row < 0) continue;
    for (int64_t i = 0; i < row_dim; ++i) cache[row * token_stride + i] = src[t * src_stride + i];
  }
}

void ref_kv_gather(const std::vector<float>& cache, int64_t token_stride, int64_t row_dim,
                   int page_size, const std::vector<int32_t>& block_table, int max_pages_per_seq,
                   const std::vector<int32_t>& seq_lens, const std::vector<int32_t>& cu_seqlens,
                   std::vector<float>& out, int64_t out_stride) {
  for (size_t s = 0; s < seq_lens.size(); ++s) {
    for (int64_t pos = 0; pos < seq_lens[s]; ++pos) {
      const int64_t logical = pos / page_size;
      if (logical >= max_pages_per_seq) break;
      const int64_t page = block_table[s * max_pages_per_seq + logical];
      const int64_t row = page * page_size + pos % page_size;
      const int64_t dst = (cu_seqlens[s] + pos) * out_stride;
      for (int64_t i = 0; i < row_dim; ++i) out[dst + i] = cache[row * token_stride + i];
    }
  }
}

void ref_mla_assemble_k(const std::vector<float>& kv, int64_t n, int heads, int nope, int v,
                        const std::vector<float>& k_pe, int64_t k_pe_stride, int rope,
                        std::vector<float>& k) {
  const int64_t dk = nope + rope;
  k.resize(n * heads * dk);  // (n, heads, nope + rope)
  for (int64_t t = 0; t < n; ++t) {
    for (int64_t h = 0; h < heads; ++h) {
      float* dst = k.data() + (t * heads + h) * dk;
      const float* src = kv.data() + (t * heads + h) * (nope + v);
      for (int i = 0; i < nope; ++i) dst[i] = src[i];
      for (int i = 0; i < rope; ++i) dst[nope + i] = k_pe[t * k_pe_stride + i];
    }
  }
}

}  // namespace moebench
