// Internal pieces of CpuEngine: bound layer weights (pointers into ModelWeights), the per-sequence
// KV cache, and the attention / MoE / router entry points the forward pass calls.
#pragma once

#include <cstdint>
#include <vector>

#include "backends/builtin/checkpoint/model_config.h"
#include "backends/builtin/checkpoint/model_weights.h"
#include "backends/builtin/engine/attn_dims.h"
#include "backends/builtin/engine/cpu/engine_cpu_ops.h"
#include "backends/builtin/engine/router_spec.h"

namespace moebench {

// Attention weights of one layer. Standard (GQA) uses q/k/v/o; MLA uses q (or q_a + q_b),
// kv_a, kv_b and o.
struct AttnWeights {
  CpuLinear q, k, v, o;           // q: (n_heads*q_head_dim, hidden); k, v: (n_kv*head_dim, hidden)
  const float* q_norm = nullptr;  // qwen3: (head_dim); olmoe: (n_heads*head_dim)
  const float* k_norm = nullptr;  // qwen3: (head_dim); olmoe: (n_kv*head_dim)
  CpuLinear q_a, q_b;             // MLA with q_lora: (q_lora, hidden), (n_heads*q_head_dim, q_lora)
  const float* q_a_norm = nullptr;   // (q_lora)
  CpuLinear kv_a;                    // (kv_lora + rope_dim, hidden)
  const float* kv_a_norm = nullptr;  // (kv_lora)
  CpuLinear kv_b;                    // (n_heads*(nope + v_head_dim), kv_lora)
};

// A SwiGLU MLP: down(silu(gate(x)) * up(x)).
struct MlpWeights {
  CpuLinear gate, up;  // (inter, hidden)
  CpuLinear down;      // (hidden, inter)
};

struct MoeWeights {
  CpuLinear router;                   // (n_experts, hidden)
  const float* score_bias = nullptr;  // deepseek_v3 e_score_correction_bias (n_experts)
  std::vector<MlpWeights> experts;    // n_experts
  bool has_shared = false;
  MlpWeights shared;      // deepseek shared_experts / qwen2_moe shared_expert
  CpuLinear shared_gate;  // qwen2_moe shared_expert_gate (1, hidden), else unbound
};

struct LayerWeights {
  const float* input_norm = nullptr;  // (hidden)
  const float* post_norm = nullptr;   // (hidden)
  AttnWeights attn;
  bool moe = false;
  MlpWeights dense;   // when !moe
  MoeWeights sparse;  // when moe
};

struct ModelBinding {
  const float* embed = nullptr;       // (vocab, hidden)
  const float* final_norm = nullptr;  // (hidden)
  CpuLinear lm_head;                  // (vocab, hidden); the embedding when tied
  std::vector<LayerWeights> layers;
};

// Resolves every tensor the config needs to a pointer, checking shapes; errors name the tensor,
// the expected and the actual shape. Accepts per-expert checkpoint names
// (`experts.M.gate_proj.weight`, mixtral `block_sparse_moe.experts.M.w1.weight`) and the fused
// transformers-v5 layout (`experts.gate_up_proj` (E, 2I, H), `experts.down_proj` (E, H, I)).
ModelBinding engine_bind_weights(const ModelConfig& config, const ModelWeights& weights);

// Routes `rows` tokens: logits (rows, n_experts) in f32, bias (n_experts) or null.
// Writes idx (rows, top_k) in descending selection-score order and w (rows, top_k).
void moe_route(const RouterSpec& spec, const float* logits, int rows, const float* bias, int* idx,
               float* w);

// y (rows, hidden) = mlp(x (rows, hidden)).
void mlp_forward(const MlpWeights& m, const float* x, int rows, float* y);

// y (rows, hidden) = routed experts + shared experts of x (rows, hidden).
void moe_forward(const RouterSpec& spec, const MoeWeights& m, const float* x, int rows, int hidden,
                 float* y);

// One sequence's cache: per layer, post-rope keys and values of every cached position.
struct SeqCache {
  int len = 0;                        // committed positions
  std::vector<std::vector<float>> k;  // per layer (len, n_kv, k_head_dim)
  std::vector<std::vector<float>> v;  // per layer (len, n_kv, v_head_dim)
};

// The rows of one forward batch: chunk c owns rows [start[c], start[c] + count[c]) and appends
// them to caches[c] after its committed length.
struct AttnBatch {
  std::vector<int> start;
  std::vector<int> count;
  std::vector<SeqCache*> caches;
  const float* cos = nullptr;  // (rows, rope_dim / 2) per row's position
  const float* sin = nullptr;  // (rows, rope_dim / 2)
  int rows = 0;
};

// out (rows, hidden) = self-attention of layer `layer` over x (rows, hidden) = the normed hidden
// states; appends this layer's new keys/values to each chunk's cache.
void attention_forward(const ModelConfig& config, const AttnDims& dims, const AttnWeights& w,
                       int layer, const AttnBatch& batch, const float* x, float* out);

}  // namespace moebench
