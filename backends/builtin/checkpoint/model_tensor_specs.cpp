// model_tensor_specs: every tensor (HF name, shape) a family's config requires, matching the
// per-expert layout real checkpoints and transformers' save_pretrained use.
#include <string>

#include "backends/builtin/checkpoint/model_weights.h"

namespace moebench {

namespace {

using Shape = std::vector<int64_t>;

class SpecList {
 public:
  explicit SpecList(std::vector<TensorSpec>& out) : out_(out) {}
  void add(const std::string& name, Shape shape) { out_.push_back({name, std::move(shape)}); }
  // A Linear (out_features, in_features) with an optional bias (out_features).
  void linear(const std::string& prefix, int64_t out, int64_t in, bool bias = false) {
    add(prefix + ".weight", {out, in});
    if (bias) add(prefix + ".bias", {out});
  }
  // SwiGLU MLP: gate/up (width, hidden), down (hidden, width); mixtral names them w1/w3/w2.
  void mlp(const std::string& prefix, int64_t hidden, int64_t width, bool mixtral_names = false) {
    linear(prefix + (mixtral_names ? ".w1" : ".gate_proj"), width, hidden);
    linear(prefix + (mixtral_names ? ".w2" : ".down_proj"), hidden, width);
    linear(prefix + (mixtral_names ? ".w3" : ".up_proj"), width, hidden);
  }

 private:
  std::vector<TensorSpec>& out_;
};

// Multi-head latent attention (deepseek_v2 / v3). attention_bias puts biases on q_a_proj,
// kv_a_proj_with_mqa and o_proj only, as HF's DeepseekV3Attention does.
void mla_attention(SpecList& s, const ModelConfig& c, const std::string& p) {
  const int64_t h = c.hidden_size, heads = c.num_heads;
  const int64_t qk = c.qk_nope_head_dim + c.qk_rope_head_dim;
  if (c.q_lora_rank > 0) {
    s.linear(p + "q_a_proj", c.q_lora_rank, h, c.qkv_bias);
    s.add(p + "q_a_layernorm.weight", {c.q_lora_rank});
    s.linear(p + "q_b_proj", heads * qk, c.q_lora_rank);
  } else {
    s.linear(p + "q_proj", heads * qk, h);
  }
  s.linear(p + "kv_a_proj_with_mqa", c.kv_lora_rank + c.qk_rope_head_dim, h, c.qkv_bias);
  s.add(p + "kv_a_layernorm.weight", {c.kv_lora_rank});
  s.linear(p + "kv_b_proj", heads * (c.qk_nope_head_dim + c.v_head_dim), c.kv_lora_rank);
  s.linear(p + "o_proj", h, heads * c.v_head_dim, c.o_bias);
}

void gqa_attention(SpecList& s, const ModelConfig& c, const std::string& p) {
  const int64_t h = c.hidden_size, q = int64_t{c.num_heads} * c.head_dim;
  const int64_t kv = int64_t{c.num_kv_heads} * c.head_dim;
  s.linear(p + "q_proj", q, h, c.qkv_bias);
  s.linear(p + "k_proj", kv, h, c.qkv_bias);
  s.linear(p + "v_proj", kv, h, c.qkv_bias);
  s.linear(p + "o_proj", h, q, c.o_bias);
  if (c.qk_norm == ModelConfig::QkNorm::per_head) {  // qwen3: RMSNorm over each head
    s.add(p + "q_norm.weight", {c.head_dim});
    s.add(p + "k_norm.weight", {c.head_dim});
  } else if (c.qk_norm == ModelConfig::QkNorm::full) {  // olmoe: over the whole projection
    s.add(p + "q_norm.weight", {q});
    s.add(p + "k_norm.weight", {kv});
  }
}

void moe_block(SpecList& s, const ModelConfig& c, const std::string& layer) {
  const int64_t h = c.hidden_size, e = c.n_routed_experts;
  const bool mixtral = c.family == ModelFamily::mixtral;
  const std::string p = layer + (mixtral ? "block_sparse_moe." : "mlp.");
  s.add(p + "gate.weight", {e, h});
  if (c.router == MoeRouteMode::sigmoid_noaux_tc) s.add(p + "gate.e_score_correction_bias", {e});
  for (int64_t i = 0; i < e; ++i) {
    s.mlp(p + "experts." + std::to_string(i), h, c.moe_intermediate_size, mixtral);
  }
  if (c.family == ModelFamily::qwen2_moe) {
    s.mlp(p + "shared_expert", h, c.shared_expert_intermediate_size);
    s.add(p + "shared_expert_gate.weight", {1, h});
  } else if (c.n_shared_experts > 0 && c.mla) {
    s.mlp(p + "shared_experts", h, int64_t{c.n_shared_experts} * c.moe_intermediate_size);
  }
}

}  // namespace

std::vector<TensorSpec> model_tensor_specs(const ModelConfig& c) {
  std::vector<TensorSpec> out;
  SpecList s(out);
  const int64_t h = c.hidden_size;
  s.add("model.embed_tokens.weight", {c.vocab_size, h});
  for (int i = 0; i < c.num_layers; ++i) {
    const std::string layer = "model.layers." + std::to_string(i) + ".";
    s.add(layer + "input_layernorm.weight", {h});
    if (c.mla) {
      mla_attention(s, c, layer + "self_attn.");
    } else {
      gqa_attention(s, c, layer + "self_attn.");
    }
    s.add(layer + "post_attention_layernorm.weight", {h});
    if (i < static_cast<int>(c.moe_layer.size()) && c.moe_layer[i]) {
      moe_block(s, c, layer);
    } else {
      s.mlp(layer + "mlp", h, c.intermediate_size);
    }
  }
  s.add("model.norm.weight", {h});
  if (!c.tie_word_embeddings) s.add("lm_head.weight", {c.vocab_size, h});
  return out;
}

int64_t model_param_count(const ModelConfig& config) {
  int64_t n = 0;
  for (const TensorSpec& s : model_tensor_specs(config)) {
    int64_t e = 1;
    for (int64_t d : s.shape) e *= d;
    n += e;
  }
  return n;
}

}  // namespace moebench
