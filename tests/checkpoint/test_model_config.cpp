// ModelConfig: HF config.json parsing per family (real configs written inline, both rope formats,
// HF defaults) and the one-line errors for what we reject.
#include <algorithm>

#include "backends/builtin/checkpoint/model_config.h"
#include "tests/catch.h"
#include "tests/checkpoint/checkpoint_test_util.h"

using ckpt_test::input_error_of;
using moebench::ModelConfig;
using moebench::ModelFamily;
using moebench::MoeRouteMode;
using nlohmann::json;

namespace {

ModelConfig parse(const json& j) { return moebench::model_config_from_json(j, "config.json"); }

int count_moe(const ModelConfig& c) {
  return static_cast<int>(std::count(c.moe_layer.begin(), c.moe_layer.end(), true));
}

// deepseek-ai/DeepSeek-V3 config.json (auto_map dropped).
const char* kDeepSeekV3 = R"({
  "architectures": ["DeepseekV3ForCausalLM"], "attention_bias": false, "attention_dropout": 0.0,
  "aux_loss_alpha": 0.001, "bos_token_id": 0, "eos_token_id": 1, "ep_size": 1,
  "first_k_dense_replace": 3, "hidden_act": "silu", "hidden_size": 7168,
  "initializer_range": 0.02, "intermediate_size": 18432, "kv_lora_rank": 512,
  "max_position_embeddings": 163840, "model_type": "deepseek_v3", "moe_intermediate_size": 2048,
  "moe_layer_freq": 1, "n_group": 8, "n_routed_experts": 256, "n_shared_experts": 1,
  "norm_topk_prob": true, "num_attention_heads": 128, "num_experts_per_tok": 8,
  "num_hidden_layers": 61, "num_key_value_heads": 128, "num_nextn_predict_layers": 1,
  "pretraining_tp": 1, "q_lora_rank": 1536, "qk_nope_head_dim": 128, "qk_rope_head_dim": 64,
  "quantization_config": {"activation_scheme": "dynamic", "fmt": "e4m3", "quant_method": "fp8",
                          "weight_block_size": [128, 128]},
  "rms_norm_eps": 1e-06,
  "rope_scaling": {"beta_fast": 32, "beta_slow": 1, "factor": 40, "mscale": 1.0,
                   "mscale_all_dim": 1.0, "original_max_position_embeddings": 4096,
                   "type": "yarn"},
  "rope_theta": 10000, "routed_scaling_factor": 2.5, "scoring_func": "sigmoid", "seq_aux": true,
  "tie_word_embeddings": false, "topk_group": 4, "topk_method": "noaux_tc",
  "torch_dtype": "bfloat16", "transformers_version": "4.33.1", "use_cache": true,
  "v_head_dim": 128, "vocab_size": 129280})";

// deepseek-ai/DeepSeek-V2-Lite config.json (auto_map dropped).
const char* kDeepSeekV2Lite = R"({
  "architectures": ["DeepseekV2ForCausalLM"], "attention_bias": false, "attention_dropout": 0.0,
  "aux_loss_alpha": 0.001, "bos_token_id": 100000, "eos_token_id": 100001,
  "first_k_dense_replace": 1, "hidden_act": "silu", "hidden_size": 2048,
  "initializer_range": 0.02, "intermediate_size": 10944, "kv_lora_rank": 512,
  "max_position_embeddings": 163840, "model_type": "deepseek_v2", "moe_intermediate_size": 1408,
  "moe_layer_freq": 1, "n_group": 1, "n_routed_experts": 64, "n_shared_experts": 2,
  "norm_topk_prob": false, "num_attention_heads": 16, "num_experts_per_tok": 6,
  "num_hidden_layers": 27, "num_key_value_heads": 16, "pretraining_tp": 1, "q_lora_rank": null,
  "qk_nope_head_dim": 128, "qk_rope_head_dim": 64, "rms_norm_eps": 1e-06,
  "rope_scaling": {"beta_fast": 32, "beta_slow": 1, "factor": 40, "mscale": 0.707,
                   "mscale_all_dim": 0.707, "original_max_position_embeddings": 4096,
                   "type": "yarn"},
  "rope_theta": 10000, "routed_scaling_factor": 1.0, "scoring_func": "softmax", "seq_aux": true,
  "tie_word_embeddings": false, "topk_group": 1, "topk_method": "greedy",
  "torch_dtype": "bfloat16", "transformers_version": "4.33.1", "use_cache": true,
  "v_head_dim": 128, "vocab_size": 102400})";

