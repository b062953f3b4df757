// Test helpers for the CPU engine: tiny configs of every family and seeded random weights under
// the HF checkpoint names, plus a logits comparison that reports the worst element.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "backends/builtin/checkpoint/model_config.h"
#include "backends/builtin/checkpoint/model_weights.h"

namespace moebench::test {

// A named tiny config: every family, plus variants that cover each router and rope branch.
struct TinyModel {
  std::string name;
  ModelConfig config;
};

inline ModelConfig tiny_base(ModelFamily f) {
  ModelConfig c;
  c.family = f;
  c.vocab_size = 96;
  c.hidden_size = 32;
  c.num_layers = 3;
  c.num_heads = 4;
  c.num_kv_heads = 2;
  c.head_dim = 8;
  c.max_position_embeddings = 256;
  c.rms_norm_eps = 1e-5;
  c.rope.theta = 10000.0;
  c.intermediate_size = 40;
  c.moe_intermediate_size = 16;
  c.n_routed_experts = 8;
  c.num_experts_per_tok = 2;
  c.moe_layer = {true, true, true};
  return c;
}

inline ModelConfig tiny_mla(ModelFamily f) {
  ModelConfig c = tiny_base(f);
  c.mla = true;
  c.num_kv_heads = 4;
  c.kv_lora_rank = 16;
  c.qk_nope_head_dim = 8;
  c.qk_rope_head_dim = 4;
  c.head_dim = 4;  // HF sets head_dim = qk_rope_head_dim for MLA
  c.v_head_dim = 12;
  c.n_shared_experts = 2;
  c.moe_layer = {false, true, true};  // first_k_dense_replace = 1
  c.rope.type = "yarn";
  c.rope.factor = 40.0;
  c.rope.original_max_position = 64;
  c.rope.mscale = 1.0;
  c.rope.mscale_all_dim = 0.5;
  c.rope.interleave = true;
  return c;
}

inline std::vector<TinyModel> tiny_models() {
  std::vector<TinyModel> out;
  ModelConfig c = tiny_base(ModelFamily::mixtral);
  out.push_back({"mixtral", c});

  c = tiny_base(ModelFamily::qwen2_moe);
  c.qkv_bias = true;
  c.shared_expert_intermediate_size = 24;
  c.moe_layer = {true, false, true};
  c.norm_topk_prob = false;
  out.push_back({"qwen2_moe", c});

  c = tiny_base(ModelFamily::qwen3_moe);
  c.head_dim = 16;  // != hidden / heads, as in real Qwen3 configs
  c.qk_norm = ModelConfig::QkNorm::per_head;
  c.qkv_bias = c.o_bias = true;
  c.norm_topk_prob = true;
  c.tie_word_embeddings = true;
  out.push_back({"qwen3_moe", c});

  c = tiny_base(ModelFamily::olmoe);
  c.qk_norm = ModelConfig::QkNorm::full;
  c.num_kv_heads = 4;
  out.push_back({"olmoe", c});

  c = tiny_mla(ModelFamily::deepseek_v2);
  c.router = MoeRouteMode::softmax_group;
  c.n_group = 4;
  c.topk_group = 2;
  c.routed_scaling_factor = 1.5;
  out.push_back({"deepseek_v2 group_limited_greedy", c});

  c = tiny_mla(ModelFamily::deepseek_v2);
  c.router = MoeRouteMode::softmax_topk;
  c.rope.type = "default";
  c.num_layers = 2;
  c.moe_layer = {true, true};
  out.push_back({"deepseek_v2 greedy", c});

  c = tiny_mla(ModelFamily::deepseek_v3);
  c.router = MoeRouteMode::sigmoid_noaux_tc;
  c.q_lora_rank = 12;
  c.n_group = 4;
  c.topk_group = 2;
  c.num_experts_per_tok = 3;
  c.norm_topk_prob = true;
  c.routed_scaling_factor = 2.5;
  c.qkv_bias = c.o_bias = true;
  c.n_shared_experts = 1;
  out.push_back({"deepseek_v3", c});

  c.rope.interleave = false;
  c.rope.type = "default";
  c.tie_word_embeddings = true;
  out.push_back({"deepseek_v3 rotate_half tied", c});
  return out;
}

// Seeded random tensors under HF names. Linear weights ~ N(0, 1/in) keep activations O(1);
// norms ~ 1 + N(0, 0.1); routers are scaled up so routing decisions are not near-ties.
class RandomWeights {
 public:
  RandomWeights(const ModelConfig& c, uint64_t seed, bool fused_experts = false)
      : c_(c), rng_(seed), fused_(fused_experts) {}

  ModelWeights build() {
    const int H = c_.hidden_size;
    // Tied: the embedding is also lm_head, so keep logits O(1) like the untied N(0, 1/H) head.
    add("model.embed_tokens.weight", {c_.vocab_size, H},
        c_.tie_word_embeddings ? 1.0 / std::sqrt(H) : 1.0);
    norm("model.norm.weight", H);
    if (!c_.tie_word_embeddings) add("lm_head.weight", {c_.vocab_size, H}, 1.0 / std::sqrt(H));
    for (int l = 0; l < c_.num_layers; ++l) {
      const std::string p = "model.layers." + std::to_string(l) + ".";
      norm(p + "input_layernorm.weight", H);
      norm(p + "post_attention_layernorm.weight", H);
      attention(p + "self_attn.");
      if (!c_.moe_layer[l]) {
        mlp(p + "mlp", c_.intermediate_size);
      } else {
        moe(c_.family == ModelFamily::mixtral ? p + "block_sparse_moe" : p + "mlp");
      }
    }
    return std::move(w_);
  }

