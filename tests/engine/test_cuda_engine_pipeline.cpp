// [gpu] CudaEngine::start_sample / finish_sample: decode steps launched ahead of the host, each
// fed the previous step's ids on the device (kSampledToken), give the tokens forward_sample gives
// step by step with the ids passed through the host: over a prefill, decode steps two in flight,
// a sequence left out of a step and fed its token by the host when it comes back, greedy and
// sampled rows, the separate and fused kernels (the fused logits GEMV leaves the greedy argmax).
#include <algorithm>
#include <filesystem>
#include <memory>
#include <random>
#include <stdexcept>
#include <vector>

#include "backends/builtin/checkpoint/model_config.h"
#include "backends/builtin/engine/cuda/engine_cuda.h"
#include "backends/builtin/engine/sampler.h"
#include "tests/catch.h"
#include "tests/engine/tiny_checkpoint.h"

namespace fs = std::filesystem;
using namespace moebench;
using moebench::testing::tiny_bf16;

namespace {

std::unique_ptr<Engine> tiny_engine(const ModelConfig& config, const fs::path& dir,
                                    KernelSet kernels) {
  return make_cuda_engine(config, dir, moebench::testing::tiny_cuda_options(8, 256, 512, kernels));
}

// Sequence indices in each decode step: all three, then seq 2 sits out a step and comes back.
const std::vector<std::vector<int>> kSteps = {{0, 1, 2}, {0, 1, 2}, {0, 1, 2}, {0, 1},
                                              {0, 1, 2}, {0, 1, 2}, {0, 1, 2}};

void check_family(const std::string& family, KernelSet kernels) {
  CAPTURE(family, kernel_set_name(kernels));
  const fs::path dir = tiny_bf16(family);
  const ModelConfig config = model_config_load(dir / "config.json");
  std::unique_ptr<Engine> host = tiny_engine(config, dir, kernels);
  std::unique_ptr<Engine> ahead = tiny_engine(config, dir, kernels);
  CHECK(ahead->steps_in_flight() == 2);
  // Seq 1 samples (temperature 0.8, top-k 20, seeded): the same draws in both engines.
  SamplingParams warm;
  warm.temperature = 0.8;
  warm.top_k = 20;
  warm.seed = 11;
  std::vector<Sampler> sh = {Sampler(SamplingParams{}), Sampler(warm), Sampler(SamplingParams{})};
  std::vector<Sampler> sa = sh;
  std::mt19937 rng(3);
  std::uniform_int_distribution<int> token(0, config.vocab_size - 1);
  std::vector<int> hs, as;
  std::vector<EngineChunk> prefill_h, prefill_a;
  for (int i = 0; i < 3; ++i) {
    std::vector<int> prompt(5 + 9 * i);
    for (int& t : prompt) t = token(rng);
    hs.push_back(host->new_sequence());
    as.push_back(ahead->new_sequence());
    prefill_h.push_back({hs[i], prompt, false});
    prefill_a.push_back({as[i], prompt, false});
  }
  const std::vector<Sampler*> all_h = {&sh[0], &sh[1], &sh[2]}, all_a = {&sa[0], &sa[1], &sa[2]};
  // The host way: each step's ids read before the next step is formed.
  std::vector<std::vector<int>> want = {host->forward_sample(prefill_h, all_h)};
  std::vector<int> last = want[0];  // by sequence
  for (const std::vector<int>& step : kSteps) {
    std::vector<EngineChunk> chunks;
    std::vector<Sampler*> samplers;
    for (int i : step) {
      chunks.push_back({hs[i], {last[i]}, false});
      samplers.push_back(&sh[i]);
    }
    want.push_back(host->forward_sample(chunks, samplers));
    for (size_t k = 0; k < step.size(); ++k) last[step[k]] = want.back()[k];
  }
  // Ahead: each step started before the previous one's ids are read.
  ahead->start_sample(prefill_a, all_a);
  std::vector<std::vector<int>> got;
  std::vector<int> known(3, -1);  // ids read so far, by sequence
  for (size_t s = 0; s < kSteps.size(); ++s) {
    std::vector<EngineChunk> chunks;
    std::vector<Sampler*> samplers;
    const std::vector<int>& prev = s == 0 ? std::vector<int>{0, 1, 2} : kSteps[s - 1];
    for (int i : kSteps[s]) {
      const bool in_prev = std::find(prev.begin(), prev.end(), i) != prev.end();
      chunks.push_back({as[i], {in_prev ? kSampledToken : known[i]}, false});
      samplers.push_back(&sa[i]);
    }
    ahead->start_sample(chunks, samplers);
    CHECK_THROWS_AS(ahead->start_sample(chunks, samplers), std::logic_error);
    got.push_back(ahead->finish_sample());
    for (size_t k = 0; k < prev.size(); ++k) known[prev[k]] = got.back()[k];
  }
  got.push_back(ahead->finish_sample());
  // Every decode step after the first (fed from the prefill's ids, on the host) read its fed ids
  // on the device.
  CHECK(ahead->device_fed_steps() == static_cast<int64_t>(kSteps.size()) - 1);
  REQUIRE(got.size() == want.size());
  for (size_t s = 0; s < want.size(); ++s) {
    CAPTURE(s);
    CHECK(got[s] == want[s]);
  }
  for (int i = 0; i < 3; ++i) CHECK(ahead->cache_len(as[i]) == host->cache_len(hs[i]));
  // A fed token needs a draw for its sequence in the step before.
  CHECK_THROWS_AS(ahead->start_sample({{ahead->new_sequence(), {kSampledToken}, false}}, {&sa[0]}),
                  std::invalid_argument);
}

}  // namespace

TEST_CASE("CUDA engine: decode steps started ahead, fed on the device, give forward_sample's ids",
          "[gpu]") {
  if (!cuda_engine_available()) {
    MOEBENCH_SKIP("GPU test skipped: no CUDA build or device");
  }
  for (const char* family : {"deepseek_v2", "qwen3_moe"}) {
    check_family(family, KernelSet::separate);
    check_family(family, KernelSet::fused);
  }
}
