// Binds a checkpoint's tensors (by HF name) to the CPU engine's layer structs, checking every
// shape against the config; errors name the tensor and both shapes.
#include <string>
#include <vector>

#include "backends/builtin/engine/cpu/engine_cpu_layers.h"
#include "common/error.h"

namespace moebench {

namespace {

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

class Binder {
 public:
  explicit Binder(const ModelWeights& w) : w_(w) {}

  bool has(const std::string& name) const { return w_.find(name) != nullptr; }

  // A required tensor of exactly `shape`; `offset` elements into it (one expert of a fused stack).
  const float* tensor(const std::string& name, const std::vector<int64_t>& shape,
                      int64_t offset = 0) const {
    const Tensor& t = w_.get(name);
    if (t.shape != shape) {
      throw InputError("tensor '" + name + "' has wrong shape; expected " + shape_text(shape) +
                       ", got " + shape_text(t.shape));
    }
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    if (static_cast<int64_t>(t.data.size()) != n) {
      throw InputError("tensor '" + name + "' holds " + std::to_string(t.data.size()) +
                       " values for shape " + shape_text(shape));
    }
    return t.data.data() + offset;
  }

  CpuLinear linear(const std::string& prefix, int out, int in, bool bias) const {
    CpuLinear l;
    l.out = out;
    l.in = in;
    l.w = tensor(prefix + ".weight", {out, in});
    if (bias) l.b = tensor(prefix + ".bias", {out});
    return l;
  }

  MlpWeights mlp(const std::string& prefix, int hidden, int inter) const {
    return {linear(prefix + ".gate_proj", inter, hidden, false),
            linear(prefix + ".up_proj", inter, hidden, false),
            linear(prefix + ".down_proj", hidden, inter, false)};
  }