// Qwen/Qwen1.5-MoE-A2.7B config.json.
const char* kQwen15Moe = R"({
  "architectures": ["Qwen2MoeForCausalLM"], "attention_dropout": 0.0, "bos_token_id": 151643,
  "eos_token_id": 151643, "hidden_act": "silu", "hidden_size": 2048, "initializer_range": 0.02,
  "intermediate_size": 5632, "max_position_embeddings": 8192, "max_window_layers": 21,
  "model_type": "qwen2_moe", "num_attention_heads": 16, "num_hidden_layers": 24,
  "num_key_value_heads": 16, "rms_norm_eps": 1e-06, "rope_theta": 1000000.0,
  "sliding_window": 32768, "tie_word_embeddings": false, "torch_dtype": "bfloat16",
  "transformers_version": "4.39.0.dev0", "use_cache": true, "use_sliding_window": false,
  "vocab_size": 151936, "decoder_sparse_step": 1, "moe_intermediate_size": 1408,
  "shared_expert_intermediate_size": 5632, "num_experts_per_tok": 4, "num_experts": 60,
  "norm_topk_prob": false, "output_router_logits": false, "router_aux_loss_coef": 0.001})";

// Qwen/Qwen3-30B-A3B config.json.
const char* kQwen3Moe = R"({
  "architectures": ["Qwen3MoeForCausalLM"], "attention_bias": false, "attention_dropout": 0.0,
  "bos_token_id": 151643, "decoder_sparse_step": 1, "eos_token_id": 151645, "head_dim": 128,
  "hidden_act": "silu", "hidden_size": 2048, "initializer_range": 0.02,
  "intermediate_size": 6144, "max_position_embeddings": 40960, "max_window_layers": 48,
  "mlp_only_layers": [], "model_type": "qwen3_moe", "moe_intermediate_size": 768,
  "norm_topk_prob": true, "num_attention_heads": 32, "num_experts": 128,
  "num_experts_per_tok": 8, "num_hidden_layers": 48, "num_key_value_heads": 4,
  "output_router_logits": false, "rms_norm_eps": 1e-06, "rope_scaling": null,
  "rope_theta": 1000000.0, "router_aux_loss_coef": 0.001, "sliding_window": null,
  "tie_word_embeddings": false, "torch_dtype": "bfloat16", "transformers_version": "4.51.0",
  "use_cache": true, "use_sliding_window": false, "vocab_size": 151936})";

// mistralai/Mixtral-8x7B-v0.1 config.json.
const char* kMixtral = R"({
  "architectures": ["MixtralForCausalLM"], "attention_dropout": 0.0, "bos_token_id": 1,
  "eos_token_id": 2, "hidden_act": "silu", "hidden_size": 4096, "initializer_range": 0.02,
  "intermediate_size": 14336, "max_position_embeddings": 32768, "model_type": "mixtral",
  "num_attention_heads": 32, "num_experts_per_tok": 2, "num_hidden_layers": 32,
  "num_key_value_heads": 8, "num_local_experts": 8, "output_router_logits": false,
  "rms_norm_eps": 1e-05, "rope_theta": 1000000.0, "router_aux_loss_coef": 0.02,
  "sliding_window": null, "tie_word_embeddings": false, "torch_dtype": "bfloat16",
  "transformers_version": "4.36.0.dev0", "use_cache": true, "vocab_size": 32000})";

