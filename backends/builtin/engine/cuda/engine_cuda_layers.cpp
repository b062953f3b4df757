// The CUDA engine's forward body: embedding, every layer (GQA or MLA attention over the paged
// cache, dense SwiGLU or routed MoE (engine_cuda_moe.cpp)) and the final norm, launched on one
// stream. The same launches run eagerly or under CUDA graph capture (decode steps).
#ifdef MOEBENCH_HAVE_CUDA

#include <cuda_runtime_api.h>

#include "backends/builtin/engine/cuda/engine_cuda_body.h"
#include "kernels/attention.h"
#include "kernels/cuda_check.h"
#include "kernels/engine_glue.h"
#include "kernels/mla_prepare.h"
#include "kernels/moe_permute.h"
#include "kernels/ops.h"

namespace moebench {

namespace {

// NOTE: HF builds q_a_layernorm and kv_a_layernorm with the RMSNorm default eps (1e-6).
constexpr float kMlaNormEps = 1e-6f;

// y (rows, l.out) = x (rows, l.in) · wᵀ (+ b), row strides ld_x / ld_y. a_swiglu: x's rows are
// [gate | up] (2 l.in wide) and the product reads silu(gate) * up (the skinny kernel only).
void linear(const BodyContext& b, const bf16_bits* x, int64_t ld_x, int64_t rows,
            const DevLinear& l, bf16_bits* y, int64_t ld_y, bool a_swiglu = false) {
  if (rows == 0) return;
  GemmArgs g;
  g.a_swiglu = a_swiglu;
  g.a = x;
  g.lda = ld_x;
  g.b = l.w;
  g.ldb = l.in;
  g.c = y;
  g.ldc = ld_y;
  g.m = rows;
  g.n = l.out;
  g.k = l.in;
  cuda_gemm(b.blas, g, b.stream);
  if (l.b != nullptr) cuda_bias_add(y, ld_y, rows, l.out, l.b, b.stream);
}

}  // namespace

// f32 output (router and gate logits). With x_lo, the input is x + x_lo (an f32 input carried as
// two bf16: one pass in the skinny kernel, two GEMMs in cuBLAS).
GemmArgs linear_f32_args(const bf16_bits* x, int64_t rows, const DevLinear& l, float* y,
                         const bf16_bits* x_lo) {
  GemmArgs g;
  g.a = x;
  g.a_lo = x_lo;
  g.lda = l.in;
  g.b = l.w;
  g.ldb = l.in;
  g.c = y;
  g.ldc = l.out;
  g.c_f32 = true;
  g.m = rows;
  g.n = l.out;
  g.k = l.in;
  return g;
}

void linear_f32(const BodyContext& b, const bf16_bits* x, int64_t rows, const DevLinear& l,
                float* y, const bf16_bits* x_lo) {
  cuda_gemm(b.blas, linear_f32_args(x, rows, l, y, x_lo), b.stream);
}

namespace {

void rope(const BodyContext& b, const StepView& s, bf16_bits* x, int64_t token_stride, int heads,
          int head_stride, int rot_offset) {
  RopeArgs r;
  r.x = x;
  r.positions = s.positions;
  r.inv_freq = b.inv_freq;
  r.n_tokens = s.rows;
  r.token_stride = token_stride;
  r.n_heads = heads;
  r.head_stride = head_stride;
  r.rot_offset = rot_offset;
  r.dim = b.config.rope_dim();
  r.attention_factor = b.attention_factor;
  r.pairing = b.pairing;
  cuda_rope_apply(r, b.stream);
}

// Decode rows [0, n_decode): one query per sequence over its pages.
void decode_attention(const BodyContext& b, const StepView& s, const bf16_bits* q, int64_t q_stride,
                      int layer, int n_kv, int dk, int dv, bf16_bits* out, int64_t out_stride) {
  if (s.n_decode == 0) return;
  DecodeAttentionArgs a;
  a.q = q;
  a.q_stride = q_stride;
  a.k_cache = b.kv.k(layer);
  a.k_token_stride = b.kv.k_row;
  a.v_cache = b.kv.v(layer);
  a.v_token_stride = b.kv.v_row;
  a.block_table = s.block_table;
  a.max_pages_per_seq = s.table_width;
  a.seq_lens = s.seq_lens;
  a.page_size = b.kv.page_size;
  a.n_seqs = s.n_decode;
  a.n_heads = b.config.num_heads;
  a.n_kv_heads = n_kv;
  a.dk = dk;
  a.dv = dv;
  a.scale = b.scale;
  a.out = out;
  a.out_stride = out_stride;
  a.max_seq_len = s.table_width * b.kv.page_size;
  a.workspace = b.ws.decode_ws;
  a.workspace_bytes = b.ws.decode_ws_bytes;
  // Fused: the last partial block of each sequence and head block merges (no merge launch).
  if (b.fused) a.merge_counters = b.ws.decode_counters;
  // kernels=wgmma (another summation order): MLA's latent on tensor cores.
  a.tensor_cores = b.wgmma;
  cuda_decode_attention(a, b.stream);
}

// Gathers a prefill group's cached rows (row_dim values each) from a cache into dst.
void gather(const BodyContext& b, const StepView& s, const StepGroup& g, const bf16_bits* cache,
            int64_t token_stride, int64_t row_dim, bf16_bits* dst) {
  cuda_kv_gather(cache, token_stride, row_dim, b.kv.page_size,
                 s.block_table + static_cast<int64_t>(g.first_chunk) * s.table_width, s.table_width,
                 s.seq_lens + g.first_chunk, g.cu_k, g.n_chunks, g.keys, dst, row_dim, b.stream);
}

// v_head_stride 0 = packed heads (dv apart); k and v hold the group's g.keys rows.
// kernels=wgmma: the FlashAttention-3 kernel (TMA producer, warpgroup MMA, ping-pong).
void prefill_attention(const BodyContext& b, const StepGroup& g, const bf16_bits* q,
                       int64_t q_stride, const bf16_bits* k, int64_t k_stride, const bf16_bits* v,
                       int64_t v_stride, int64_t v_head_stride, int n_kv, int dk, int dv,
                       bf16_bits* out, int64_t out_stride) {
  PrefillAttentionArgs a;
  a.v_head_stride = v_head_stride;
  a.q = q + g.row0 * q_stride;
  a.k = k;
  a.v = v;
  a.out = out + g.row0 * out_stride;
  a.q_stride = q_stride;
  a.k_stride = k_stride;
  a.v_stride = v_stride;
  a.out_stride = out_stride;
  a.cu_q = g.cu_q;
  a.cu_k = g.cu_k;
  a.n_seqs = g.n_chunks;
  a.max_q = g.max_q;
  a.total_k = g.keys;
  a.n_heads = b.config.num_heads;
  a.n_kv_heads = n_kv;
  a.dk = dk;
  a.dv = dv;
  a.scale = b.scale;
  a.causal = true;
  if (b.wgmma) {
    cuda_prefill_attention_fa3(a, b.stream);
  } else {
    cuda_prefill_attention(a, b.stream);
  }
}

// Standard attention (qwen, mixtral, olmoe): h -> y.
void gqa_attention(const BodyContext& b, const StepView& s, int layer) {
  const ModelConfig& c = b.config;
  const DevLayer& L = b.model.layers[layer];
  const Workspace& ws = b.ws;
  const int nh = c.num_heads, nkv = c.num_kv_heads, hd = c.head_dim;
  const int64_t T = s.rows, ld = L.qkv.out, qd = int64_t{nh} * hd, kvd = int64_t{nkv} * hd;
  bf16_bits* q = ws.proj;
  bf16_bits* k = ws.proj + qd;
  bf16_bits* v = ws.proj + qd + kvd;
  linear(b, ws.h, c.hidden_size, T, L.qkv, ws.proj, ld);
  if (c.qk_norm == ModelConfig::QkNorm::per_head) {
    cuda_rmsnorm_strided(q, ld, L.q_norm, T, nh, hd, c.rms_norm_eps, q, ld, b.stream);
    cuda_rmsnorm_strided(k, ld, L.k_norm, T, nkv, hd, c.rms_norm_eps, k, ld, b.stream);
  } else if (c.qk_norm == ModelConfig::QkNorm::full) {
    cuda_rmsnorm_strided(q, ld, L.q_norm, T, 1, qd, c.rms_norm_eps, q, ld, b.stream);
    cuda_rmsnorm_strided(k, ld, L.k_norm, T, 1, kvd, c.rms_norm_eps, k, ld, b.stream);
  }
  rope(b, s, q, ld, nh, hd, 0);
  rope(b, s, k, ld, nkv, hd, 0);
  cuda_kv_append(k, ld, T, kvd, s.slots, b.kv.k(layer), b.kv.k_row, b.stream);
  cuda_kv_append(v, ld, T, kvd, s.slots, b.kv.v(layer), b.kv.v_row, b.stream);
  decode_attention(b, s, q, ld, layer, nkv, hd, hd, ws.attn, qd);
  for (const StepGroup& g : s.groups) {
    gather(b, s, g, b.kv.k(layer), b.kv.k_row, kvd, ws.gk);
    gather(b, s, g, b.kv.v(layer), b.kv.v_row, kvd, ws.gv);
    prefill_attention(b, g, q, ld, ws.gk, kvd, ws.gv, kvd, 0, nkv, hd, hd, ws.attn, qd);
  }
  linear(b, ws.attn, qd, T, L.o, ws.y, c.hidden_size);
}

// The per-head batched GEMM over kv_b's slices (absorbing kv_b into queries or outputs).
// kernels=wgmma: up to 4 rows on the skinny kernels (programmatically launched, no cuBLAS call in
// the decode step's chain; another summation order than cuBLAS, so not under fused).
GemmArgs per_head_args(const BodyContext& b, const bf16_bits* a, int64_t lda, int64_t stride_a,
                       const bf16_bits* w, bool w_transposed, int64_t rows, int64_t n, int64_t k,
                       bf16_bits* out, int64_t ldc, int64_t stride_c) {
  const ModelConfig& c = b.config;
  GemmArgs g;
  g.a = a;
  g.lda = lda;
  g.stride_a = stride_a;
  g.b = w;
  g.ldb = c.kv_lora_rank;
  g.b_transposed = w_transposed;
  g.stride_b = int64_t{c.qk_nope_head_dim + c.v_head_dim} * c.kv_lora_rank;
  g.c = out;
  g.ldc = ldc;
  g.stride_c = stride_c;
  g.m = rows;
  g.n = n;
  g.k = k;
  g.batch = c.num_heads;
  if (b.wgmma && rows <= kGemmSkinnyAutoMaxM) g.algo = GemmAlgo::skinny;
  return g;
}

// cuda_mla_prepare's args for a layer's step: the kv part when kv is set (the [latent | k_pe] rows
// to norm, rotate and append), the queries' part when q is set.
MlaPrepareArgs mla_prepare_args(const BodyContext& b, const StepView& s, int layer, bf16_bits* kv,
                                int64_t kv_stride, bf16_bits* q, int64_t q_stride) {
  const ModelConfig& c = b.config;
  const int lat = c.kv_lora_rank + c.qk_rope_head_dim;
  MlaPrepareArgs p;
  p.n_tokens = s.rows;
  p.eps = kMlaNormEps;
  p.kv = kv;
  p.kv_stride = kv_stride;
  p.kv_a_norm = b.model.layers[layer].kv_a_norm;
  p.lora = c.kv_lora_rank;
  p.slots = s.slots;
  p.cache = b.kv.k(layer);
  p.cache_stride = b.kv.k_row;
  p.q = q;
  p.q_stride = q_stride;
  p.n_heads = c.num_heads;
  p.head_stride = c.qk_nope_head_dim + c.qk_rope_head_dim;
  p.rot_offset = c.qk_nope_head_dim;
  p.q_pe_out = b.ws.qcat + c.kv_lora_rank;
  p.q_pe_token_stride = int64_t{c.num_heads} * lat;
  p.q_pe_head_stride = lat;
  p.n_pe_rows = q != nullptr ? s.n_decode : 0;
  p.positions = s.positions;
  p.inv_freq = b.inv_freq;
  p.rope_dim = c.qk_rope_head_dim;
  p.attention_factor = b.attention_factor;
  p.pairing = b.pairing;
  return p;
}

// Multi-head latent attention (deepseek): the cache holds [normed latent | roped k_pe] per
// token; decode runs absorbed (MQA over the latent), prefill expands the latent with kv_b.
void mla_attention(const BodyContext& b, const StepView& s, int layer) {
  const ModelConfig& c = b.config;
  const DevLayer& L = b.model.layers[layer];
  const Workspace& ws = b.ws;
  const int nh = c.num_heads, nope = c.qk_nope_head_dim, rope_d = c.qk_rope_head_dim;
  const int dv = c.v_head_dim, lora = c.kv_lora_rank, dk = nope + rope_d, lat = lora + rope_d;
  const int64_t T = s.rows, ld = L.q_kva.out;
  const int64_t q_rows = c.q_lora_rank > 0 ? c.q_lora_rank : int64_t{nh} * dk;
  linear(b, ws.h, c.hidden_size, T, L.q_kva, ws.proj, ld);
  bf16_bits* q = ws.proj;
  int64_t q_ld = ld;
  // The latents' norms, k_pe's rotation into the cache, the queries' rotation (the decode rows'
  // q_pe also beside their absorbed query): one launch fused, or the separate ones. kernels=wgmma,
  // a decode step of few rows: the rotation's launch also runs the q absorb (skinny) below.
  auto prepare = b.fused ? cuda_mla_prepare : cuda_mla_prepare_separate;
  const bool absorb_in_prepare =
      b.wgmma && s.n_decode > 0 && s.n_decode == T && T <= kGemmSkinnyAutoMaxM;
  // q_lat[h] = q_nope[h] · W_UK[h] (nope x lora) for the decode rows; q_pe lands beside it.
  auto absorb_q = [&] {
    return per_head_args(b, q, q_ld, dk, L.kv_b.w, false, s.n_decode, lora, nope, ws.qcat,
                         int64_t{nh} * lat, lat);
  };
  auto prepare_q = [&](const MlaPrepareArgs& p) {
    if (absorb_in_prepare) {
      cuda_mla_prepare_absorb(p, absorb_q(), b.stream);
    } else {
      prepare(p, b.stream);
    }
  };
  if (c.q_lora_rank > 0) {
    // The query latent is normed with the kv one, then expanded by q_b before its rotation.
    MlaPrepareArgs latents = mla_prepare_args(b, s, layer, ws.proj + q_rows, ld, nullptr, 0);
    latents.q_latent = ws.proj;
    latents.q_latent_stride = ld;
    latents.q_a_norm = L.q_a_norm;
    latents.q_lora = c.q_lora_rank;
    prepare(latents, b.stream);
    q = ws.q;
    q_ld = int64_t{nh} * dk;
    linear(b, ws.proj, ld, T, L.q_b, q, q_ld);
    prepare_q(mla_prepare_args(b, s, layer, nullptr, 0, q, q_ld));
  } else {
    prepare_q(mla_prepare_args(b, s, layer, ws.proj + q_rows, ld, q, q_ld));
  }
  if (s.n_decode > 0) {
    if (!absorb_in_prepare) cuda_gemm(b.blas, absorb_q(), b.stream);
    decode_attention(b, s, ws.qcat, int64_t{nh} * lat, layer, 1, lat, lora, ws.olat,
                     int64_t{nh} * lora);
    // out[h] = olat[h] · W_UV[h]ᵀ (W_UV[h]: v x lora).
    cuda_gemm(b.blas,
              per_head_args(b, ws.olat, int64_t{nh} * lora, lora, L.kv_b.w + int64_t{nope} * lora,
                            true, s.n_decode, dv, lora, ws.attn, int64_t{nh} * dv, dv),
              b.stream);
  }
  for (const StepGroup& g : s.groups) {
    gather(b, s, g, b.kv.k(layer), b.kv.k_row, lat, ws.gk);
    DevLinear kvb = L.kv_b;
    linear(b, ws.gk, lat, g.keys, kvb, ws.kvb, kvb.out);
    cuda_mla_assemble_k(ws.kvb, g.keys, nh, nope, dv, ws.gk + lora, lat, rope_d, ws.kfull,
                        b.stream);
    // V read in place from the expansion: head h at h * (nope + v) + nope.
    prefill_attention(b, g, q, q_ld, ws.kfull, int64_t{nh} * dk, ws.kvb + nope, kvb.out, nope + dv,
                      nh, dk, dv, ws.attn, int64_t{nh} * dv);
  }
  linear(b, ws.attn, int64_t{nh} * dv, T, L.o, ws.y, c.hidden_size);
}

}  // namespace

// y (T, hidden) = down(silu(gate(h)) * up(h)) with gate|up stacked.
void swiglu_mlp(const BodyContext& b, int64_t T, const DevLinear& gu, const DevLinear& down,
                bf16_bits* y) {
  const Workspace& ws = b.ws;
  const int64_t I = gu.out / 2;
  linear(b, ws.h, b.config.hidden_size, T, gu, ws.gu, gu.out);
  if (b.fused && T <= kGemmSkinnyAutoMaxM) {  // the down GEMV forms the SwiGLU as it loads
    linear(b, ws.gu, gu.out, T, down, y, b.config.hidden_size, true);
    return;
  }
  cuda_swiglu(ws.gu, gu.out, ws.gu + I, gu.out, T, I, ws.act, b.stream);
  linear(b, ws.act, I, T, down, y, b.config.hidden_size);
}

namespace {

// residual += y (or the pending combine's sum, fused), then h = its norm (and h_lo); clears
// pending.
void norm_residual(const BodyContext& b, int64_t T, bool init, const bf16_bits* w, bf16_bits* h_lo,
                   MoeCombineArgs* pending) {
  const ModelConfig& c = b.config;
  const float eps = static_cast<float>(c.rms_norm_eps);
  if (pending->n_tokens > 0) {
    cuda_moe_combine_rmsnorm_residual_f32(*pending, b.ws.x, w, eps, b.ws.h, h_lo, b.stream);
    *pending = MoeCombineArgs{};
    return;
  }
  cuda_rmsnorm_residual_f32(b.ws.x, b.ws.y, init, w, T, c.hidden_size, eps, b.ws.h, h_lo, b.stream);
}

}  // namespace

void run_body(const BodyContext& b, const StepView& s) {
  const ModelConfig& c = b.config;
  const Workspace& ws = b.ws;
  const int64_t T = s.rows, H = c.hidden_size;
  // The embedding rows go to y, and the first norm starts the f32 residual stream from them.
  // NOTE: a token < 0 is a row of the previous step's sampled ids (CudaEngine::start_sample's
  // kSampledToken), still in ws.sampled: the next step starts without the host reading them.
  cuda_embedding_gather(s.tokens, T, b.model.embed, c.vocab_size, H, ws.y, nullptr, b.stream,
                        ws.sampled, ws.max_logit_rows);
  MoeCombineArgs pending;  // fused: a MoE layer's combine, done by the next norm
  for (int l = 0; l < c.num_layers; ++l) {
    const DevLayer& L = b.model.layers[l];
    norm_residual(b, T, l == 0, L.input_norm, nullptr, &pending);
    if (c.mla) {
      mla_attention(b, s, l);
    } else {
      gqa_attention(b, s, l);
    }
    // Decode (fused, up to 4 tokens): a MoE layer's router launch does the post-attention norm.
    const RouterNormArgs post = post_norm_args(b, L, T);
    if (post.x == nullptr) {
      norm_residual(b, T, false, L.post_norm, L.moe ? ws.h_lo : nullptr, &pending);
    }
    if (L.moe) {
      const MoeCombineArgs cb = moe_layer(b, s, l, post.x != nullptr ? &post : nullptr);
      if (b.fused) pending = cb;
    } else {
      swiglu_mlp(b, T, L.dense_gu, L.dense_down, ws.y);
    }
  }
  norm_residual(b, T, false, b.model.final_norm, nullptr, &pending);
}

uint64_t* run_logits(const BodyContext& b, const int32_t* rows, int64_t n_rows, bool to_sample) {
  const ModelConfig& c = b.config;
  const int64_t H = c.hidden_size;
  // NOTE: a decode step's rows are ws.h's first rows in order: the GEMV reads them in place.
  if (rows != nullptr) {
    cuda_embedding_gather(rows, n_rows, b.ws.h, b.ws.max_tokens, H, b.ws.hf, nullptr, b.stream);
  }
  GemmArgs g;
  g.a = rows != nullptr ? b.ws.hf : b.ws.h;
  g.lda = H;
  g.b = b.model.lm_head.w;
  g.ldb = H;
  g.c = b.ws.logits;
  g.ldc = c.vocab_size;
  g.c_f32 = true;
  g.m = n_rows;
  g.n = c.vocab_size;
  g.k = H;
  if (to_sample && b.fused && gemm_pick_algo(g) == GemmAlgo::skinny) g.c_argmax = b.ws.argmax;
  cuda_gemm(b.blas, g, b.stream);
  return g.c_argmax;
}

}  // namespace moebench

#endif  // MOEBENCH_HAVE_CUDA
