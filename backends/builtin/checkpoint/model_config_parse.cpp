// model_config_from_json: HF config.json -> ModelConfig for each family. Absent keys take the
// defaults of the transformers 5.17 configuration classes (configuration_<family>.py).
#include <algorithm>
#include <climits>
#include <initializer_list>
#include <set>

#include "backends/builtin/checkpoint/model_config.h"
#include "backends/builtin/checkpoint/model_config_internal.h"
#include "common/error.h"

namespace moebench {

namespace {

using nlohmann::json;

// Typed access to one JSON object's keys; errors name "<where>: field '<prefix><key>'". A key
// holding null counts as absent (HF treats None as "use the default" for these fields) unless
// the caller asks with is_null().
class Keys {
 public:
  Keys(const json& j, std::string where, std::string prefix = "")
      : j_(j), where_(std::move(where)), prefix_(std::move(prefix)) {}

  bool has(const char* key) const {
    auto it = j_.find(key);
    return it != j_.end() && !it->is_null();
  }
  bool is_null(const char* key) const {
    auto it = j_.find(key);
    return it != j_.end() && it->is_null();
  }
  const json& at(const char* key) const { return j_.at(key); }
  const std::string& where() const { return where_; }

  [[noreturn]] void fail(const std::string& key, const std::string& what) const {
    throw input_error(where_, "field '" + prefix_ + key + "': " + what);
  }
  int integer(const char* key, int def) const {
    if (!has(key)) return def;
    const json& v = j_.at(key);
    if (!v.is_number_integer()) fail(key, "must be an integer, got " + shown(v));
    if (v.is_number_unsigned() ? v.get<uint64_t>() > INT_MAX
                               : (v.get<int64_t>() > INT_MAX || v.get<int64_t>() < INT_MIN)) {
      fail(key, "out of range: " + shown(v));
    }
    return v.get<int>();
  }
  double number(const char* key, double def) const {
    if (!has(key)) return def;
    const json& v = j_.at(key);
    if (!v.is_number()) fail(key, "must be a number, got " + shown(v));
    return v.get<double>();
  }
  bool boolean(const char* key, bool def) const {
    if (!has(key)) return def;
    const json& v = j_.at(key);
    if (!v.is_boolean()) fail(key, "must be true or false, got " + shown(v));
    return v.get<bool>();
  }
  std::string string(const char* key, const std::string& def) const {
    if (!has(key)) return def;
    const json& v = j_.at(key);
    if (!v.is_string()) fail(key, "must be a string, got " + shown(v));
    return v.get<std::string>();
  }
  // An int or a list of ints (eos_token_id); null or absent gives `def`.
  std::vector<int> int_or_list(const char* key, std::vector<int> def) const {
    if (!has(key)) return def;
    const json& v = j_.at(key);
    if (v.is_number_integer()) return {integer(key, 0)};
    if (!v.is_array()) fail(key, "must be an integer or a list of integers, got " + shown(v));
    std::vector<int> out;
    for (const json& e : v) {
      if (!e.is_number_integer() || e.get<int64_t>() < 0 || e.get<int64_t>() > INT_MAX) {
        fail(key, "must be an integer or a list of integers, got " + shown(v));
      }
      out.push_back(e.get<int>());
    }
    return out;
  }
  // The first of `keys` present (HF attribute_map aliases: v5 saves some fields under the
  // aliased name, e.g. qwen3_moe writes num_local_experts for num_experts); else keys[0].
  const char* alias(std::initializer_list<const char*> keys) const {
    for (const char* key : keys) {
      if (has(key)) return key;
    }
    return *keys.begin();
  }
  // Rejects a key whose value is set to anything but `allowed` (features we do not implement).
  void require_value(const char* key, const json& allowed, const std::string& why) const {
    if (has(key) && j_.at(key) != allowed)
      fail(key, shown(j_.at(key)) + " is not supported (" + why + ")");
  }