// allenai/OLMoE-1B-7B-0924 config.json.
const char* kOlmoe = R"({
  "architectures": ["OlmoeForCausalLM"], "attention_bias": false, "attention_dropout": 0.0,
  "clip_qkv": null, "eos_token_id": 50279, "hidden_act": "silu", "hidden_size": 2048,
  "initializer_range": 0.02, "intermediate_size": 1024, "max_position_embeddings": 4096,
  "model_type": "olmoe", "norm_topk_prob": false, "num_attention_heads": 16,
  "num_experts": 64, "num_experts_per_tok": 8, "num_hidden_layers": 16,
  "num_key_value_heads": 16, "output_router_logits": false, "pad_token_id": 1,
  "rms_norm_eps": 1e-05, "rope_scaling": null, "rope_theta": 10000.0,
  "router_aux_loss_coef": 0.01, "tie_word_embeddings": false, "torch_dtype": "bfloat16",
  "transformers_version": "4.43.0.dev0", "use_cache": true, "vocab_size": 50304})";

}  // namespace

TEST_CASE("DeepSeek-V3 config.json parses with yarn, groups and fp8", "[config]") {
  const ModelConfig c = parse(json::parse(kDeepSeekV3));
  CHECK(c.family == ModelFamily::deepseek_v3);
  CHECK(c.num_layers == 61);
  CHECK(c.hidden_size == 7168);
  CHECK(c.mla);
  CHECK(c.q_lora_rank == 1536);
  CHECK(c.kv_lora_rank == 512);
  CHECK(c.q_head_dim() == 192);
  CHECK(c.rope_dim() == 64);
  CHECK(c.v_head_dim == 128);
  CHECK(c.n_routed_experts == 256);
  CHECK(c.n_shared_experts == 1);
  CHECK(c.num_experts_per_tok == 8);
  CHECK(c.n_group == 8);
  CHECK(c.topk_group == 4);
  CHECK(c.router == MoeRouteMode::sigmoid_noaux_tc);
  CHECK(c.norm_topk_prob);
  CHECK(c.routed_scaling_factor == 2.5);
  REQUIRE(c.moe_layer.size() == 61);
  CHECK(!c.moe_layer[0]);
  CHECK(!c.moe_layer[2]);
  CHECK(c.moe_layer[3]);
  CHECK(count_moe(c) == 58);
  CHECK(c.rope.type == "yarn");
  CHECK(c.rope.theta == 10000.0);
  CHECK(c.rope.factor == 40.0);
  CHECK(c.rope.original_max_position == 4096);
  CHECK(c.rope.beta_fast == 32.0);
  CHECK(c.rope.beta_slow == 1.0);
  CHECK(c.rope.mscale == 1.0);
  CHECK(c.rope.mscale_all_dim == 1.0);
  CHECK(c.rope.interleave);
  CHECK(c.eos_token_ids == std::vector<int>{1});
  CHECK(c.bos_token_id == 0);
  CHECK(c.num_nextn_predict_layers == 1);
  CHECK(!c.tie_word_embeddings);
  CHECK(!c.qkv_bias);
  CHECK(c.to_json()["family"] == "deepseek_v3");
  CHECK(c.to_json()["layers"].get<std::string>().substr(0, 5) == "DDDMM");
}

TEST_CASE("DeepSeek-V2-Lite config.json parses: no q_lora, greedy softmax", "[config]") {
  const ModelConfig c = parse(json::parse(kDeepSeekV2Lite));
  CHECK(c.family == ModelFamily::deepseek_v2);
  CHECK(c.q_lora_rank == 0);
  CHECK(c.router == MoeRouteMode::softmax_topk);
  CHECK(!c.norm_topk_prob);
  CHECK(c.routed_scaling_factor == 1.0);
  CHECK(c.num_experts_per_tok == 6);
  CHECK(c.n_shared_experts == 2);
  CHECK(c.moe_intermediate_size == 1408);
  CHECK(c.intermediate_size == 10944);
  CHECK(!c.moe_layer[0]);
  CHECK(count_moe(c) == 26);
  CHECK(c.rope.mscale == 0.707);
  CHECK(c.rope.interleave);
  CHECK(c.eos_token_ids == std::vector<int>{100001});
  CHECK(c.vocab_size == 102400);
}

