// ModelConfig: the architecture of a built-in MoE checkpoint, parsed from HF config.json for the
// families deepseek_v3, deepseek_v2, qwen3_moe, qwen2_moe, mixtral and olmoe (REFERENCE.md).
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "kernels/op_modes.h"

namespace moebench {

enum class ModelFamily { deepseek_v3, deepseek_v2, qwen3_moe, qwen2_moe, mixtral, olmoe };

const char* model_family_name(ModelFamily f);
// Throws InputError naming the accepted families for an unknown name.
ModelFamily model_family_parse(const std::string& name, const std::string& where);

// Rotary embedding. type "default" or "yarn" (HF `rope_scaling` / v5 `rope_parameters`).
struct RopeConfig {
  double theta = 10000.0;
  std::string type = "default";
  double factor = 1.0;
  int original_max_position = 0;  // yarn: original_max_position_embeddings
  double beta_fast = 32.0;
  double beta_slow = 1.0;
  double mscale = 0.0;          // 0 = absent
  double mscale_all_dim = 0.0;  // 0 = absent
  bool interleave = false;      // deepseek: rotate (2i, 2i+1) pairs instead of halves
};

struct ModelConfig {
  ModelFamily family = ModelFamily::mixtral;
  int vocab_size = 0;
  int hidden_size = 0;
  int num_layers = 0;
  int num_heads = 0;
  int num_kv_heads = 0;
  int head_dim = 0;  // q/k/v head dim for non-MLA families (MLA: qk_rope_head_dim, as HF sets it)
  int max_position_embeddings = 0;
  double rms_norm_eps = 1e-6;
  bool tie_word_embeddings = false;
  RopeConfig rope;

  // Attention extras. qwen2_moe `qkv_bias`: q/k/v biases, none on o_proj. qwen3_moe / olmoe
  // `attention_bias`: both flags (q, k, v and o biases). deepseek `attention_bias`: both flags,
  // which there means biases on q_a_proj (with q_lora), kv_a_proj_with_mqa and o_proj, as in HF.
  bool qkv_bias = false;
  bool o_bias = false;
  // q/k RMSNorm: qwen3 per_head (over head_dim), olmoe full (over the whole projection).
  enum class QkNorm { none, per_head, full } qk_norm = QkNorm::none;

  // MLA (deepseek_v2/v3). q_lora_rank 0 = plain q_proj.
  bool mla = false;
  int q_lora_rank = 0;
  int kv_lora_rank = 0;
  int qk_nope_head_dim = 0;
  int qk_rope_head_dim = 0;
  int v_head_dim = 0;

  // FFN / MoE.
  int intermediate_size = 0;      // dense layers
  int moe_intermediate_size = 0;  // one routed expert
  int n_routed_experts = 0;
  int num_experts_per_tok = 0;
  int n_shared_experts = 0;                 // deepseek: shared MLP width = n * moe_intermediate
  int shared_expert_intermediate_size = 0;  // qwen2_moe: one shared expert with sigmoid gate
  std::vector<bool> moe_layer;              // per layer: MoE (true) or dense SwiGLU (false)
  MoeRouteMode router = MoeRouteMode::softmax_topk;
  bool norm_topk_prob = false;
  double routed_scaling_factor = 1.0;
  int n_group = 1;
  int topk_group = 1;

  std::vector<int> eos_token_ids;
  int bos_token_id = -1;
  // deepseek_v3 multi-token-prediction modules, stored as layers num_layers .. num_layers + n - 1
  // (`num_nextn_predict_layers`); the loader skips them (no speculative decoding here).
  int num_nextn_predict_layers = 0;

  // Throws InputError naming the bad field.
  void validate() const;
  nlohmann::json to_json() const;
  // Attention dims as the engine uses them.
  int q_head_dim() const { return mla ? qk_nope_head_dim + qk_rope_head_dim : head_dim; }
  int rope_dim() const { return mla ? qk_rope_head_dim : head_dim; }
  // Any layer is MoE (routed experts).
  bool any_moe() const {
    for (bool m : moe_layer) {
      if (m) return true;
    }
    return false;
  }
};

// Parses config.json (both the classic `rope_theta`/`rope_scaling` keys and transformers v5
// `rope_parameters`). Errors name the file and the field.
ModelConfig model_config_from_json(const nlohmann::json& j, const std::string& where);
ModelConfig model_config_load(const std::filesystem::path& config_json);

}  // namespace moebench
