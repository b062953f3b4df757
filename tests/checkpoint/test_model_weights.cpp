// model_tensor_specs counts and shapes per family, and model_weights_load: single and sharded
// files, fp8 with block scales, MTP layers, and missing / unused / misshaped tensors.
#include <cstring>

#include "backends/builtin/checkpoint/model_init.h"
#include "backends/builtin/checkpoint/model_weights.h"
#include "tests/catch.h"
#include "tests/checkpoint/checkpoint_test_util.h"

using ckpt_test::input_error_of;
using ckpt_test::TempDir;
using ckpt_test::write_file;
using namespace moebench;
using nlohmann::json;

namespace {

ModelConfig cfg(const json& j) { return model_config_from_json(j, "config.json"); }

const json kMixtralTiny = {{"model_type", "mixtral"},  {"vocab_size", 64},
                           {"hidden_size", 16},        {"intermediate_size", 8},
                           {"num_hidden_layers", 2},   {"num_attention_heads", 2},
                           {"num_key_value_heads", 1}, {"num_local_experts", 4},
                           {"num_experts_per_tok", 2}, {"max_position_embeddings", 64}};

const json kDeepseekTiny = {{"model_type", "deepseek_v3"},
                            {"vocab_size", 300},
                            {"hidden_size", 16},
                            {"intermediate_size", 32},
                            {"moe_intermediate_size", 8},
                            {"num_hidden_layers", 2},
                            {"first_k_dense_replace", 1},
                            {"num_attention_heads", 2},
                            {"num_key_value_heads", 2},
                            {"n_routed_experts", 4},
                            {"n_shared_experts", 1},
                            {"num_experts_per_tok", 2},
                            {"n_group", 2},
                            {"topk_group", 1},
                            {"q_lora_rank", 8},
                            {"kv_lora_rank", 8},
                            {"qk_nope_head_dim", 4},
                            {"qk_rope_head_dim", 4},
                            {"v_head_dim", 4},
                            {"num_nextn_predict_layers", 1}};

int64_t numel(const std::vector<int64_t>& s) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return n;
}

// Values exactly representable in bf16: (i % 17) * 0.25 - 2.
std::vector<float> pattern(int64_t n, int salt) {
  std::vector<float> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[i] = static_cast<float>((i + salt) % 17) * 0.25f - 2.0f;
  return v;
}

struct Blob {
  std::string name;
  StDtype dtype;
  std::vector<int64_t> shape;
  std::string bytes;
};

std::vector<Blob> blobs_for(const ModelConfig& c, StDtype dt) {
  std::vector<Blob> out;
  int salt = 0;
  for (const auto& s : model_tensor_specs(c)) {
    out.push_back({s.name, dt, s.shape, st_encode(pattern(numel(s.shape), salt++), dt)});
  }
  return out;
}

void write_blobs(const std::filesystem::path& p, const std::vector<Blob>& blobs) {
  std::vector<StWriteTensor> t;
  for (const auto& b : blobs) t.push_back({b.name, b.dtype, b.shape, b.bytes});
  safetensors_write(p, t, {{"format", "pt"}});
}

// The tiny deepseek_v3 checkpoint in bf16 with an fp8 embedding [300, 16] (every byte 0x40 = 2.0)
// and its 3 x 1 block scales (third from the end), plus an MTP module (layer 2 =
// num_hidden_layers) in fp8.
std::vector<Blob> fp8_blobs(const ModelConfig& c) {
  auto blobs = blobs_for(c, StDtype::bf16);
  for (auto& b : blobs) {
    if (b.name == "model.embed_tokens.weight") {
      b.dtype = StDtype::f8_e4m3;
      b.bytes.assign(300 * 16, '\x40');
    }
  }
  blobs.push_back({"model.embed_tokens.weight_scale_inv",
                   StDtype::f32,
                   {3, 1},
                   st_encode({1.0f, 0.5f, 0.25f}, StDtype::f32)});
  blobs.push_back(
      {"model.layers.2.eh_proj.weight", StDtype::f8_e4m3, {16, 32}, std::string(512, '\x38')});
  blobs.push_back({"model.layers.2.eh_proj.weight_scale_inv",
                   StDtype::f32,
                   {1, 1},
                   st_encode({1.0f}, StDtype::f32)});
  return blobs;
}

}  // namespace