TEST_CASE("transformers v5 rope_parameters equal the classic rope_theta + rope_scaling",
          "[config]") {
  json v5 = json::parse(kDeepSeekV2Lite);
  v5.erase("rope_theta");
  v5.erase("rope_scaling");
  v5["rope_parameters"] = {{"rope_theta", 10000.0}, {"rope_type", "yarn"},
                           {"factor", 40.0},        {"original_max_position_embeddings", 4096},
                           {"beta_fast", 32.0},     {"beta_slow", 1.0},
                           {"mscale", 0.707},       {"mscale_all_dim", 0.707}};
  const ModelConfig a = parse(json::parse(kDeepSeekV2Lite));
  const ModelConfig b = parse(v5);
  CHECK(a.to_json() == b.to_json());

  // rope_scaling {"rope_type": ...} spelling, theta from the top level, defaults for the rest.
  json q3 = json::parse(kQwen3Moe);
  q3["rope_scaling"] = {
      {"rope_type", "yarn"}, {"factor", 4.0}, {"original_max_position_embeddings", 32768}};
  const ModelConfig y = parse(q3);
  CHECK(y.rope.type == "yarn");
  CHECK(y.rope.theta == 1000000.0);
  CHECK(y.rope.factor == 4.0);
  CHECK(y.rope.beta_fast == 32.0);
  CHECK(y.rope.beta_slow == 1.0);
  CHECK(y.rope.mscale == 0.0);
  CHECK(!y.rope.interleave);

  // Absent everywhere: the class's default_theta (Mixtral overrides it with 1e6).
  CHECK(parse({{"model_type", "mixtral"}}).rope.theta == 1000000.0);
  CHECK(parse({{"model_type", "olmoe"}}).rope.theta == 10000.0);
  // Yarn without original_max_position_embeddings takes max_position_embeddings, as HF does.
  json d = {{"model_type", "deepseek_v3"},
            {"max_position_embeddings", 8192},
            {"rope_parameters", {{"rope_type", "yarn"}, {"factor", 2.0}}}};
  CHECK(parse(d).rope.original_max_position == 8192);
}

TEST_CASE("deepseek_v2 group_limited_greedy and the deepseek defaults", "[config]") {
  json j = json::parse(kDeepSeekV2Lite);
  j["topk_method"] = "group_limited_greedy";
  j["n_group"] = 8;
  j["topk_group"] = 3;
  const ModelConfig c = parse(j);
  CHECK(c.router == MoeRouteMode::softmax_group);
  CHECK(c.n_group == 8);
  CHECK(c.topk_group == 3);

  // Only model_type given: the DeepseekV3Config defaults.
  const ModelConfig d = parse({{"model_type", "deepseek_v3"}});
  CHECK(d.vocab_size == 129280);
  CHECK(d.num_layers == 61);
  CHECK(d.q_lora_rank == 1536);
  CHECK(d.n_routed_experts == 256);
  CHECK(count_moe(d) == 58);
  CHECK(d.max_position_embeddings == 4096);
  CHECK(d.rope.type == "default");

  // moe_layer_freq 2 (the original DeepSeek rule): MoE on even layers from first_k_dense_replace.
  json f = json::parse(kDeepSeekV2Lite);
  f["moe_layer_freq"] = 2;
  f["num_hidden_layers"] = 6;
  const ModelConfig g = parse(f);
  CHECK(g.moe_layer == std::vector<bool>{false, false, true, false, true, false});
  f["attention_bias"] = true;
  CHECK(parse(f).qkv_bias);
  CHECK(parse(f).o_bias);
}

TEST_CASE("qwen2_moe: Qwen1.5-MoE, shared expert, sparse step and mlp_only_layers", "[config]") {
  const ModelConfig c = parse(json::parse(kQwen15Moe));
  CHECK(c.family == ModelFamily::qwen2_moe);
  CHECK(c.head_dim == 128);
  CHECK(c.qkv_bias);
  CHECK(!c.o_bias);
  CHECK(c.qk_norm == ModelConfig::QkNorm::none);
  CHECK(c.shared_expert_intermediate_size == 5632);
  CHECK(c.n_routed_experts == 60);
  CHECK(c.num_experts_per_tok == 4);
  CHECK(count_moe(c) == 24);
  CHECK(c.rope.theta == 1000000.0);
  CHECK(c.eos_token_ids == std::vector<int>{151643});

  json j = json::parse(kQwen15Moe);
  j["num_hidden_layers"] = 6;
  j["decoder_sparse_step"] = 2;
  j["mlp_only_layers"] = {3};
  j["qkv_bias"] = false;
  j["eos_token_id"] = {151645, 151643};
  const ModelConfig s = parse(j);
  CHECK(s.moe_layer == std::vector<bool>{false, true, false, false, false, true});
  CHECK(!s.qkv_bias);
  CHECK(s.eos_token_ids == std::vector<int>{151645, 151643});
}

