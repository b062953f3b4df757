// [gpu] A checkpoint whose logits are NaN on the CUDA engine: every draw comes back as
// kNonFiniteDraw (prefill through forward_sample, decode steps from their graphs, two in flight,
// greedy and sampled rows, each kernel set: the fused logits GEMV's greedy keys flag a row of
// NaN too), and BuiltinModel::generate ends such a request with an error, as on the CPU engine
// (tests/builtin/test_builtin_nonfinite.cpp), never with token 0 until max_tokens.
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "backends/builtin/builtin_model.h"
#include "backends/builtin/checkpoint/model_config.h"
#include "backends/builtin/engine/cuda/engine_cuda.h"
#include "backends/builtin/engine/sampler.h"
#include "tests/catch.h"
#include "tests/engine/tiny_checkpoint.h"

namespace fs = std::filesystem;
using namespace moebench;
using moebench::testing::tiny_bf16;

namespace {

// The tiny bf16 checkpoint of family with its final norm's weight set to NaN: every logit is NaN.
fs::path nan_bf16(const std::string& family) {
  const fs::path dir = tiny_bf16(family, false, nlohmann::json::object(), "nan");
  const fs::path file = dir / "model.safetensors";
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  uint64_t header_len = 0;
  f.read(reinterpret_cast<char*>(&header_len), 8);
  std::string header(header_len, '\0');
  f.read(header.data(), static_cast<std::streamsize>(header_len));
  const nlohmann::json t = nlohmann::json::parse(header).at("model.norm.weight");
  if (t.at("dtype") != "BF16") throw std::runtime_error("nan_bf16: model.norm.weight is not BF16");
  const uint64_t begin = t.at("data_offsets")[0], end = t.at("data_offsets")[1];
  const uint16_t nan_bits = 0x7fc0u;
  f.seekp(static_cast<std::streamoff>(8 + header_len + begin));
  for (uint64_t at = begin; at < end; at += 2) f.write(reinterpret_cast<const char*>(&nan_bits), 2);
  return dir;
}

void check_kernels(const fs::path& dir, KernelSet kernels) {
  CAPTURE(kernel_set_name(kernels));
  const ModelConfig config = model_config_load(dir / "config.json");
  std::unique_ptr<Engine> e =
      make_cuda_engine(config, dir, moebench::testing::tiny_cuda_options(8, 256, 512, kernels));
  SamplingParams warm;
  warm.temperature = 0.8;
  warm.top_k = 20;
  warm.seed = 3;
  std::vector<Sampler> s = {Sampler(SamplingParams{}), Sampler(warm)};
  const std::vector<Sampler*> both = {&s[0], &s[1]};
  const int a = e->new_sequence(), b = e->new_sequence();
  const std::vector<int> none = {kNonFiniteDraw, kNonFiniteDraw};
  // Prefill (forward_sample), then two decode steps in flight, each fed on the device.
  e->start_sample({{a, {5, 6, 7}, false}, {b, {8, 9}, false}}, both);
  e->start_sample({{a, {kSampledToken}, false}, {b, {kSampledToken}, false}}, both);
  CHECK(e->finish_sample() == none);
  e->start_sample({{a, {kSampledToken}, false}, {b, {kSampledToken}, false}}, both);
  CHECK(e->finish_sample() == none);
  CHECK(e->finish_sample() == none);
  // A decode step through forward_sample (its graph, waited for).
  CHECK(e->forward_sample({{a, {11}, false}, {b, {12}, false}}, both) == none);
}

}  // namespace

TEST_CASE("CUDA engine draws from NaN logits come back as kNonFiniteDraw", "[gpu]") {
  if (!cuda_engine_available()) {
    MOEBENCH_SKIP("GPU test skipped: no CUDA build or device");
  }
  const fs::path dir = nan_bf16("deepseek_v3");
  check_kernels(dir, KernelSet::separate);
  check_kernels(dir, KernelSet::fused);
}

TEST_CASE("builtin on CUDA: NaN logits end a generation with an error, not token 0", "[gpu]") {
  if (!cuda_engine_available()) {
    MOEBENCH_SKIP("GPU test skipped: no CUDA build or device");
  }
  BuiltinLoadOptions o;
  o.device = "cuda";
  o.kernels = KernelSet::fused;
  auto m = BuiltinModel::load(nan_bf16("qwen3_moe"), o);
  for (const double temperature : {0.0, 1.0}) {
    std::vector<GenerateRequest> rs(2);
    for (GenerateRequest& r : rs) {
      r.prompt = m->encode_text("Once upon a time", false);
      r.max_tokens = 8;
      r.sampling.temperature = temperature;
    }
    for (const GenerateResult& g : m->generate(rs)) {
      INFO("temperature " << temperature);
      CHECK(g.finish_reason == "error");
      CHECK(g.non_finite);
      CHECK(g.tokens.empty());
      CHECK(g.error.find("NaN or infinite logits") != std::string::npos);
    }
  }
}
