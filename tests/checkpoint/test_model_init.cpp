// model init: every family's tiny preset writes a checkpoint that model_weights_load accepts,
// deterministically from the seed; preset sizes; option errors.
#include <cmath>

#include "backends/builtin/checkpoint/model_init.h"
#include "backends/builtin/checkpoint/model_weights.h"
#include "backends/builtin/tokenizer/chat_format.h"
#include "backends/builtin/tokenizer/tokenizer.h"
#include "tests/catch.h"
#include "tests/checkpoint/checkpoint_test_util.h"

using ckpt_test::input_error_of;
using ckpt_test::read_file;
using ckpt_test::TempDir;
using namespace moebench;
using nlohmann::json;

namespace {

constexpr ModelFamily kAll[] = {ModelFamily::deepseek_v3, ModelFamily::deepseek_v2,
                                ModelFamily::qwen3_moe,   ModelFamily::qwen2_moe,
                                ModelFamily::mixtral,     ModelFamily::olmoe};

ModelInitOptions options(ModelFamily f, const std::filesystem::path& out) {
  ModelInitOptions o;
  o.family = f;
  o.preset = "tiny";
  o.out_dir = out;
  o.seed = 7;
  o.training_text_dir = std::filesystem::path(MOEBENCH_SOURCE_DIR) / "tasks" / "samples";
  return o;
}

json read_json(const std::filesystem::path& p) { return json::parse(read_file(p)); }

}  // namespace

TEST_CASE("model init tiny: every family writes a loadable checkpoint", "[init]") {
  for (ModelFamily f : kAll) {
    INFO(model_family_name(f));
    TempDir dir;
    const ModelInitResult r = model_init_write(options(f, dir.path()));
    const json cfg_json = read_json(dir / "config.json");
    CHECK(cfg_json["model_type"] == model_family_name(f));
    CHECK(cfg_json["architectures"].size() == 1);
    CHECK(cfg_json["torch_dtype"] == "float32");
    const ModelConfig c = model_config_load(dir / "config.json");
    CHECK(c.to_json() == r.config.to_json());
    const ModelWeights w = model_weights_load(dir.path(), c);
    CHECK(static_cast<int64_t>(w.all().size()) ==
          static_cast<int64_t>(model_tensor_specs(c).size()));
    CHECK(r.params == model_param_count(c));
    CHECK(r.safetensors_bytes < 4'000'000);
    CHECK(r.total_bytes > r.safetensors_bytes);

    // HF init: RMSNorm weights 1, matrices normal(0, 0.02).
    for (float v : w.get("model.norm.weight").data) REQUIRE(v == 1.0f);
    const auto& emb = w.get("model.embed_tokens.weight").data;
    double sum = 0, sq = 0;
    for (float v : emb) {
      sum += v;
      sq += double(v) * v;
    }
    const double mean = sum / emb.size(), sd = std::sqrt(sq / emb.size() - mean * mean);
    CHECK(std::abs(mean) < 0.002);
    CHECK(std::abs(sd - 0.02) < 0.002);

    const json tc = read_json(dir / "tokenizer_config.json");
    CHECK(tc["chat_template"].is_string());
    CHECK(!tc["chat_template"].get<std::string>().empty());
    const json gen = read_json(dir / "generation_config.json");
    CHECK(gen["eos_token_id"] == cfg_json["eos_token_id"]);
    const Tokenizer tok = Tokenizer::load(dir / "tokenizer.json");
    CHECK(tok.vocab_size() == c.vocab_size);
    CHECK(tok.token_to_id(tc["eos_token"].get<std::string>()) == c.eos_token_ids.front());
    const std::string text = "Question: what is 12 + 30?\nAnswer: 42";
    CHECK(tok.decode(tok.encode(text)) == text);
    const ChatFormat chat = chat_format_detect(dir / "tokenizer_config.json");
    // Each family's own: DeepSeek-V2(-Lite)-Chat's plain "User: " turns, whose tokenizer has no
    // <｜User｜> token (V2.5 and V3 added it).
    CHECK(chat.kind == (f == ModelFamily::deepseek_v3   ? ChatFormatKind::deepseek_v3
                        : f == ModelFamily::deepseek_v2 ? ChatFormatKind::deepseek_v2
                        : f == ModelFamily::mixtral     ? ChatFormatKind::mistral
                                                        : ChatFormatKind::chatml));
    if (c.mla) {
      CHECK((tok.token_to_id("<｜User｜>") == -1) == (f == ModelFamily::deepseek_v2));
    }
  }
}

