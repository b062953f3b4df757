// ModelConfig: family names, validation (one-line errors naming the field), printing and loading
// config.json from disk. The HF key parsing lives in model_config_parse.cpp.
#include "backends/builtin/checkpoint/model_config.h"

#include <sstream>

#include "backends/builtin/checkpoint/model_config_internal.h"
#include "common/error.h"
#include "common/json_file.h"

namespace moebench {

namespace {

constexpr ModelFamily kFamilies[] = {ModelFamily::deepseek_v3, ModelFamily::deepseek_v2,
                                     ModelFamily::qwen3_moe,   ModelFamily::qwen2_moe,
                                     ModelFamily::mixtral,     ModelFamily::olmoe};

const char* qk_norm_name(ModelConfig::QkNorm n) {
  switch (n) {
    case ModelConfig::QkNorm::none:
      return "none";
    case ModelConfig::QkNorm::per_head:
      return "per_head";
    case ModelConfig::QkNorm::full:
      return "full";
  }
  return "?";
}

// Throws "<where>: field '<field>': <what>".
[[noreturn]] void bad(const std::string& where, const std::string& field, const std::string& what) {
  throw input_error(where, "field '" + field + "': " + what);
}

void require_positive(const std::string& where, const std::string& field, double v) {
  if (!(v > 0)) {
    std::ostringstream os;
    os << "must be positive, got " << v;
    bad(where, field, os.str());
  }
}

void check_attention(const ModelConfig& c, const std::string& where) {
  require_positive(where, "num_attention_heads", c.num_heads);
  require_positive(where, "num_key_value_heads", c.num_kv_heads);
  if (c.num_heads % c.num_kv_heads != 0) {
    bad(where, "num_key_value_heads",
        std::to_string(c.num_kv_heads) + " does not divide num_attention_heads " +
            std::to_string(c.num_heads));
  }
  if (!c.mla) {
    require_positive(where, "head_dim", c.head_dim);
    if (c.head_dim % 2 != 0) bad(where, "head_dim", "must be even for rotary embeddings");
    return;
  }
  if (c.q_lora_rank < 0) bad(where, "q_lora_rank", "must be null or positive");
  require_positive(where, "kv_lora_rank", c.kv_lora_rank);
  require_positive(where, "qk_rope_head_dim", c.qk_rope_head_dim);
  require_positive(where, "v_head_dim", c.v_head_dim);
  if (c.qk_nope_head_dim < 0) bad(where, "qk_nope_head_dim", "must not be negative");
  if (c.qk_rope_head_dim % 2 != 0) bad(where, "qk_rope_head_dim", "must be even");
}

void check_moe(const ModelConfig& c, const std::string& where) {
  if (static_cast<int>(c.moe_layer.size()) != c.num_layers) {
    bad(where, "moe_layer",
        "has " + std::to_string(c.moe_layer.size()) + " entries for " +
            std::to_string(c.num_layers) + " layers");
  }
  bool any_moe = false, any_dense = false;
  for (bool m : c.moe_layer) (m ? any_moe : any_dense) = true;
  if (any_dense) require_positive(where, "intermediate_size", c.intermediate_size);
  if (!any_moe) return;
  require_positive(where, "moe_intermediate_size", c.moe_intermediate_size);
  require_positive(where, "n_routed_experts", c.n_routed_experts);
  if (c.num_experts_per_tok < 1 || c.num_experts_per_tok > c.n_routed_experts) {
    bad(where, "num_experts_per_tok",
        std::to_string(c.num_experts_per_tok) + " must be in 1.." +
            std::to_string(c.n_routed_experts) + " (the number of routed experts)");
  }
  if (c.n_shared_experts < 0) bad(where, "n_shared_experts", "must not be negative");
  if (c.family == ModelFamily::qwen2_moe) {
    require_positive(where, "shared_expert_intermediate_size", c.shared_expert_intermediate_size);
  }
  require_positive(where, "routed_scaling_factor", c.routed_scaling_factor);
  if (c.router == MoeRouteMode::softmax_topk) return;
  if (c.n_group < 1 || c.n_routed_experts % c.n_group != 0) {
    bad(where, "n_group",
        std::to_string(c.n_group) + " does not divide n_routed_experts " +
            std::to_string(c.n_routed_experts));
  }
  if (c.topk_group < 1 || c.topk_group > c.n_group) {
    bad(where, "topk_group",
        std::to_string(c.topk_group) + " must be in 1.." + std::to_string(c.n_group));
  }
  const int per_group = c.n_routed_experts / c.n_group;
  if (c.router == MoeRouteMode::sigmoid_noaux_tc && c.n_group > 1 && per_group < 2) {
    bad(where, "n_group", "leaves fewer than 2 experts per group (a group scores its top 2)");
  }
  if (c.num_experts_per_tok > c.topk_group * per_group) {
    bad(where, "num_experts_per_tok",
        std::to_string(c.num_experts_per_tok) + " exceeds the experts in topk_group groups (" +
            std::to_string(c.topk_group * per_group) + ")");
  }
}

void check_rope(const RopeConfig& r, const std::string& where) {
  require_positive(where, "rope_theta", r.theta);
  if (r.type == "default") return;
  if (r.type != "yarn")
    bad(where, "rope_type", "'" + r.type + "' is not supported (default, yarn)");
  if (!(r.factor >= 1.0)) bad(where, "rope_scaling.factor", "must be >= 1 for yarn");
  require_positive(where, "rope_scaling.original_max_position_embeddings", r.original_max_position);
  if (r.mscale < 0) bad(where, "rope_scaling.mscale", "must not be negative");
  if (r.mscale_all_dim < 0) bad(where, "rope_scaling.mscale_all_dim", "must not be negative");
}

}  // namespace

const char* model_family_name(ModelFamily f) {
  switch (f) {
    case ModelFamily::deepseek_v3:
      return "deepseek_v3";
    case ModelFamily::deepseek_v2:
      return "deepseek_v2";
    case ModelFamily::qwen3_moe:
      return "qwen3_moe";
    case ModelFamily::qwen2_moe:
      return "qwen2_moe";
    case ModelFamily::mixtral:
      return "mixtral";
    case ModelFamily::olmoe:
      return "olmoe";
  }
  return "?";
}

std::string model_family_list() {
  std::string s;
  for (ModelFamily f : kFamilies) s += (s.empty() ? "" : ", ") + std::string(model_family_name(f));
  return s;
}

ModelFamily model_family_parse(const std::string& name, const std::string& where) {
  for (ModelFamily f : kFamilies) {
    if (name == model_family_name(f)) return f;
  }
  throw input_error(where,
                    "unknown model family '" + name + "' (known: " + model_family_list() + ")");
}

void model_config_check(const ModelConfig& c, const std::string& where) {
  require_positive(where, "vocab_size", c.vocab_size);
  require_positive(where, "hidden_size", c.hidden_size);
  require_positive(where, "num_hidden_layers", c.num_layers);
  require_positive(where, "max_position_embeddings", c.max_position_embeddings);
  require_positive(where, "rms_norm_eps", c.rms_norm_eps);
  check_attention(c, where);
  check_moe(c, where);
  check_rope(c.rope, where);
  for (int id : c.eos_token_ids) {
    if (id < 0 || id >= c.vocab_size) {
      bad(where, "eos_token_id",
          std::to_string(id) + " is outside the vocabulary (vocab_size " +
              std::to_string(c.vocab_size) + ")");
    }
  }
  if (c.bos_token_id >= c.vocab_size) {
    bad(where, "bos_token_id",
        std::to_string(c.bos_token_id) + " is outside the vocabulary (vocab_size " +
            std::to_string(c.vocab_size) + ")");
  }
  if (c.num_nextn_predict_layers < 0) {
    bad(where, "num_nextn_predict_layers", "must not be negative");
  }
}

void ModelConfig::validate() const { model_config_check(*this, "model config"); }

nlohmann::json ModelConfig::to_json() const {
  nlohmann::json rope_j = {
      {"theta", rope.theta},          {"type", rope.type},
      {"factor", rope.factor},        {"original_max_position", rope.original_max_position},
      {"beta_fast", rope.beta_fast},  {"beta_slow", rope.beta_slow},
      {"mscale", rope.mscale},        {"mscale_all_dim", rope.mscale_all_dim},
      {"interleave", rope.interleave}};
  nlohmann::json j = {{"family", model_family_name(family)},
                      {"vocab_size", vocab_size},
                      {"hidden_size", hidden_size},
                      {"num_layers", num_layers},
                      {"num_heads", num_heads},
                      {"num_kv_heads", num_kv_heads},
                      {"head_dim", head_dim},
                      {"max_position_embeddings", max_position_embeddings},
                      {"rms_norm_eps", rms_norm_eps},
                      {"tie_word_embeddings", tie_word_embeddings},
                      {"rope", rope_j},
                      {"qkv_bias", qkv_bias},
                      {"o_bias", o_bias},
                      {"qk_norm", qk_norm_name(qk_norm)},
                      {"mla", mla}};
  if (mla) {
    j["q_lora_rank"] = q_lora_rank;
    j["kv_lora_rank"] = kv_lora_rank;
    j["qk_nope_head_dim"] = qk_nope_head_dim;
    j["qk_rope_head_dim"] = qk_rope_head_dim;
    j["v_head_dim"] = v_head_dim;
  }
  j["intermediate_size"] = intermediate_size;
  j["moe_intermediate_size"] = moe_intermediate_size;
  j["n_routed_experts"] = n_routed_experts;
  j["num_experts_per_tok"] = num_experts_per_tok;
  j["n_shared_experts"] = n_shared_experts;
  j["shared_expert_intermediate_size"] = shared_expert_intermediate_size;
  std::string layers;  // "DMMM": dense / MoE per layer, compact for a 61-layer model
  for (bool m : moe_layer) layers += m ? 'M' : 'D';
  j["layers"] = layers;
  j["router"] = moe_route_mode_name(router);
  j["norm_topk_prob"] = norm_topk_prob;
  j["routed_scaling_factor"] = routed_scaling_factor;
  j["n_group"] = n_group;
  j["topk_group"] = topk_group;
  j["eos_token_ids"] = eos_token_ids;
  j["bos_token_id"] = bos_token_id;
  j["num_nextn_predict_layers"] = num_nextn_predict_layers;
  return j;
}

ModelConfig model_config_load(const std::filesystem::path& config_json) {
  const std::string where = config_json.string();
  return model_config_from_json(
      json_read_file(config_json, where, "cannot open the model config", "not valid JSON"), where);
}

}  // namespace moebench
