// CPU reference of cuda_prefill_attention: per sequence and head, double-precision softmax
// attention over the (causally masked) keys, bf16 output.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "kernels/attention.h"

namespace moebench {

void ref_prefill_attention(const PrefillAttentionArgs& a, const std::vector<float>& q,
                           const std::vector<float>& k, const std::vector<float>& v,
                           const std::vector<int32_t>& cu_q, const std::vector<int32_t>& cu_k,
                           std::vector<float>& out) {
  const int64_t qhs = a.q_head_stride ? a.q_head_stride : a.dk;
  const int64_t khs = a.k_head_stride ? a.k_head_stride : a.dk;
  const int64_t vhs = a.v_head_stride ? a.v_head_stride : a.dv;
  const int64_t ohs = a.out_head_stride ? a.out_head_stride : a.dv;
  const int group = a.n_heads / a.n_kv_heads;
  out.assign(static_cast<size_t>(cu_q[a.n_seqs]) * a.out_stride, 0.0f);
  std::vector<double> p, acc(a.dv);
  for (int s = 0; s < a.n_seqs; ++s) {
    const int64_t q0 = cu_q[s], len_q = cu_q[s + 1] - q0;
    const int64_t k0 = cu_k[s], len_k = cu_k[s + 1] - k0;
    for (int h = 0; h < a.n_heads; ++h) {
      const int kvh = h / group;
      for (int64_t i = 0; i < len_q; ++i) {
        const float* qr = q.data() + (q0 + i) * a.q_stride + h * qhs;
        const int64_t n_keys = a.causal ? std::min(len_k, len_k - len_q + i + 1) : len_k;
        p.assign(n_keys, 0.0);
        double mx = -INFINITY;
        for (int64_t j = 0; j < n_keys; ++j) {
          const float* kr = k.data() + (k0 + j) * a.k_stride + kvh * khs;
          double dot = 0.0;
          for (int d = 0; d < a.dk; ++d) dot += static_cast<double>(qr[d]) * kr[d];
          p[j] = dot * a.scale;
          mx = std::max(mx, p[j]);
        }
        double sum = 0.0;
        for (double& x : p) sum += x = std::exp(x - mx);
        std::fill(acc.begin(), acc.end(), 0.0);
        for (int64_t j = 0; j < n_keys; ++j) {
          const float* vr = v.data() + (k0 + j) * a.v_stride + kvh * vhs;
          for (int d = 0; d < a.dv; ++d) acc[d] += p[j] * vr[d];
        }
        float* orow = out.data() + (q0 + i) * a.out_stride + h * ohs;
        for (int d = 0; d < a.dv; ++d) orow[d] = bf16_round(static_cast<float>(acc[d] / sum));
      }
    }
  }
}

}  // namespace moebench
