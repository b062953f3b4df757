// Dummy checkpoints (model init --weights dummy): they load to exactly the tensors the safetensors
// init writes with the same seed and dtype, bad dummy_weights.json files name the field, and
// kernels' host copy of the initialiser matches backends' one.
#include <cstring>

#include "backends/builtin/builtin_model.h"
#include "backends/builtin/checkpoint/model_init.h"
#include "backends/builtin/checkpoint/model_weights.h"
#include "backends/builtin/checkpoint/random_init.h"
#include "kernels/random_init.h"
#include "tests/catch.h"
#include "tests/checkpoint/checkpoint_test_util.h"

using ckpt_test::input_error_of;
using ckpt_test::TempDir;
using ckpt_test::write_file;
using namespace moebench;

namespace {

ModelInitOptions init_options(const std::filesystem::path& out, const std::string& weights,
                              ModelFamily family = ModelFamily::deepseek_v3,
                              const std::string& dtype = "") {
  ModelInitOptions o;
  o.family = family;
  o.preset = "tiny";
  o.out_dir = out;
  o.seed = 11;
  o.dtype = dtype;
  o.weights = weights;
  o.training_text_dir = std::filesystem::path(MOEBENCH_SOURCE_DIR) / "tasks" / "samples";
  return o;
}

// Every tensor of a and b has the same shape and the same bits.
void require_same_weights(const ModelWeights& a, const ModelWeights& b) {
  REQUIRE(a.all().size() == b.all().size());
  for (const auto& [name, t] : a.all()) {
    INFO(name);
    const Tensor& u = b.get(name);
    REQUIRE(t.shape == u.shape);
    REQUIRE(t.data.size() == u.data.size());
    CHECK(std::memcmp(t.data.data(), u.data.data(), t.data.size() * sizeof(float)) == 0);
  }
}

void require_same_checkpoints(ModelFamily family, const std::string& dtype) {
  TempDir random_dir, dummy_dir;
  model_init_write(init_options(random_dir.path(), "random", family, dtype));
  const ModelInitResult r =
      model_init_write(init_options(dummy_dir.path(), "dummy", family, dtype));
  CHECK(r.safetensors_bytes == 0);
  CHECK_FALSE(std::filesystem::exists(dummy_dir / "model.safetensors"));
  const ModelConfig c = model_config_load(dummy_dir / "config.json");
  require_same_weights(model_weights_load(random_dir.path(), c),
                       model_weights_load(dummy_dir.path(), c));
}

}  // namespace

TEST_CASE("dummy weights load bitwise equal to the safetensors init (f32 and bf16)", "[dummy]") {
  SECTION("deepseek_v3 f32") { require_same_checkpoints(ModelFamily::deepseek_v3, "f32"); }
  SECTION("qwen2_moe f32 (biases)") { require_same_checkpoints(ModelFamily::qwen2_moe, "f32"); }
  SECTION("mixtral bf16") { require_same_checkpoints(ModelFamily::mixtral, "bf16"); }
}

TEST_CASE("model init --weights dummy writes dummy_weights.json", "[dummy]") {
  TempDir dir;
  model_init_write(init_options(dir.path(), "dummy"));
  const auto d = dummy_weights_read(dir.path());
  REQUIRE(d.has_value());
  CHECK(d->seed == 11);
  CHECK(d->std == 0.02);
  CHECK(d->dtype == "f32");
  TempDir plain;
  CHECK_FALSE(dummy_weights_read(plain.path()).has_value());
  CHECK(input_error_of([&] {
          model_init_write(init_options(plain.path(), "zeros"));
        }).find("--weights") != std::string::npos);
}

TEST_CASE("model init --force switches a checkpoint between random and dummy", "[dummy]") {
  TempDir dir;
  model_init_write(init_options(dir.path(), "random"));
  ModelInitOptions o = init_options(dir.path(), "dummy");
  o.force = true;
  model_init_write(o);
  CHECK_FALSE(std::filesystem::exists(dir / "model.safetensors"));
  o.weights = "random";
  model_init_write(o);
  CHECK_FALSE(std::filesystem::exists(dir / kDummyWeightsFile));
  CHECK(std::filesystem::exists(dir / "model.safetensors"));
}