 private:
  void add(const std::string& name, std::vector<int64_t> shape, double std, double mean = 0.0) {
    Tensor t;
    t.shape = std::move(shape);
    int64_t n = 1;
    for (int64_t d : t.shape) n *= d;
    std::normal_distribution<double> nd(mean, std);
    t.data.resize(n);
    for (float& v : t.data) v = static_cast<float>(nd(rng_));
    w_.add(name, std::move(t));
  }
  void norm(const std::string& name, int dim) { add(name, {dim}, 0.1, 1.0); }
  void linear(const std::string& p, int out, int in, bool bias, double gain = 1.0) {
    add(p + ".weight", {out, in}, gain / std::sqrt(in));
    if (bias) add(p + ".bias", {out}, 0.1);
  }
  void mlp(const std::string& p, int inter) {
    linear(p + ".gate_proj", inter, c_.hidden_size, false);
    linear(p + ".up_proj", inter, c_.hidden_size, false);
    linear(p + ".down_proj", c_.hidden_size, inter, false);
  }
  void attention(const std::string& p) {
    const int H = c_.hidden_size, nh = c_.num_heads;
    if (c_.mla) {
      const int dk = c_.qk_nope_head_dim + c_.qk_rope_head_dim;
      if (c_.q_lora_rank > 0) {
        linear(p + "q_a_proj", c_.q_lora_rank, H, c_.qkv_bias);
        norm(p + "q_a_layernorm.weight", c_.q_lora_rank);
        linear(p + "q_b_proj", nh * dk, c_.q_lora_rank, false);
      } else {
        linear(p + "q_proj", nh * dk, H, false);
      }
      linear(p + "kv_a_proj_with_mqa", c_.kv_lora_rank + c_.qk_rope_head_dim, H, c_.qkv_bias);
      norm(p + "kv_a_layernorm.weight", c_.kv_lora_rank);
      linear(p + "kv_b_proj", nh * (c_.qk_nope_head_dim + c_.v_head_dim), c_.kv_lora_rank, false);
      linear(p + "o_proj", H, nh * c_.v_head_dim, c_.o_bias);
      return;
    }
    const int hd = c_.head_dim, nkv = c_.num_kv_heads;
    // q/k gain 3: sharper attention patterns, so a wrong mask or position shows up.
    linear(p + "q_proj", nh * hd, H, c_.qkv_bias, 3.0);
    linear(p + "k_proj", nkv * hd, H, c_.qkv_bias, 3.0);
    linear(p + "v_proj", nkv * hd, H, c_.qkv_bias);
    linear(p + "o_proj", H, nh * hd, c_.o_bias);
    if (c_.qk_norm == ModelConfig::QkNorm::per_head) {
      norm(p + "q_norm.weight", hd);
      norm(p + "k_norm.weight", hd);
    } else if (c_.qk_norm == ModelConfig::QkNorm::full) {
      norm(p + "q_norm.weight", nh * hd);
      norm(p + "k_norm.weight", nkv * hd);
    }
  }
  void moe(const std::string& p) {
    const int E = c_.n_routed_experts, H = c_.hidden_size, I = c_.moe_intermediate_size;
    linear(p + ".gate", E, H, false, 4.0);
    if (c_.family == ModelFamily::deepseek_v3) add(p + ".gate.e_score_correction_bias", {E}, 0.2);
    if (fused_) {
      add(p + ".experts.gate_up_proj", {E, 2 * I, H}, 1.0 / std::sqrt(H));
      add(p + ".experts.down_proj", {E, H, I}, 1.0 / std::sqrt(I));
    } else {
      for (int e = 0; e < E; ++e) {
        const std::string q = p + ".experts." + std::to_string(e);
        if (c_.family == ModelFamily::mixtral) {
          linear(q + ".w1", I, H, false);
          linear(q + ".w3", I, H, false);
          linear(q + ".w2", H, I, false);
        } else {
          mlp(q, I);
        }
      }
    }
    if (c_.family == ModelFamily::qwen2_moe) {
      mlp(p + ".shared_expert", c_.shared_expert_intermediate_size);
      linear(p + ".shared_expert_gate", 1, H, false);
    } else if (c_.mla && c_.n_shared_experts > 0) {
      mlp(p + ".shared_experts", c_.n_shared_experts * I);
    }
  }

  const ModelConfig& c_;
  std::mt19937_64 rng_;
  bool fused_;
  ModelWeights w_;
};

inline std::vector<int> random_tokens(int n, int vocab, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<int> t(n);
  for (int& x : t) x = static_cast<int>(rng() % static_cast<uint64_t>(vocab));
  return t;
}

// Largest |a - b| / max(1, |b|) over two equally long arrays, with where it happened.
struct Diff {
  double worst = 0.0;
  size_t index = 0;
  float a = 0.0f, b = 0.0f;
  std::string str() const {
    std::ostringstream os;
    os << "worst rel diff " << worst << " at " << index << ": " << a << " vs " << b;
    return os.str();
  }
};

inline Diff compare(const float* a, const float* b, size_t n) {
  Diff d;
  for (size_t i = 0; i < n; ++i) {
    const double e =
        std::abs(static_cast<double>(a[i]) - b[i]) / std::max(1.0, std::abs(1.0 * b[i]));
    if (!(e <= d.worst)) {  // NaN counts as worst
      d = {std::isnan(e) ? INFINITY : e, i, a[i], b[i]};
    }
  }
  return d;
}

}  // namespace moebench::test
