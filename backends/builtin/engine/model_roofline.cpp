// Roofline arithmetic of a model config: decode bytes per step and prefill FLOPs.
#include "backends/builtin/engine/model_roofline.h"

#include <cmath>

namespace moebench {

namespace {

// Elements of one layer's attention weights.
double attention_params(const ModelConfig& c) {
  const double H = c.hidden_size, nh = c.num_heads;
  if (c.mla) {
    const double dk = c.qk_nope_head_dim + c.qk_rope_head_dim;
    const double kva = c.kv_lora_rank + c.qk_rope_head_dim;
    const double q = c.q_lora_rank > 0 ? c.q_lora_rank * H + nh * dk * c.q_lora_rank : nh * dk * H;
    return q + kva * H + nh * (c.qk_nope_head_dim + c.v_head_dim) * c.kv_lora_rank +
           H * nh * c.v_head_dim;
  }
  const double q = nh * c.head_dim, kv = double{1.0} * c.num_kv_heads * c.head_dim;
  return H * (q + 2 * kv) + q * H;
}

double shared_width(const ModelConfig& c) {
  if (c.family == ModelFamily::qwen2_moe) return c.shared_expert_intermediate_size;
  if (c.mla) return double{1.0} * c.n_shared_experts * c.moe_intermediate_size;
  return 0;
}

bool is_moe(const ModelConfig& c, int layer) {
  return layer < static_cast<int>(c.moe_layer.size()) && c.moe_layer[layer];
}

// KV values cached per token per layer.
double kv_values(const ModelConfig& c) {
  if (c.mla) return c.kv_lora_rank + c.qk_rope_head_dim;
  return 2.0 * c.num_kv_heads * c.head_dim;
}

}  // namespace

DecodeBytes decode_step_bytes(const ModelConfig& c, int batch, int64_t context) {
  const double H = c.hidden_size, E = c.n_routed_experts, k = c.num_experts_per_tok;
  DecodeBytes d;
  if (E > 0) d.experts_touched = E * (1.0 - std::pow(1.0 - k / E, batch));
  double params = c.vocab_size * H + batch * H;  // lm_head + the embedding rows gathered
  for (int l = 0; l < c.num_layers; ++l) {
    params += attention_params(c) + 2 * H;  // + the two norms
    if (is_moe(c, l)) {
      params +=
          E * H + 3 * H * shared_width(c) + d.experts_touched * 3 * H * c.moe_intermediate_size;
    } else {
      params += 3 * H * c.intermediate_size;
    }
  }
  d.weights = 2 * params;
  d.kv = 2.0 * batch * static_cast<double>(context) * c.num_layers * kv_values(c);
  return d;
}

double prefill_flops(const ModelConfig& c, int64_t tokens, int64_t past) {
  const double H = c.hidden_size, T = static_cast<double>(tokens);
  double per_token = 0;
  for (int l = 0; l < c.num_layers; ++l) {
    per_token += attention_params(c);
    if (is_moe(c, l)) {
      per_token += c.n_routed_experts * H + 3 * H * shared_width(c) +
                   double{1.0} * c.num_experts_per_tok * 3 * H * c.moe_intermediate_size;
    } else {
      per_token += 3 * H * c.intermediate_size;
    }
  }
  // Causal attention: token i of the prefill sees past + i + 1 keys.
  const double keys = T * static_cast<double>(past) + T * (T + 1) / 2;
  const double dk = c.mla ? c.qk_nope_head_dim + c.qk_rope_head_dim : c.head_dim;
  const double dv = c.mla ? c.v_head_dim : c.head_dim;
  const double attn = 2.0 * keys * c.num_heads * (dk + dv) * c.num_layers;
  return 2.0 * per_token * T + attn + 2.0 * c.vocab_size * H;
}

}  // namespace moebench