TEST_CASE("model init is deterministic in the seed, bf16 and overrides", "[init]") {
  TempDir a, b, d;
  ModelInitOptions o = options(ModelFamily::deepseek_v3, a.path());
  model_init_write(o);
  o.out_dir = b.path();
  model_init_write(o);
  CHECK(read_file(a / "model.safetensors") == read_file(b / "model.safetensors"));
  CHECK(read_file(a / "tokenizer.json") == read_file(b / "tokenizer.json"));
  o.seed = 8;
  o.force = true;
  model_init_write(o);
  CHECK(read_file(a / "model.safetensors") != read_file(b / "model.safetensors"));

  ModelInitOptions q = options(ModelFamily::qwen2_moe, d.path());
  q.dtype = "bf16";
  q.overrides = {{"num_hidden_layers", 2}, {"mlp_only_layers", json::array()}};
  const ModelInitResult r = model_init_write(q);
  CHECK(r.config.num_layers == 2);
  CHECK(r.config.moe_layer == std::vector<bool>{true, true});
  CHECK(read_json(d / "config.json")["torch_dtype"] == "bfloat16");
  const ModelWeights w = model_weights_load(d.path(), r.config);
  for (float v : w.get("model.layers.1.mlp.experts.3.up_proj.weight").data) {
    REQUIRE(bf16_to_f32(f32_to_bf16(v)) == v);
  }
}

TEST_CASE("model init rejects bad options before writing", "[init][errors]") {
  TempDir dir;
  ModelInitOptions o = options(ModelFamily::mixtral, dir / "out");
  o.preset = "huge";
  CHECK(input_error_of([&] { model_init_write(o); }) ==
        "--preset: unknown preset 'huge' (known: tiny, small, v2-lite)");
  o.preset = "tiny";
  o.dtype = "fp8";
  CHECK(input_error_of([&] { model_init_write(o); }) == "--dtype: unknown dtype 'fp8' (f32, bf16)");
  o.dtype = "";
  o.overrides = {{"num_key_value_heads", 3}};
  CHECK(input_error_of([&] { model_init_write(o); }) ==
        "config.json (preset tiny): field 'num_key_value_heads': 3 does not divide "
        "num_attention_heads 4");
  CHECK(!std::filesystem::exists(dir / "out"));
  // A misspelt key was written beside the real one, which kept its preset value: the checkpoint
  // had another shape than the one asked for.
  o.overrides = {{"num_hiden_layers", 2}};
  CHECK(input_error_of([&] { model_init_write(o); }) ==
        "--set: field 'num_hiden_layers': the mixtral config.json has no such key (keys: "
        "architectures, bos_token_id, eos_token_id, head_dim, hidden_act, hidden_size, "
        "initializer_range, intermediate_size, max_position_embeddings, model_type, "
        "num_attention_heads, num_experts_per_tok, num_hidden_layers, num_key_value_heads, "
        "num_local_experts, rms_norm_eps, rope_scaling, rope_theta, router_aux_loss_coef, "
        "sliding_window, tie_word_embeddings, use_cache, vocab_size)");
  CHECK(!std::filesystem::exists(dir / "out"));
  o.overrides = json::object();
  std::filesystem::create_directories(dir / "out");
  ckpt_test::write_file(dir / "out" / "keep.txt", "x");
  CHECK(input_error_of([&] { model_init_write(o); }) ==
        (dir / "out").string() + ": exists and is not empty (use --force to overwrite)");
}

TEST_CASE("presets: sizes per family", "[init][specs]") {
  for (ModelFamily f : kAll) {
    INFO(model_family_name(f));
    const ModelConfig tiny = model_config_from_json(model_preset_config(f, "tiny"), "tiny");
    const ModelConfig small = model_config_from_json(model_preset_config(f, "small"), "small");
    const ModelConfig lite = model_config_from_json(model_preset_config(f, "v2-lite"), "lite");
    CHECK(model_param_count(tiny) < 1'000'000);
    CHECK(model_param_count(small) > 50'000'000);
    CHECK(model_param_count(small) < 250'000'000);
    CHECK(model_param_count(lite) > 14'000'000'000);
    CHECK(model_param_count(lite) < 17'000'000'000);
    CHECK(lite.num_layers == 27);
    CHECK(lite.hidden_size == 2048);
    CHECK(lite.vocab_size == 102400);
  }
}

// --set writes each value as given: null stays null (DeepSeek-V2-Lite's q_lora_rank: HF reads an
// absent key as 1536) and an object replaces the preset's (no preset field left in rope_scaling).
TEST_CASE("model init: --set writes null and whole objects as given", "[init]") {
  TempDir dir;
  ModelInitOptions o = options(ModelFamily::deepseek_v3, dir / "v3");
  o.overrides = {{"q_lora_rank", nullptr}, {"rope_scaling", {{"type", "yarn"}, {"factor", 8.0}}}};
  model_init_write(o);
  const json cfg = read_json(dir / "v3" / "config.json");
  REQUIRE(cfg.contains("q_lora_rank"));
  CHECK(cfg["q_lora_rank"].is_null());
  CHECK(cfg["rope_scaling"] == json({{"type", "yarn"}, {"factor", 8.0}}));
  CHECK(model_config_load(dir / "v3" / "config.json").q_lora_rank == 0);
}