TEST_CASE("qwen3_moe: head_dim apart from hidden/heads, per-head q/k norm", "[config]") {
  const ModelConfig c = parse(json::parse(kQwen3Moe));
  CHECK(c.family == ModelFamily::qwen3_moe);
  CHECK(c.head_dim == 128);  // hidden / heads would be 64
  CHECK(c.qk_norm == ModelConfig::QkNorm::per_head);
  CHECK(c.num_kv_heads == 4);
  CHECK(c.norm_topk_prob);
  CHECK(!c.qkv_bias);
  CHECK(count_moe(c) == 48);
  json j = json::parse(kQwen3Moe);
  j.erase("head_dim");
  j["attention_bias"] = true;
  j["mlp_only_layers"] = {0, 47};
  const ModelConfig d = parse(j);
  CHECK(d.head_dim == 64);
  CHECK(d.qkv_bias);
  CHECK(d.o_bias);
  CHECK(count_moe(d) == 46);
}

TEST_CASE("mixtral and olmoe configs", "[config]") {
  const ModelConfig m = parse(json::parse(kMixtral));
  CHECK(m.family == ModelFamily::mixtral);
  CHECK(m.n_routed_experts == 8);
  CHECK(m.moe_intermediate_size == 14336);
  CHECK(m.head_dim == 128);
  CHECK(m.norm_topk_prob);
  CHECK(m.rms_norm_eps == 1e-5);
  CHECK(count_moe(m) == 32);
  json mh = json::parse(kMixtral);
  mh["head_dim"] = 96;
  CHECK(parse(mh).head_dim == 96);

  const ModelConfig o = parse(json::parse(kOlmoe));
  CHECK(o.family == ModelFamily::olmoe);
  CHECK(o.qk_norm == ModelConfig::QkNorm::full);
  CHECK(o.moe_intermediate_size == 1024);
  CHECK(o.n_routed_experts == 64);
  CHECK(o.bos_token_id == -1);
  CHECK(o.eos_token_ids == std::vector<int>{50279});
  CHECK(!o.norm_topk_prob);
}

TEST_CASE("config errors are one line naming config.json and the field", "[config][errors]") {
  const std::string families = "deepseek_v3, deepseek_v2, qwen3_moe, qwen2_moe, mixtral, olmoe";
  CHECK(input_error_of([] {
          parse({{"model_type", "llama"}});
        }) ==
        "config.json: field 'model_type': unknown model family 'llama' (known: " + families + ")");
  CHECK(input_error_of([] {
          parse({{"hidden_size", 8}});
        }) == "config.json: field 'model_type': missing (known families: " + families + ")");
  json v2 = json::parse(kDeepSeekV2Lite);
  v2.erase("num_experts_per_tok");
  CHECK(input_error_of([&] { parse(v2); }) ==
        "config.json: field 'num_experts_per_tok': missing (DeepseekV2Config has no default "
        "for it)");
  json yarn = json::parse(kDeepSeekV3);
  yarn["rope_scaling"].erase("factor");
  CHECK(input_error_of([&] { parse(yarn); }) ==
        "config.json: field 'rope_scaling.factor': missing (required for rope type yarn)");
  json dyn = json::parse(kMixtral);
  dyn["rope_scaling"] = {{"type", "dynamic"}, {"factor", 2.0}};
  CHECK(input_error_of([&] { parse(dyn); }) ==
        "config.json: field 'rope_scaling.type': 'dynamic' is not supported (default, yarn)");
  json act = json::parse(kMixtral);
  act["hidden_act"] = "gelu";
  CHECK(input_error_of([&] { parse(act); }) ==
        "config.json: field 'hidden_act': 'gelu' is not supported (only silu)");
  json clip = json::parse(kOlmoe);
  clip["clip_qkv"] = 8.0;
  CHECK(input_error_of([&] { parse(clip); }) ==
        "config.json: field 'clip_qkv': not supported (only null)");
  json type = json::parse(kMixtral);
  type["hidden_size"] = "big";
  CHECK(input_error_of([&] { parse(type); }) ==
        "config.json: field 'hidden_size': must be an integer, got \"big\"");
}