  static std::string shown(const json& v) {
    std::string s = v.dump(-1, ' ', false, json::error_handler_t::replace);
    return s.size() > 60 ? s.substr(0, 57) + "..." : s;
  }

 private:
  const json& j_;
  std::string where_;
  std::string prefix_;
};

// The defaults that differ per family (the dataclass fields of configuration_<family>.py).
struct FamilyDefaults {
  int vocab, hidden, intermediate, layers, heads, kv_heads, max_pos;
  double eps;
  int bos;               // -1 = None
  std::vector<int> eos;  // empty = None
  double theta;          // RotaryEmbeddingConfigMixin.default_theta (mixtral overrides it)
};

FamilyDefaults family_defaults(ModelFamily f) {
  switch (f) {
    case ModelFamily::deepseek_v3:
      return {129280, 7168, 18432, 61, 128, 128, 4096, 1e-6, 0, {1}, 10000.0};
    case ModelFamily::deepseek_v2:  // num_key_value_heads None -> num_attention_heads
      return {102400, 4096, 11008, 32, 32, -1, 2048, 1e-6, 1, {2}, 10000.0};
    case ModelFamily::qwen3_moe:
      return {151936, 2048, 6144, 24, 32, 4, 32768, 1e-6, -1, {}, 10000.0};
    case ModelFamily::qwen2_moe:
      return {151936, 2048, 5632, 24, 16, 16, 32768, 1e-6, -1, {}, 10000.0};
    case ModelFamily::mixtral:
      return {32000, 4096, 14336, 32, 32, 8, 4096 * 32, 1e-5, 1, {2}, 1000000.0};
    case ModelFamily::olmoe:
      return {50304, 2048, 2048, 16, 16, -1, 4096, 1e-5, -1, {50279}, 10000.0};
  }
  return {};
}

void parse_common(const Keys& k, const FamilyDefaults& d, ModelConfig& c) {
  c.vocab_size = k.integer("vocab_size", d.vocab);
  c.hidden_size = k.integer("hidden_size", d.hidden);
  c.intermediate_size = k.integer("intermediate_size", d.intermediate);
  c.num_layers = k.integer("num_hidden_layers", d.layers);
  c.num_heads = k.integer("num_attention_heads", d.heads);
  c.num_kv_heads = k.integer("num_key_value_heads", d.kv_heads < 0 ? c.num_heads : d.kv_heads);
  // NOTE: None is num_attention_heads, as HF's mixtral and deepseek_v3 configs map it (an absent
  // key is their class default, 8 and 128); deepseek_v2's and olmoe's default is None.
  if (k.is_null("num_key_value_heads")) c.num_kv_heads = c.num_heads;
  c.max_position_embeddings = k.integer("max_position_embeddings", d.max_pos);
  c.rms_norm_eps = k.number("rms_norm_eps", d.eps);
  c.tie_word_embeddings = k.boolean("tie_word_embeddings", false);
  c.bos_token_id = k.integer("bos_token_id", d.bos);
  c.eos_token_ids = k.int_or_list("eos_token_id", d.eos);
  const std::string act = k.string("hidden_act", "silu");
  if (act != "silu") k.fail("hidden_act", "'" + act + "' is not supported (only silu)");
  if (c.num_heads > 0) c.head_dim = c.hidden_size / c.num_heads;
}

// Yarn keys of a rope dict (`rope_scaling` or `rope_parameters`), as _compute_yarn_parameters
// reads them: beta_fast/beta_slow fall back to 32/1 when absent or 0.
void parse_yarn(const Keys& r, const Keys& top, ModelConfig& c) {
  RopeConfig& rope = c.rope;
  if (!r.has("factor")) r.fail("factor", "missing (required for rope type yarn)");
  rope.factor = r.number("factor", 1.0);
  // NOTE: like HF, a top-level original_max_position_embeddings (Phi-3 style) takes priority.
  rope.original_max_position =
      top.has("original_max_position_embeddings")
          ? top.integer("original_max_position_embeddings", 0)
          : r.integer("original_max_position_embeddings", c.max_position_embeddings);
  rope.beta_fast = r.number("beta_fast", 0.0);
  if (rope.beta_fast == 0.0) rope.beta_fast = 32.0;
  rope.beta_slow = r.number("beta_slow", 0.0);
  if (rope.beta_slow == 0.0) rope.beta_slow = 1.0;
  rope.mscale = r.number("mscale", 0.0);
  rope.mscale_all_dim = r.number("mscale_all_dim", 0.0);
  if (r.has("attention_factor")) r.fail("attention_factor", "not supported");
  r.require_value("truncate", true, "only truncate=true, the default");
}

// Old configs: top-level `rope_theta` + `rope_scaling` {type|rope_type, ...}; transformers v5:
// `rope_parameters` {rope_theta, rope_type, ...}. As in HF, a non-null rope_scaling wins.
void parse_rope(const Keys& top, const json& j, double default_theta, ModelConfig& c) {
  const char* src_key = nullptr;
  for (const char* key : {"rope_scaling", "rope_parameters"}) {
    if (!top.has(key)) continue;
    if (!j.at(key).is_object()) top.fail(key, "must be an object, got " + Keys::shown(j.at(key)));
    if (!j.at(key).empty()) {
      src_key = key;
      break;
    }
  }
  static const json kEmpty = json::object();
  const json& src = src_key ? j.at(src_key) : kEmpty;
  Keys r(src, top.where(), std::string(src_key ? src_key : "rope_parameters") + ".");
  c.rope.theta =
      r.has("rope_theta") ? r.number("rope_theta", 0.0) : top.number("rope_theta", default_theta);
  c.rope.type = r.has("rope_type") ? r.string("rope_type", "") : r.string("type", "default");
  if (r.has("partial_rotary_factor") && r.number("partial_rotary_factor", 1.0) != 1.0) {
    r.fail("partial_rotary_factor", "not supported");
  }
  if (top.has("partial_rotary_factor") && top.number("partial_rotary_factor", 1.0) != 1.0) {
    top.fail("partial_rotary_factor", "not supported");
  }
  if (c.rope.type == "yarn") {
    parse_yarn(r, top, c);
  } else if (c.rope.type != "default") {
    r.fail(r.has("rope_type") ? "rope_type" : "type",
           "'" + c.rope.type + "' is not supported (default, yarn)");
  }
}

// DeepSeek: MoE from layer first_k_dense_replace on, every moe_layer_freq-th layer (the
// original modeling_deepseek.py rule; transformers 5.17 ignores moe_layer_freq, and every
// released config has moe_layer_freq 1, where both agree).
void parse_deepseek(const Keys& k, ModelConfig& c) {
  const bool v3 = c.family == ModelFamily::deepseek_v3;
  c.mla = true;
  c.q_lora_rank = k.is_null("q_lora_rank") ? 0 : k.integer("q_lora_rank", 1536);
  c.kv_lora_rank = k.integer("kv_lora_rank", 512);
  c.qk_nope_head_dim = k.integer("qk_nope_head_dim", 128);
  c.qk_rope_head_dim = k.integer("qk_rope_head_dim", 64);
  c.v_head_dim = k.integer("v_head_dim", 128);
  c.head_dim = c.qk_rope_head_dim;
  c.moe_intermediate_size = k.integer("moe_intermediate_size", v3 ? 2048 : 1407);
  c.n_routed_experts = k.integer(
      k.alias({"n_routed_experts", v3 ? "num_local_experts" : "num_experts"}), v3 ? 256 : 64);
  c.n_shared_experts = k.integer("n_shared_experts", v3 ? 1 : 2);
  if (!v3 && !k.has("num_experts_per_tok")) {
    k.fail("num_experts_per_tok", "missing (DeepseekV2Config has no default for it)");
  }
  c.num_experts_per_tok = k.integer("num_experts_per_tok", 8);
  c.routed_scaling_factor = k.number("routed_scaling_factor", v3 ? 2.5 : 1.0);
  c.n_group = k.is_null("n_group") ? 1 : k.integer("n_group", v3 ? 8 : 1);
  c.topk_group = k.is_null("topk_group") ? 1 : k.integer("topk_group", v3 ? 4 : 1);
  c.norm_topk_prob = k.boolean("norm_topk_prob", v3);
  const int first_dense = k.integer("first_k_dense_replace", v3 ? 3 : 0);
  const int freq = k.integer("moe_layer_freq", 1);
  if (freq < 1) k.fail("moe_layer_freq", "must be positive");
  for (int i = 0; i < c.num_layers; ++i) {
    c.moe_layer.push_back(c.n_routed_experts > 0 && i >= first_dense && i % freq == 0);
  }
  c.qkv_bias = c.o_bias = k.boolean("attention_bias", false);
  k.require_value("mlp_bias", false, "no MLP biases");
  if (v3) {
    c.router = MoeRouteMode::sigmoid_noaux_tc;
    k.require_value("scoring_func", "sigmoid", "deepseek_v3 routes with sigmoid");
    k.require_value("topk_method", "noaux_tc", "deepseek_v3 routes with noaux_tc");
    c.rope.interleave = k.boolean("rope_interleave", true);
    c.num_nextn_predict_layers =
        k.integer(k.alias({"num_nextn_predict_layers", "num_mtp_layers"}), 1);
    return;
  }
  c.rope.interleave = true;  // V2 applies rope as complex multiplication of (2i, 2i+1) pairs
  k.require_value("scoring_func", "softmax", "deepseek_v2 routes with softmax");
  const std::string method = k.string("topk_method", "greedy");
  if (method == "greedy") {
    c.router = MoeRouteMode::softmax_topk;
  } else if (method == "group_limited_greedy") {
    c.router = MoeRouteMode::softmax_group;
    if (!k.has("n_group")) k.fail("n_group", "missing (required by group_limited_greedy)");
    if (!k.has("topk_group")) k.fail("topk_group", "missing (required by group_limited_greedy)");
  } else {
    k.fail("topk_method", "'" + method + "' is not supported (greedy, group_limited_greedy)");
  }
}

void parse_quantization(const Keys& k, const json& j) {
  if (!k.has("quantization_config")) return;
  const json& q = j.at("quantization_config");
  if (!q.is_object()) k.fail("quantization_config", "must be an object");
  Keys qk(q, k.where(), "quantization_config.");
  const std::string method = qk.string("quant_method", "");
  if (method != "fp8") qk.fail("quant_method", "'" + method + "' is not supported (only fp8)");
  qk.require_value("fmt", "e4m3", "only e4m3");
  qk.require_value("weight_block_size", json::array({128, 128}), "only 128x128 blocks");
}

// Qwen2-MoE / Qwen3-MoE: MoE where layer not in mlp_only_layers and (i + 1) % decoder_sparse_step
// == 0; head_dim from the config when given (Qwen3: often != hidden / heads).
void parse_qwen(const Keys& k, const json& j, ModelConfig& c) {
  const bool q3 = c.family == ModelFamily::qwen3_moe;
  c.head_dim = k.integer("head_dim", c.head_dim);
  c.moe_intermediate_size = k.integer("moe_intermediate_size", q3 ? 768 : 1408);
  c.n_routed_experts =
      k.integer(q3 ? k.alias({"num_experts", "num_local_experts"}) : "num_experts", q3 ? 128 : 60);
  c.num_experts_per_tok = k.integer("num_experts_per_tok", q3 ? 8 : 4);
  c.norm_topk_prob = k.boolean("norm_topk_prob", false);
  c.router = MoeRouteMode::softmax_topk;
  const int step = k.integer("decoder_sparse_step", 1);
  if (step < 1) k.fail("decoder_sparse_step", "must be positive");
  std::set<int> mlp_only;
  if (k.has("mlp_only_layers")) {
    const json& v = j.at("mlp_only_layers");
    if (!v.is_array()) k.fail("mlp_only_layers", "must be a list of layer indices");
    for (const json& e : v) {
      if (!e.is_number_integer()) k.fail("mlp_only_layers", "must be a list of layer indices");
      mlp_only.insert(e.get<int>());
    }
  }
  for (int i = 0; i < c.num_layers; ++i) {
    c.moe_layer.push_back(!mlp_only.count(i) && c.n_routed_experts > 0 && (i + 1) % step == 0);
  }
  k.require_value("use_sliding_window", false, "no sliding-window attention");
  if (q3) {
    c.qk_norm = ModelConfig::QkNorm::per_head;
    c.qkv_bias = c.o_bias = k.boolean("attention_bias", false);
  } else {
    c.shared_expert_intermediate_size = k.integer("shared_expert_intermediate_size", 5632);
    c.qkv_bias = k.boolean("qkv_bias", true);
  }
}

void parse_mixtral(const Keys& k, ModelConfig& c) {
  c.head_dim = k.integer("head_dim", c.head_dim);
  c.n_routed_experts = k.integer(k.alias({"num_local_experts", "num_experts"}), 8);
  c.num_experts_per_tok = k.integer("num_experts_per_tok", 2);
  c.moe_intermediate_size = c.intermediate_size;
  c.norm_topk_prob = true;  // MixtralTopKRouter always renormalizes the top-k softmax weights
  c.router = MoeRouteMode::softmax_topk;
  c.moe_layer.assign(std::max(c.num_layers, 0), true);
  if (k.has("sliding_window"))
    k.fail("sliding_window", "not supported (no sliding-window attention; only null)");
}

// OLMoE: q_norm spans the whole q projection (hidden_size), k_norm the whole k projection.
void parse_olmoe(const Keys& k, ModelConfig& c) {
  if (k.has("head_dim") && k.integer("head_dim", 0) != c.head_dim) {
    k.fail("head_dim",
           "must equal hidden_size / num_attention_heads for olmoe (its q_norm spans "
           "hidden_size)");
  }
  c.n_routed_experts = k.integer(k.alias({"num_experts", "num_local_experts"}), 64);
  c.num_experts_per_tok = k.integer("num_experts_per_tok", 8);
  c.norm_topk_prob = k.boolean("norm_topk_prob", false);
  c.moe_intermediate_size = c.intermediate_size;
  c.router = MoeRouteMode::softmax_topk;
  c.moe_layer.assign(std::max(c.num_layers, 0), true);
  c.qk_norm = ModelConfig::QkNorm::full;
  c.qkv_bias = c.o_bias = k.boolean("attention_bias", false);
  if (k.has("clip_qkv")) k.fail("clip_qkv", "not supported (only null)");
}

}  // namespace

ModelConfig model_config_from_json(const nlohmann::json& j, const std::string& where) {
  if (!j.is_object()) throw input_error(where, "the model config must be a JSON object");
  Keys k(j, where);
  if (!k.has("model_type")) {
    k.fail("model_type", "missing (known families: " + model_family_list() + ")");
  }
  ModelConfig c;
  c.family = model_family_parse(k.string("model_type", ""), where + ": field 'model_type'");
  const FamilyDefaults d = family_defaults(c.family);
  parse_common(k, d, c);
  switch (c.family) {
    case ModelFamily::deepseek_v3:
    case ModelFamily::deepseek_v2:
      parse_deepseek(k, c);
      break;
    case ModelFamily::qwen3_moe:
    case ModelFamily::qwen2_moe:
      parse_qwen(k, j, c);
      break;
    case ModelFamily::mixtral:
      parse_mixtral(k, c);
      break;
    case ModelFamily::olmoe:
      parse_olmoe(k, c);
      break;
  }
  parse_quantization(k, j);
  parse_rope(k, j, d.theta, c);
  model_config_check(c, where);
  return c;
}

}  // namespace moebench