TEST_CASE("tensor specs of the real DeepSeek configs: counts, names and shapes", "[specs]") {
  const ModelConfig v3 = model_config_from_json(
      {{"model_type", "deepseek_v3"},
       {"max_position_embeddings", 163840},
       {"rope_scaling",
        {{"type", "yarn"}, {"factor", 40}, {"original_max_position_embeddings", 4096}}}},
      "x");
  auto specs = model_tensor_specs(v3);
  CHECK(specs.size() == 1 + 61 * 9 + 3 * 3 + 58 * (1 + 1 + 256 * 3 + 3) + 2);
  auto shape_of = [](const std::vector<TensorSpec>& s, const std::string& n) {
    for (const auto& t : s) {
      if (t.name == n) return t.shape;
    }
    return std::vector<int64_t>{-1};
  };
  using S = std::vector<int64_t>;
  CHECK(shape_of(specs, "model.layers.3.mlp.gate.e_score_correction_bias") == S{256});
  CHECK(shape_of(specs, "model.layers.0.self_attn.kv_a_proj_with_mqa.weight") == S{576, 7168});
  CHECK(shape_of(specs, "model.layers.0.self_attn.q_b_proj.weight") == S{24576, 1536});
  CHECK(shape_of(specs, "model.layers.0.self_attn.kv_b_proj.weight") == S{32768, 512});
  CHECK(shape_of(specs, "model.layers.0.self_attn.o_proj.weight") == S{7168, 16384});
  CHECK(shape_of(specs, "model.layers.0.mlp.down_proj.weight") == S{7168, 18432});
  CHECK(shape_of(specs, "model.layers.60.mlp.shared_experts.up_proj.weight") == S{2048, 7168});
  CHECK(shape_of(specs, "model.layers.60.mlp.experts.255.down_proj.weight") == S{7168, 2048});
  const int64_t v3_params = model_param_count(v3);
  CHECK(v3_params > 670'000'000'000);
  CHECK(v3_params < 672'000'000'000);

  const ModelConfig lite =
      model_config_from_json(model_preset_config(ModelFamily::deepseek_v2, "v2-lite"), "x");
  specs = model_tensor_specs(lite);
  CHECK(specs.size() == 1 + 27 * 7 + 3 + 26 * (1 + 64 * 3 + 3) + 2);
  CHECK(shape_of(specs, "model.layers.1.self_attn.q_proj.weight") == S{3072, 2048});
  CHECK(model_param_count(lite) == 15'706'484'224);
}

TEST_CASE("tensor specs of the real Mixtral, Qwen and OLMoE configs", "[specs]") {
  using S = std::vector<int64_t>;
  auto shape_of = [](const std::vector<TensorSpec>& s, const std::string& n) {
    for (const auto& t : s) {
      if (t.name == n) return t.shape;
    }
    return std::vector<int64_t>{-1};
  };
  const ModelConfig mixtral = cfg({{"model_type", "mixtral"}, {"max_position_embeddings", 32768}});
  auto specs = model_tensor_specs(mixtral);
  CHECK(specs.size() == 1 + 32 * (2 + 4 + 1 + 8 * 3) + 2);
  CHECK(shape_of(specs, "model.layers.0.block_sparse_moe.experts.7.w2.weight") == S{4096, 14336});
  CHECK(shape_of(specs, "model.layers.0.block_sparse_moe.gate.weight") == S{8, 4096});
  CHECK(shape_of(specs, "model.layers.0.self_attn.k_proj.weight") == S{1024, 4096});
  CHECK(model_param_count(mixtral) == 46'702'792'704);  // Mixtral-8x7B

  const ModelConfig qwen2 = cfg({{"model_type", "qwen2_moe"}});
  specs = model_tensor_specs(qwen2);
  CHECK(specs.size() == 1 + 24 * (2 + 7 + 1 + 60 * 3 + 3 + 1) + 2);
  CHECK(shape_of(specs, "model.layers.0.mlp.shared_expert_gate.weight") == S{1, 2048});
  CHECK(shape_of(specs, "model.layers.0.mlp.shared_expert.gate_proj.weight") == S{5632, 2048});
  CHECK(shape_of(specs, "model.layers.0.self_attn.q_proj.bias") == S{2048});
  CHECK(shape_of(specs, "model.layers.0.self_attn.o_proj.bias") == S{-1});

  const ModelConfig qwen3 = cfg({{"model_type", "qwen3_moe"}, {"head_dim", 128}});
  specs = model_tensor_specs(qwen3);
  CHECK(specs.size() == 1 + 24 * (2 + 4 + 2 + 1 + 128 * 3) + 2);
  CHECK(shape_of(specs, "model.layers.0.self_attn.q_norm.weight") == S{128});
  CHECK(shape_of(specs, "model.layers.0.self_attn.q_proj.weight") == S{4096, 2048});
  CHECK(shape_of(specs, "model.layers.0.self_attn.o_proj.weight") == S{2048, 4096});

  const ModelConfig olmoe = cfg({{"model_type", "olmoe"}, {"num_key_value_heads", 8}});
  specs = model_tensor_specs(olmoe);
  CHECK(specs.size() == 1 + 16 * (2 + 4 + 2 + 1 + 64 * 3) + 2);
  CHECK(shape_of(specs, "model.layers.0.self_attn.q_norm.weight") == S{2048});
  CHECK(shape_of(specs, "model.layers.0.self_attn.k_norm.weight") == S{1024});

  json tied = kMixtralTiny;
  tied["tie_word_embeddings"] = true;
  CHECK(shape_of(model_tensor_specs(cfg(tied)), "lm_head.weight") == S{-1});
}

TEST_CASE("single-file checkpoint loads as f32 from bf16", "[weights]") {
  TempDir dir;
  const ModelConfig c = cfg(kMixtralTiny);
  write_blobs(dir / "model.safetensors", blobs_for(c, StDtype::bf16));
  const ModelWeights w = model_weights_load(dir.path(), c);
  const auto specs = model_tensor_specs(c);
  CHECK(w.all().size() == specs.size());
  const Tensor& t = w.get(specs[5].name);
  CHECK(t.shape == specs[5].shape);
  CHECK(t.data == pattern(numel(specs[5].shape), 5));
  CHECK(w.find("nope") == nullptr);
  CHECK(input_error_of([&] { w.get("nope"); }) == "model weights: no tensor 'nope'");
}

TEST_CASE("sharded checkpoint loads through model.safetensors.index.json", "[weights]") {
  TempDir dir;
  const ModelConfig c = cfg(kMixtralTiny);
  auto blobs = blobs_for(c, StDtype::f32);
  const size_t half = blobs.size() / 2;
  json weight_map = json::object();
  for (size_t i = 0; i < blobs.size(); ++i) {
    weight_map[blobs[i].name] =
        i < half ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors";
  }
  write_blobs(dir / "model-00001-of-00002.safetensors", {blobs.begin(), blobs.begin() + half});
  write_blobs(dir / "model-00002-of-00002.safetensors", {blobs.begin() + half, blobs.end()});
  const json index = {{"metadata", {{"total_size", 0}}}, {"weight_map", weight_map}};
  write_file(dir / "model.safetensors.index.json", index.dump());
  const ModelWeights w = model_weights_load(dir.path(), c);
  CHECK(w.all().size() == blobs.size());
  CHECK(w.get(blobs.back().name).data == pattern(numel(blobs.back().shape), blobs.size() - 1));

  const std::string idx = (dir / "model.safetensors.index.json").string();
  json bad = index;
  bad["weight_map"]["lm_head.weight"] = "../x.safetensors";
  write_file(idx, bad.dump());
  CHECK(input_error_of([&] { model_weights_load(dir.path(), c); }) ==
        idx +
            ": field 'weight_map.lm_head.weight' must be a shard file name in the same "
            "directory, got \"../x.safetensors\"");
  bad = index;
  bad["weight_map"]["model.extra"] = "model-00001-of-00002.safetensors";
  write_file(idx, bad.dump());
  CHECK(input_error_of([&] { model_weights_load(dir.path(), c); }) ==
        (dir / "model-00001-of-00002.safetensors").string() +
            ": tensor 'model.extra' listed in model.safetensors.index.json is missing");
  bad = index;
  bad["weight_map"].erase(blobs[0].name);
  write_file(idx, bad.dump());
  CHECK(input_error_of([&] { model_weights_load(dir.path(), c); }) ==
        (dir / "model-00001-of-00002.safetensors").string() + ": tensor '" + blobs[0].name +
            "' is not listed for this file in model.safetensors.index.json");
  write_file(idx, "{\"weight_map\": 3}");
  CHECK(input_error_of([&] { model_weights_load(dir.path(), c); }) ==
        idx + ": field 'weight_map' is missing or not an object");
}

TEST_CASE("missing, unused and misshaped tensors are one-line errors", "[weights][errors]") {
  TempDir dir;
  const ModelConfig c = cfg(kMixtralTiny);
  const std::string file = (dir / "model.safetensors").string();
  auto load = [&](const std::vector<Blob>& blobs) {
    write_blobs(dir / "model.safetensors", blobs);
    return input_error_of([&] { model_weights_load(dir.path(), c); });
  };
  auto blobs = blobs_for(c, StDtype::f32);
  CHECK(input_error_of([&] { model_weights_load(dir.path(), c); }) ==
        dir.path().string() + ": no model.safetensors or model.safetensors.index.json");

  auto missing = blobs;
  missing.erase(missing.begin() + 3);
  CHECK(load(missing) == file + ": missing tensor '" + blobs[3].name +
                             "' (expected shape [8, 16] for the mixtral config)");

  auto wrong = blobs;
  for (auto& b : wrong) {
    if (b.name == "model.layers.1.block_sparse_moe.experts.2.w3.weight") b.shape = {16, 8};
  }
  CHECK(load(wrong) == file +
                           ": tensor 'model.layers.1.block_sparse_moe.experts.2.w3.weight' has "
                           "shape [16, 8], expected [8, 16]");

  auto unused = blobs;
  unused.push_back({"model.layers.0.mlp.gate_proj.weight", StDtype::f32, {2}, std::string(8, 0)});
  unused.push_back({"model.zzz", StDtype::f32, {1}, std::string(4, 0)});
  CHECK(load(unused) == file +
                            ": unused tensor 'model.layers.0.mlp.gate_proj.weight' (not part of "
                            "the mixtral architecture in config.json) and 1 more");

  auto inv_freq = blobs;  // old exports saved rotary buffers; they are recomputed, not an error
  inv_freq.push_back(
      {"model.layers.0.self_attn.rotary_emb.inv_freq", StDtype::f32, {4}, std::string(16, 0)});
  CHECK(load(inv_freq).empty());

  write_file(dir / "model.safetensors",
             ckpt_test::raw_safetensors(
                 R"({"model.norm.weight":{"dtype":"I32","shape":[16],"data_offsets":[0,64]}})",
                 std::string(64, '\0')));
  CHECK(input_error_of([&] { model_weights_load(dir.path(), c); }) ==
        file +
            ": tensor 'model.norm.weight': unsupported dtype 'I32' (supported: BF16, F16, "
            "F32, F8_E4M3)");
}

TEST_CASE("fp8 weights dequantize with their block scales, MTP layers are skipped", "[weights]") {
  TempDir dir;
  const ModelConfig c = cfg(kDeepseekTiny);
  CHECK(c.num_nextn_predict_layers == 1);
  const auto blobs = fp8_blobs(c);
  write_blobs(dir / "model.safetensors", blobs);
  const ModelWeights w = model_weights_load(dir.path(), c);
  const Tensor& e = w.get("model.embed_tokens.weight");
  CHECK(e.data[0] == 2.0f);
  CHECK(e.data[127 * 16 + 15] == 2.0f);
  CHECK(e.data[128 * 16] == 1.0f);
  CHECK(e.data[255 * 16 + 3] == 1.0f);
  CHECK(e.data[256 * 16] == 0.5f);
  CHECK(e.data[299 * 16 + 15] == 0.5f);
  CHECK(w.find("model.embed_tokens.weight_scale_inv") == nullptr);
  CHECK(w.find("model.layers.2.eh_proj.weight") == nullptr);
}

TEST_CASE("fp8 and MTP errors: missing or misshaped scales, layers past the MTP range",
          "[weights][errors]") {
  TempDir dir;
  const ModelConfig c = cfg(kDeepseekTiny);
  const auto blobs = fp8_blobs(c);
  const std::string file = (dir / "model.safetensors").string();
  auto beyond = blobs;  // layer 3 is past the one MTP layer
  beyond.push_back({"model.layers.3.eh_proj.weight", StDtype::f32, {1}, std::string(4, 0)});
  write_blobs(dir / "model.safetensors", beyond);
  CHECK(input_error_of([&] { model_weights_load(dir.path(), c); }) ==
        file +
            ": unused tensor 'model.layers.3.eh_proj.weight' (not part of the deepseek_v3 "
            "architecture in config.json)");

  auto no_scale = blobs;
  no_scale.erase(no_scale.end() - 3);
  write_blobs(dir / "model.safetensors", no_scale);
  CHECK(input_error_of([&] { model_weights_load(dir.path(), c); }) ==
        file +
            ": tensor 'model.embed_tokens.weight' is F8_E4M3 but its block scales "
            "'model.embed_tokens.weight_scale_inv' are missing");

  auto bad_scale = blobs;
  bad_scale[bad_scale.size() - 3].shape = {1, 3};
  write_blobs(dir / "model.safetensors", bad_scale);
  CHECK(input_error_of([&] { model_weights_load(dir.path(), c); }) ==
        file +
            ": tensor 'model.embed_tokens.weight_scale_inv' has shape [1, 3], expected "
            "[3, 1] (128x128 blocks of [300, 16])");

  auto stray_scale = blobs;  // a scale whose weight is not fp8 is unused
  stray_scale.push_back(
      {"model.norm.weight_scale_inv", StDtype::f32, {1, 1}, st_encode({1.0f}, StDtype::f32)});
  write_blobs(dir / "model.safetensors", stray_scale);
  CHECK(input_error_of([&] { model_weights_load(dir.path(), c); }) ==
        file +
            ": unused tensor 'model.norm.weight_scale_inv' (not part of the deepseek_v3 "
            "architecture in config.json)");
}

TEST_CASE("checkpoints written by transformers 5.17 save_pretrained load", "[weights][hf]") {
  const auto root =
      std::filesystem::path(MOEBENCH_SOURCE_DIR) / "tests" / "fixtures" / "hf" / "loader";
  struct Want {
    const char* dir;
    ModelFamily family;
    const char* layers;  // dense (D) / MoE (M) per layer
    size_t tensors;
  };
  const Want wants[] = {{"deepseek_v3", ModelFamily::deepseek_v3, "DM", 41},
                        {"deepseek_v2", ModelFamily::deepseek_v2, "DM", 36},
                        {"qwen3_moe", ModelFamily::qwen3_moe, "MD", 43},
                        {"qwen2_moe", ModelFamily::qwen2_moe, "DM", 41},
                        {"mixtral", ModelFamily::mixtral, "MM", 41},
                        {"mixtral_sharded", ModelFamily::mixtral, "MM", 41},
                        {"olmoe", ModelFamily::olmoe, "MM", 45}};
  for (const Want& want : wants) {
    INFO(want.dir);
    const ModelConfig c = model_config_load(root / want.dir / "config.json");
    CHECK(c.family == want.family);
    CHECK(c.to_json()["layers"] == want.layers);
    CHECK(c.n_routed_experts == 4);
    const ModelWeights w = model_weights_load(root / want.dir, c);
    CHECK(w.all().size() == want.tensors);
    for (float v : w.get("model.norm.weight").data) REQUIRE(v == 1.0f);
  }
  const ModelConfig q3 = model_config_load(root / "qwen3_moe" / "config.json");
  CHECK(q3.head_dim == 12);  // hidden 16 / 2 heads would be 8
  CHECK(q3.qkv_bias);
  CHECK(q3.o_bias);
  const ModelConfig v3 = model_config_load(root / "deepseek_v3" / "config.json");
  CHECK(v3.rope.type == "yarn");
  CHECK(v3.rope.original_max_position == 32);
  CHECK(v3.router == MoeRouteMode::sigmoid_noaux_tc);
  const ModelWeights w3 = model_weights_load(root / "deepseek_v3", v3);
  const Tensor& bias = w3.get("model.layers.1.mlp.gate.e_score_correction_bias");
  CHECK(bias.shape == std::vector<int64_t>{4});
  CHECK(bias.data[0] > 0.0f);
  CHECK(model_config_load(root / "deepseek_v2" / "config.json").router ==
        MoeRouteMode::softmax_group);
  const ModelConfig mc = model_config_load(root / "mixtral" / "config.json");
  const ModelWeights single = model_weights_load(root / "mixtral", mc);
  const ModelWeights sharded = model_weights_load(root / "mixtral_sharded", mc);
  for (const auto& [name, t] : single.all()) REQUIRE(sharded.get(name).data == t.data);
}