TEST_CASE("config validation errors name the field and the values", "[config][errors]") {
  json kv = json::parse(kMixtral);
  kv["num_key_value_heads"] = 5;
  CHECK(input_error_of([&] { parse(kv); }) ==
        "config.json: field 'num_key_value_heads': 5 does not divide num_attention_heads 32");
  json topk = json::parse(kOlmoe);
  topk["num_experts_per_tok"] = 65;
  CHECK(input_error_of([&] { parse(topk); }) ==
        "config.json: field 'num_experts_per_tok': 65 must be in 1..64 (the number of routed "
        "experts)");
  json method = json::parse(kDeepSeekV3);
  method["scoring_func"] = "softmax";
  CHECK(input_error_of([&] { parse(method); }) ==
        "config.json: field 'scoring_func': \"softmax\" is not supported (deepseek_v3 routes with "
        "sigmoid)");
  json eos = json::parse(kMixtral);
  eos["eos_token_id"] = 32000;
  CHECK(input_error_of([&] { parse(eos); }) ==
        "config.json: field 'eos_token_id': 32000 is outside the vocabulary (vocab_size 32000)");
  json sw = json::parse(kQwen15Moe);
  sw["use_sliding_window"] = true;
  CHECK(input_error_of([&] { parse(sw); }) ==
        "config.json: field 'use_sliding_window': true is not supported (no sliding-window "
        "attention)");
  json quant = json::parse(kDeepSeekV3);
  quant["quantization_config"]["quant_method"] = "gptq";
  CHECK(input_error_of([&] { parse(quant); }) ==
        "config.json: field 'quantization_config.quant_method': 'gptq' is not supported (only "
        "fp8)");
  CHECK(input_error_of([] { parse(json::array()); }) ==
        "config.json: the model config must be a JSON object");
}

TEST_CASE("model_config_load reads a file and names it in errors", "[config][errors]") {
  ckpt_test::TempDir dir;
  ckpt_test::write_file(dir / "config.json", kOlmoe);
  CHECK(moebench::model_config_load(dir / "config.json").family == ModelFamily::olmoe);
  ckpt_test::write_file(dir / "bad.json", "{\"model_type\": ");
  CHECK(input_error_of([&] { moebench::model_config_load(dir / "bad.json"); }) ==
        (dir / "bad.json").string() + ": not valid JSON");
  CHECK(input_error_of([&] { moebench::model_config_load(dir / "absent.json"); }) ==
        (dir / "absent.json").string() + ": cannot open the model config");
  CHECK(input_error_of([] { moebench::model_family_parse("gpt2", "--family"); }) ==
        "--family: unknown model family 'gpt2' (known: deepseek_v3, deepseek_v2, qwen3_moe, "
        "qwen2_moe, mixtral, olmoe)");
  ModelConfig bad = moebench::model_config_from_json(json::parse(kOlmoe), "x");
  bad.moe_layer.pop_back();
  CHECK(input_error_of([&] { bad.validate(); }) ==
        "model config: field 'moe_layer': has 15 entries for 16 layers");
}

// configuration_mixtral.py and configuration_deepseek_v3.py map num_key_value_heads None to
// num_attention_heads (an absent key takes the class default, 8 and 128).
TEST_CASE("num_key_value_heads null is num_attention_heads as in HF", "[config]") {
  json m = json::parse(kMixtral);
  m["num_key_value_heads"] = nullptr;
  CHECK(parse(m).num_kv_heads == 32);
  m.erase("num_key_value_heads");
  CHECK(parse(m).num_kv_heads == 8);
  json v3 = json::parse(kDeepSeekV3);
  v3["num_attention_heads"] = 64;
  v3["num_key_value_heads"] = nullptr;
  CHECK(parse(v3).num_kv_heads == 64);
}