TEST_CASE("dummy_weights.json errors name the file and the field", "[dummy]") {
  TempDir dir;
  model_init_write(init_options(dir.path(), "dummy"));
  const ModelConfig c = model_config_load(dir / "config.json");
  const auto error_for = [&](const std::string& text) {
    write_file(dir / kDummyWeightsFile, text);
    return input_error_of([&] { model_weights_load(dir.path(), c); });
  };
  const std::pair<std::string, std::string> cases[] = {
      {"{", "not valid JSON"},
      {"[1]", "JSON object"},
      {R"({"format": "other", "seed": 1, "std": 0.02})", "'format'"},
      {R"({"format": "moebench-dummy", "std": 0.02})", "'seed'"},
      {R"({"format": "moebench-dummy", "seed": -1, "std": 0.02})", "'seed'"},
      {R"({"format": "moebench-dummy", "seed": "1", "std": 0.02})", "'seed'"},
      {R"({"format": "moebench-dummy", "seed": 1})", "'std'"},
      {R"({"format": "moebench-dummy", "seed": 1, "std": 0})", "'std'"},
      {R"({"format": "moebench-dummy", "seed": 1, "std": 0.02, "dtype": "f16"})", "'dtype'"},
      {R"({"format": "moebench-dummy", "seed": 1, "std": 0.02, "sed": 2})", "'sed'"},
  };
  for (const auto& [text, field] : cases) {
    INFO(text);
    const std::string msg = error_for(text);
    CHECK(msg.find(kDummyWeightsFile) != std::string::npos);
    CHECK(msg.find(field) != std::string::npos);
  }
  write_file(dir / kDummyWeightsFile, R"({"format": "moebench-dummy", "seed": 1, "std": 0.02})");
  write_file(dir / "model.safetensors", "");
  CHECK(input_error_of([&] { model_weights_load(dir.path(), c); }).find("two weight sources") !=
        std::string::npos);
}

TEST_CASE("model_weights_for_each streams a dummy checkpoint in spec order", "[dummy]") {
  TempDir dir;
  model_init_write(init_options(dir.path(), "dummy"));
  const ModelConfig c = model_config_load(dir / "config.json");
  const std::vector<TensorSpec> specs = model_tensor_specs(c);
  size_t k = 0;
  model_weights_for_each(dir.path(), c, [&](const TensorSpec& spec, const float* data) {
    REQUIRE(k < specs.size());
    CHECK(spec.name == specs[k].name);
    CHECK(data != nullptr);
    ++k;
  });
  CHECK(k == specs.size());
}

TEST_CASE("BuiltinModel::load works on a dummy checkpoint", "[dummy]") {
  TempDir dir;
  model_init_write(init_options(dir.path(), "dummy", ModelFamily::qwen3_moe));
  const auto m = BuiltinModel::load(dir.path(), {});
  CHECK(m->config().family == ModelFamily::qwen3_moe);
}

TEST_CASE("kernels' ref_random_init is backends' fill_range rounded to bf16", "[dummy]") {
  CHECK(static_cast<int>(InitKind::normal) == kRandomInitNormal);
  CHECK(static_cast<int>(InitKind::ones) == kRandomInitOnes);
  CHECK(static_cast<int>(InitKind::bias) == kRandomInitBias);
  CHECK(static_cast<int>(InitKind::score_bias) == kRandomInitScoreBias);
  for (int kind = 0; kind < 4; ++kind) {
    for (int64_t n : {int64_t{1}, int64_t{33}, int64_t{4097}}) {
      CAPTURE(kind, n);
      const uint64_t key = init_tensor_key(5, "model.layers.0.mlp.gate.weight");
      std::vector<float> host(static_cast<size_t>(n)), ref;
      fill_range(static_cast<InitKind>(kind), key, 0.02, 0, n, host.data());
      ref_random_init(kind, key, 0.02, n, ref);
      for (int64_t i = 0; i < n; ++i) {
        INFO("index " << i);
        REQUIRE(ref[i] == bf16_to_f32(f32_to_bf16(host[i])));
      }
    }
  }
}