 private:
  const ModelWeights& w_;
};

AttnWeights bind_attention(const Binder& b, const ModelConfig& c, const std::string& p) {
  AttnWeights a;
  const int H = c.hidden_size, nh = c.num_heads;
  if (c.mla) {
    const int dk = c.qk_nope_head_dim + c.qk_rope_head_dim;
    if (c.q_lora_rank > 0) {
      a.q_a = b.linear(p + "q_a_proj", c.q_lora_rank, H, c.qkv_bias);
      a.q_a_norm = b.tensor(p + "q_a_layernorm.weight", {c.q_lora_rank});
      a.q_b = b.linear(p + "q_b_proj", nh * dk, c.q_lora_rank, false);
    } else {
      a.q = b.linear(p + "q_proj", nh * dk, H, false);
    }
    a.kv_a = b.linear(p + "kv_a_proj_with_mqa", c.kv_lora_rank + c.qk_rope_head_dim, H, c.qkv_bias);
    a.kv_a_norm = b.tensor(p + "kv_a_layernorm.weight", {c.kv_lora_rank});
    a.kv_b =
        b.linear(p + "kv_b_proj", nh * (c.qk_nope_head_dim + c.v_head_dim), c.kv_lora_rank, false);
    a.o = b.linear(p + "o_proj", H, nh * c.v_head_dim, c.o_bias);
    return a;
  }
  const int hd = c.head_dim, nkv = c.num_kv_heads;
  a.q = b.linear(p + "q_proj", nh * hd, H, c.qkv_bias);
  a.k = b.linear(p + "k_proj", nkv * hd, H, c.qkv_bias);
  a.v = b.linear(p + "v_proj", nkv * hd, H, c.qkv_bias);
  a.o = b.linear(p + "o_proj", H, nh * hd, c.o_bias);
  if (c.qk_norm == ModelConfig::QkNorm::per_head) {
    a.q_norm = b.tensor(p + "q_norm.weight", {hd});
    a.k_norm = b.tensor(p + "k_norm.weight", {hd});
  } else if (c.qk_norm == ModelConfig::QkNorm::full) {
    a.q_norm = b.tensor(p + "q_norm.weight", {nh * hd});
    a.k_norm = b.tensor(p + "k_norm.weight", {nkv * hd});
  }
  return a;
}

// Routed experts: per-expert checkpoint names, or the fused transformers-v5 stacks.
std::vector<MlpWeights> bind_experts(const Binder& b, const ModelConfig& c, const std::string& p) {
  const int E = c.n_routed_experts, H = c.hidden_size, I = c.moe_intermediate_size;
  const bool mixtral_names = b.has(p + ".experts.0.w1.weight");
  std::vector<MlpWeights> experts(E);
  if (mixtral_names || b.has(p + ".experts.0.gate_proj.weight")) {
    for (int e = 0; e < E; ++e) {
      const std::string q = p + ".experts." + std::to_string(e);
      if (!mixtral_names) {
        experts[e] = b.mlp(q, H, I);
        continue;
      }
      experts[e] = {b.linear(q + ".w1", I, H, false), b.linear(q + ".w3", I, H, false),
                    b.linear(q + ".w2", H, I, false)};
    }
    return experts;
  }
  const std::string gu = p + ".experts.gate_up_proj", dn = p + ".experts.down_proj";
  for (int e = 0; e < E; ++e) {
    const int64_t gu_off = static_cast<int64_t>(e) * 2 * I * H;
    experts[e].gate = {b.tensor(gu, {E, 2 * I, H}, gu_off), nullptr, I, H};
    experts[e].up = {b.tensor(gu, {E, 2 * I, H}, gu_off + static_cast<int64_t>(I) * H), nullptr, I,
                     H};
    experts[e].down = {b.tensor(dn, {E, H, I}, static_cast<int64_t>(e) * H * I), nullptr, H, I};
  }
  return experts;
}

MoeWeights bind_moe(const Binder& b, const ModelConfig& c, const std::string& layer) {
  // Mixtral checkpoints name the block `block_sparse_moe`; transformers v5 calls it `mlp`.
  std::string p = layer + "mlp";
  if (c.family == ModelFamily::mixtral && b.has(layer + "block_sparse_moe.gate.weight")) {
    p = layer + "block_sparse_moe";
  }
  const int E = c.n_routed_experts, H = c.hidden_size;
  MoeWeights m;
  m.router = b.linear(p + ".gate", E, H, false);
  if (c.family == ModelFamily::deepseek_v3 && b.has(p + ".gate.e_score_correction_bias")) {
    m.score_bias = b.tensor(p + ".gate.e_score_correction_bias", {E});
  }
  m.experts = bind_experts(b, c, p);
  if (c.family == ModelFamily::qwen2_moe && c.shared_expert_intermediate_size > 0) {
    m.has_shared = true;
    m.shared = b.mlp(p + ".shared_expert", H, c.shared_expert_intermediate_size);
    m.shared_gate = b.linear(p + ".shared_expert_gate", 1, H, false);
  } else if (c.mla && c.n_shared_experts > 0) {
    m.has_shared = true;
    m.shared = b.mlp(p + ".shared_experts", H, c.n_shared_experts * c.moe_intermediate_size);
  }
  return m;
}

}  // namespace

ModelBinding engine_bind_weights(const ModelConfig& c, const ModelWeights& weights) {
  const Binder b(weights);
  const int H = c.hidden_size;
  if (static_cast<int>(c.moe_layer.size()) != c.num_layers) {
    throw InputError("config: moe_layer has " + std::to_string(c.moe_layer.size()) +
                     " entries for " + std::to_string(c.num_layers) + " layers");
  }
  ModelBinding m;
  m.embed = b.tensor("model.embed_tokens.weight", {c.vocab_size, H});
  m.final_norm = b.tensor("model.norm.weight", {H});
  if (c.tie_word_embeddings) {
    m.lm_head = {m.embed, nullptr, c.vocab_size, H};
  } else {
    m.lm_head = b.linear("lm_head", c.vocab_size, H, false);
  }
  m.layers.resize(c.num_layers);
  for (int l = 0; l < c.num_layers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    LayerWeights& L = m.layers[l];
    L.input_norm = b.tensor(p + "input_layernorm.weight", {H});
    L.post_norm = b.tensor(p + "post_attention_layernorm.weight", {H});
    L.attn = bind_attention(b, c, p + "self_attn.");
    L.moe = c.moe_layer[l];
    if (L.moe) {
      L.sparse = bind_moe(b, c, p);
    } else {
      L.dense = b.mlp(p + "mlp", H, c.intermediate_size);
    }
  }
  return m;
}

}  // namespace moebench
