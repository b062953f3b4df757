// Size presets for `moebench model init` (tiny, small, v2-lite) and their HF config.json per
// family, in the keys each family's configuration class reads.
#include "backends/builtin/checkpoint/model_init.h"
#include "backends/builtin/checkpoint/model_init_internal.h"
#include "backends/builtin/checkpoint/model_weights.h"
#include "common/error.h"

namespace moebench {

namespace {

using nlohmann::json;

// One preset's architecture in family-neutral terms.
struct PresetShape {
  int vocab, hidden, layers, heads, kv_heads, head_dim;
  int dense_inter;  // leading dense layers' SwiGLU width
  int moe_inter, experts, topk;
  int first_dense;  // leading dense layers (deepseek first_k_dense_replace, qwen mlp_only_layers)
  int shared;       // deepseek n_shared_experts; qwen2 shared width = shared * moe_inter
  int q_lora, kv_lora, nope, rope, v;  // MLA; q_lora 0 = null
  int n_group, topk_group;
  int max_pos;
  double yarn_factor;  // 0 = plain rope
  int yarn_original;
  double yarn_mscale;
};

// NOTE: tiny must run the whole CPU engine in milliseconds on 2 cores; small is a few hundred
// MB; v2-lite is DeepSeek-V2-Lite (REFERENCE.md), exact for deepseek_v2.
PresetShape base_shape(const std::string& preset, const std::string& where) {
  if (preset == "tiny") {
    return {1024, 64, 3,  4, 2,  16, 128, 32,   8,   2,   1,  2,
            32,   32, 16, 8, 16, 4,  2,   2048, 4.0, 512, 1.0};
  }
  if (preset == "small") {
    return {4096, 512, 8,  8,  4,  64, 1536, 256,  32,  4,    1,  2,
            192,  128, 64, 32, 64, 4,  2,    4096, 4.0, 1024, 1.0};
  }
  if (preset == "v2-lite") {
    return {102400, 2048, 27,  16, 16,  128, 10944, 1408,   64,   6,    1,    2,
            0,      512,  128, 64, 128, 8,   4,     163840, 40.0, 4096, 0.707};
  }
  throw input_error(where, "unknown preset '" + preset + "' (known: tiny, small, v2-lite)");
}

// Family adjustments: each family keeps its own hallmarks (Mixtral: 8 wide experts, top-2, no
// dense layers; OLMoE: MHA, all MoE; Qwen3: GQA with head_dim != hidden / heads in tiny).
PresetShape family_shape(ModelFamily f, const std::string& preset) {
  PresetShape s = base_shape(preset, "--preset");
  const bool lite = preset == "v2-lite";
  switch (f) {
    case ModelFamily::deepseek_v3:
      s.kv_heads = s.heads;
      s.shared = lite ? 2 : 1;  // v2-lite keeps V2-Lite's exact shape: 2 shared, no q_lora
      break;
    case ModelFamily::deepseek_v2:
      s.kv_heads = s.heads;
      s.q_lora = 0;  // V2-Lite has no q compression
      s.n_group = s.topk_group = 1;
      break;
    case ModelFamily::qwen3_moe:
      if (preset == "tiny") s.head_dim = 24;
      s.kv_heads = lite ? 4 : s.kv_heads;
      s.shared = 0;
      break;
    case ModelFamily::qwen2_moe:
      break;
    case ModelFamily::mixtral:
      s.moe_inter = s.experts * s.moe_inter / 8;  // same routed parameters in 8 experts
      s.experts = 8;
      s.topk = 2;
      s.first_dense = 0;
      s.shared = 0;
      s.kv_heads = s.heads / 4 > 0 ? s.heads / 4 : 1;
      break;
    case ModelFamily::olmoe:
      s.kv_heads = s.heads;
      s.first_dense = 0;
      s.shared = 0;
      break;
  }
  if (f != ModelFamily::deepseek_v3 && f != ModelFamily::deepseek_v2) s.yarn_factor = 0;
  return s;
}

json rope_keys(const PresetShape& s, double theta) {
  json j = {{"rope_theta", theta}};
  if (s.yarn_factor <= 0) {
    j["rope_scaling"] = nullptr;
    return j;
  }
  j["rope_scaling"] = {{"type", "yarn"},
                       {"factor", s.yarn_factor},
                       {"original_max_position_embeddings", s.yarn_original},
                       {"beta_fast", 32},
                       {"beta_slow", 1},
                       {"mscale", s.yarn_mscale},
                       {"mscale_all_dim", s.yarn_mscale}};
  return j;
}

json deepseek_keys(ModelFamily f, const PresetShape& s) {
  const bool v3 = f == ModelFamily::deepseek_v3;
  json j = {{"q_lora_rank", s.q_lora > 0 ? json(s.q_lora) : json(nullptr)},
            {"kv_lora_rank", s.kv_lora},
            {"qk_nope_head_dim", s.nope},
            {"qk_rope_head_dim", s.rope},
            {"v_head_dim", s.v},
            {"moe_intermediate_size", s.moe_inter},
            {"n_routed_experts", s.experts},
            {"n_shared_experts", s.shared},
            {"num_experts_per_tok", s.topk},
            {"first_k_dense_replace", s.first_dense},
            {"moe_layer_freq", 1},
            {"n_group", s.n_group},
            {"topk_group", s.topk_group},
            {"topk_method", v3 ? "noaux_tc" : "greedy"},
            {"scoring_func", v3 ? "sigmoid" : "softmax"},
            {"norm_topk_prob", v3},
            {"routed_scaling_factor", v3 ? 2.5 : 1.0},
            {"attention_bias", false}};
  if (v3) {
    j["rope_interleave"] = true;
    j["num_nextn_predict_layers"] = 0;  // no MTP module is written
  }
  return j;
}

json family_keys(ModelFamily f, const PresetShape& s) {
  json dense_layers = json::array();
  for (int i = 0; i < s.first_dense; ++i) dense_layers.push_back(i);
  switch (f) {
    case ModelFamily::deepseek_v3:
    case ModelFamily::deepseek_v2:
      return deepseek_keys(f, s);
    case ModelFamily::qwen3_moe:
      return {{"head_dim", s.head_dim},          {"moe_intermediate_size", s.moe_inter},
              {"num_experts", s.experts},        {"num_experts_per_tok", s.topk},
              {"norm_topk_prob", true},          {"decoder_sparse_step", 1},
              {"mlp_only_layers", dense_layers}, {"attention_bias", false},
              {"use_sliding_window", false},     {"sliding_window", nullptr}};
    case ModelFamily::qwen2_moe:
      return {{"moe_intermediate_size", s.moe_inter},
              {"shared_expert_intermediate_size", s.shared * s.moe_inter},
              {"num_experts", s.experts},
              {"num_experts_per_tok", s.topk},
              {"norm_topk_prob", false},
              {"decoder_sparse_step", 1},
              {"mlp_only_layers", dense_layers},
              {"qkv_bias", true},
              {"use_sliding_window", false}};
    case ModelFamily::mixtral:
      return {{"num_local_experts", s.experts},
              {"num_experts_per_tok", s.topk},
              {"head_dim", s.head_dim},
              {"sliding_window", nullptr},
              {"router_aux_loss_coef", 0.02}};
    case ModelFamily::olmoe:
      return {{"num_experts", s.experts},
              {"num_experts_per_tok", s.topk},
              {"norm_topk_prob", false},
              {"clip_qkv", nullptr},
              {"attention_bias", false}};
  }
  return json::object();
}

const char* architecture(ModelFamily f) {
  switch (f) {
    case ModelFamily::deepseek_v3:
      return "DeepseekV3ForCausalLM";
    case ModelFamily::deepseek_v2:
      return "DeepseekV2ForCausalLM";
    case ModelFamily::qwen3_moe:
      return "Qwen3MoeForCausalLM";
    case ModelFamily::qwen2_moe:
      return "Qwen2MoeForCausalLM";
    case ModelFamily::mixtral:
      return "MixtralForCausalLM";
    case ModelFamily::olmoe:
      return "OlmoeForCausalLM";
  }
  return "?";
}

}  // namespace

std::vector<std::string> model_preset_names() { return {"tiny", "small", "v2-lite"}; }

nlohmann::json model_preset_config(ModelFamily f, const std::string& preset) {
  const PresetShape s = family_shape(f, preset);
  const bool mixtral = f == ModelFamily::mixtral;
  json j = {{"architectures", {architecture(f)}},
            {"model_type", model_family_name(f)},
            {"vocab_size", s.vocab},
            {"hidden_size", s.hidden},
            {"intermediate_size", mixtral ? s.moe_inter : s.dense_inter},
            {"num_hidden_layers", s.layers},
            {"num_attention_heads", s.heads},
            {"num_key_value_heads", s.kv_heads},
            {"hidden_act", "silu"},
            {"max_position_embeddings", s.max_pos},
            {"initializer_range", 0.02},
            {"rms_norm_eps", (mixtral || f == ModelFamily::olmoe) ? 1e-5 : 1e-6},
            {"use_cache", true},
            {"tie_word_embeddings", false}};
  if (f == ModelFamily::olmoe) j["intermediate_size"] = s.moe_inter;  // OLMoE's expert width
  j.update(rope_keys(s, (mixtral || f == ModelFamily::qwen2_moe || f == ModelFamily::qwen3_moe)
                            ? 1000000.0
                            : 10000.0));
  j.update(family_keys(f, s));
  const FamilyTokens tokens = family_tokens(f);
  const int first_special = s.vocab - static_cast<int>(tokens.specials.size());
  auto id_of = [&](const std::string& tok) {
    for (size_t i = 0; i < tokens.specials.size(); ++i) {
      if (tokens.specials[i] == tok) return first_special + static_cast<int>(i);
    }
    return -1;
  };
  j["bos_token_id"] = tokens.bos.empty() ? json(nullptr) : json(id_of(tokens.bos));
  json eos = json::array();
  for (const auto& e : tokens.eos) eos.push_back(id_of(e));
  j["eos_token_id"] = eos.size() == 1 ? eos[0] : eos;
  return j;
}

}  // namespace moebench
