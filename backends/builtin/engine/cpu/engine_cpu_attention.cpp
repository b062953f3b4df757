// Attention of the CPU engine: standard causal GQA (qwen2_moe/qwen3_moe/mixtral/olmoe) and
// DeepSeek MLA, both over a per-sequence cache of post-rope keys and values.
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "backends/builtin/engine/cpu/engine_cpu_layers.h"

namespace moebench {

namespace {

// NOTE: HF builds q_a_layernorm and kv_a_layernorm with the RMSNorm default eps (1e-6), not
// config.rms_norm_eps.
constexpr double kMlaNormEps = 1e-6;
constexpr int kQueryBlock = 64;  // query rows per scores block: bounds scratch to 64 x cache_len

// New keys/values of the batch in cache layout.
struct NewKV {
  std::vector<float> q;  // (rows, n_heads, k_dim)
  std::vector<float> k;  // (rows, n_kv, k_dim)
  std::vector<float> v;  // (rows, n_kv, v_dim)
};

void rope_rows(const AttnBatch& b, int rope_dim, float* x, int row_stride, int n_heads,
               int head_stride, RopePairing style) {
  const int half = rope_dim / 2;
  for (int r = 0; r < b.rows; ++r) {
    rope_apply(x + static_cast<int64_t>(r) * row_stride, n_heads, head_stride, rope_dim,
               b.cos + static_cast<int64_t>(r) * half, b.sin + static_cast<int64_t>(r) * half,
               style);
  }
}

// q/k/v projections with optional biases, q/k norms and rope (standard attention).
NewKV project_standard(const ModelConfig& c, const AttnDims& d, const AttnWeights& w,
                       const AttnBatch& b, const float* x) {
  const int rows = b.rows, hd = d.k_dim;
  NewKV kv;
  kv.q.resize(static_cast<size_t>(rows) * d.n_heads * hd);
  kv.k.resize(static_cast<size_t>(rows) * d.n_kv * hd);
  kv.v.resize(static_cast<size_t>(rows) * d.n_kv * d.v_dim);
  ops_linear(x, rows, w.q, kv.q.data());
  ops_linear(x, rows, w.k, kv.k.data());
  ops_linear(x, rows, w.v, kv.v.data());
  if (c.qk_norm == ModelConfig::QkNorm::per_head) {  // qwen3_moe: over head_dim, before rope
    ops_rmsnorm(kv.q.data(), static_cast<int64_t>(rows) * d.n_heads, hd, w.q_norm, c.rms_norm_eps,
                kv.q.data());
    ops_rmsnorm(kv.k.data(), static_cast<int64_t>(rows) * d.n_kv, hd, w.k_norm, c.rms_norm_eps,
                kv.k.data());
  } else if (c.qk_norm == ModelConfig::QkNorm::full) {  // olmoe: over the whole projection
    ops_rmsnorm(kv.q.data(), rows, d.n_heads * hd, w.q_norm, c.rms_norm_eps, kv.q.data());
    ops_rmsnorm(kv.k.data(), rows, d.n_kv * hd, w.k_norm, c.rms_norm_eps, kv.k.data());
  }
  rope_rows(b, c.rope_dim(), kv.q.data(), d.n_heads * hd, d.n_heads, hd, d.rope_style);
  rope_rows(b, c.rope_dim(), kv.k.data(), d.n_kv * hd, d.n_kv, hd, d.rope_style);
  return kv;
}

// MLA: q (or q_a -> norm -> q_b), kv_a -> (latent -> norm -> kv_b, shared rope key), expanded
// to per-head k = [k_nope, k_rope] and v.
// NOTE: the cache holds the expanded per-head k and v, like HF's eager path after expand_kv:
// simple and obviously right. The absorbed form (cache only the normed latent + rope key,
// kv_lora + rope values per token; fold kv_b into q and the output) is a later optimization.
NewKV project_mla(const ModelConfig& c, const AttnDims& d, const AttnWeights& w, const AttnBatch& b,
                  const float* x) {
  const int rows = b.rows, nh = d.n_heads, dk = d.k_dim, dv = d.v_dim;
  const int nope = c.qk_nope_head_dim, rope = c.qk_rope_head_dim, lora = c.kv_lora_rank;
  NewKV kv;
  kv.q.resize(static_cast<size_t>(rows) * nh * dk);
  if (c.q_lora_rank > 0) {
    std::vector<float> qa(static_cast<size_t>(rows) * c.q_lora_rank);  // (rows, q_lora)
    ops_linear(x, rows, w.q_a, qa.data());
    ops_rmsnorm(qa.data(), rows, c.q_lora_rank, w.q_a_norm, kMlaNormEps, qa.data());
    ops_linear(qa.data(), rows, w.q_b, kv.q.data());
  } else {
    ops_linear(x, rows, w.q, kv.q.data());
  }
  std::vector<float> kva(static_cast<size_t>(rows) * (lora + rope));  // (rows, lora + rope)
  ops_linear(x, rows, w.kv_a, kva.data());
  std::vector<float> latent(static_cast<size_t>(rows) * lora);  // (rows, lora)
  for (int r = 0; r < rows; ++r) {
    ops_rmsnorm(kva.data() + static_cast<int64_t>(r) * (lora + rope), 1, lora, w.kv_a_norm,
                kMlaNormEps, latent.data() + static_cast<int64_t>(r) * lora);
  }
  std::vector<float> kvb(static_cast<size_t>(rows) * nh * (nope + dv));  // (rows, nh, nope + dv)
  ops_linear(latent.data(), rows, w.kv_b, kvb.data());
  rope_rows(b, rope, kv.q.data() + nope, nh * dk, nh, dk, d.rope_style);
  rope_rows(b, rope, kva.data() + lora, lora + rope, 1, rope, d.rope_style);
  kv.k.resize(static_cast<size_t>(rows) * nh * dk);
  kv.v.resize(static_cast<size_t>(rows) * nh * dv);
  for (int r = 0; r < rows; ++r) {
    const float* k_rope = kva.data() + static_cast<int64_t>(r) * (lora + rope) + lora;
    for (int h = 0; h < nh; ++h) {
      const float* src = kvb.data() + (static_cast<int64_t>(r) * nh + h) * (nope + dv);
      float* kd = kv.k.data() + (static_cast<int64_t>(r) * nh + h) * dk;
      std::copy_n(src, nope, kd);
      std::copy_n(k_rope, rope, kd + nope);
      std::copy_n(src + nope, dv, kv.v.data() + (static_cast<int64_t>(r) * nh + h) * dv);
    }
  }
  return kv;
}

// Causal attention of one chunk's rows over its cache (which already holds them), all heads.
void attend_chunk(const AttnDims& d, const SeqCache& cache, int layer, int past, int n,
                  const float* q, float* out, std::vector<float>& scores) {
  const int group = d.n_heads / d.n_kv;
  const float* kc = cache.k[layer].data();  // (past + n, n_kv, k_dim)
  const float* vc = cache.v[layer].data();  // (past + n, n_kv, v_dim)
  for (int h = 0; h < d.n_heads; ++h) {
    const int g = h / group;  // HF repeat_kv: query head h reads kv head h / n_rep
    for (int i0 = 0; i0 < n; i0 += kQueryBlock) {
      const int nb = std::min(kQueryBlock, n - i0);
      const int cols = past + i0 + nb;                // keys visible to the block's last row
      scores.resize(static_cast<size_t>(nb) * cols);  // (nb, cols)
      const float* qb = q + static_cast<int64_t>(i0) * d.n_heads * d.k_dim + h * d.k_dim;
      ops_matmul_nt(nb, cols, d.k_dim, d.scale, qb, d.n_heads * d.k_dim, kc + g * d.k_dim,
                    d.n_kv * d.k_dim, 0.0f, scores.data(), cols);
      for (int i = 0; i < nb; ++i) {
        float* s = scores.data() + static_cast<int64_t>(i) * cols;
        const int visible = past + i0 + i + 1;
        ops_softmax(s, visible);
        std::fill(s + visible, s + cols, 0.0f);
      }
      float* ob = out + static_cast<int64_t>(i0) * d.n_heads * d.v_dim + h * d.v_dim;
      ops_matmul_nn(nb, d.v_dim, cols, 1.0f, scores.data(), cols, vc + g * d.v_dim,
                    d.n_kv * d.v_dim, 0.0f, ob, d.n_heads * d.v_dim);
    }
  }
}

}  // namespace

void attention_forward(const ModelConfig& c, const AttnDims& d, const AttnWeights& w, int layer,
                       const AttnBatch& b, const float* x, float* out) {
  NewKV kv = c.mla ? project_mla(c, d, w, b, x) : project_standard(c, d, w, b, x);
  const int64_t k_row = static_cast<int64_t>(d.n_kv) * d.k_dim;
  const int64_t v_row = static_cast<int64_t>(d.n_kv) * d.v_dim;
  std::vector<float> attn(static_cast<size_t>(b.rows) * d.n_heads * d.v_dim);  // (rows, nh, dv)
  std::vector<float> scores;
  for (size_t ci = 0; ci < b.caches.size(); ++ci) {
    SeqCache& cache = *b.caches[ci];
    const int past = cache.len, n = b.count[ci], r0 = b.start[ci];
    // Resize from the committed length, so a failed earlier forward leaves no stale rows.
    std::vector<float>& kc = cache.k[layer];
    std::vector<float>& vc = cache.v[layer];
    kc.resize(static_cast<size_t>((past + n) * k_row));
    vc.resize(static_cast<size_t>((past + n) * v_row));
    std::copy_n(kv.k.data() + r0 * k_row, n * k_row, kc.data() + past * k_row);
    std::copy_n(kv.v.data() + r0 * v_row, n * v_row, vc.data() + past * v_row);
    attend_chunk(d, cache, layer, past, n,
                 kv.q.data() + static_cast<int64_t>(r0) * d.n_heads * d.k_dim,
                 attn.data() + static_cast<int64_t>(r0) * d.n_heads * d.v_dim, scores);
  }
  ops_linear(attn.data(), b.rows, w.o, out);
}

}  // namespace moebench
