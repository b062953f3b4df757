// [gpu] CudaEngine::start_sample / finish_sample: decode steps launched ahead of the host, each
// fed the previous step's ids on the device (kSampledToken), give the tokens forward_sample gives
// step by step with the ids passed through the host: over a prefill, decode steps two in flight,
// a sequence left out of a step and fed its token by the host when it comes back, greedy and
// sampled rows, the separate and fused kernels (the fused logits GEMV leaves the greedy argmax);
// and around a forward(), a mixed prefill + decode step and a sequence freed while its step runs.
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

// Between steps started ahead: a forward() prefilling part of a new prompt, that prompt's last
// piece in a step with the others' fed tokens (a mixed step: forward_sample), the fed step after it
// (ids read on the host), and a sequence freed while its last step is in flight. Each step's ids
// against the host way's.
void check_interleaved(const std::string& family) {
  CAPTURE(family);
  const fs::path dir = tiny_bf16(family);
  const ModelConfig config = model_config_load(dir / "config.json");
  std::unique_ptr<Engine> host = tiny_engine(config, dir, KernelSet::fused);
  std::unique_ptr<Engine> ahead = tiny_engine(config, dir, KernelSet::fused);
  std::vector<Sampler> sh(3, Sampler(SamplingParams{})), sa = sh;
  std::mt19937 rng(9);
  std::uniform_int_distribution<int> token(0, config.vocab_size - 1);
  std::vector<std::vector<int>> prompts = {std::vector<int>(7), std::vector<int>(12),
                                           std::vector<int>(20)};
  for (auto& p : prompts) {
    for (int& t : p) t = token(rng);
  }
  std::vector<int> hs, as;
  for (int i = 0; i < 3; ++i) {
    hs.push_back(host->new_sequence());
    as.push_back(ahead->new_sequence());
  }
  const std::vector<int> head(prompts[2].begin(), prompts[2].begin() + 12),
      tail(prompts[2].begin() + 12, prompts[2].end());
  std::vector<std::vector<int>> want, got;
  // A: seqs 0 and 1 prefill and sample.
  want.push_back(host->forward_sample({{hs[0], prompts[0], false}, {hs[1], prompts[1], false}},
                                      {&sh[0], &sh[1]}));
  ahead->start_sample({{as[0], prompts[0], false}, {as[1], prompts[1], false}}, {&sa[0], &sa[1]});
  // B: their first decode; then seq 2's prompt head cached by forward() on both.
  want.push_back(host->forward_sample({{hs[0], {want[0][0]}, false}, {hs[1], {want[0][1]}, false}},
                                      {&sh[0], &sh[1]}));
  ahead->start_sample({{as[0], {kSampledToken}, false}, {as[1], {kSampledToken}, false}},
                      {&sa[0], &sa[1]});
  got.push_back(ahead->finish_sample());  // A
  host->forward({{hs[2], head, false}});
  ahead->forward({{as[2], head, false}});
  // C: the decodes with seq 2's prompt tail: a mixed step.
  want.push_back(host->forward_sample(
      {{hs[0], {want[1][0]}, false}, {hs[1], {want[1][1]}, false}, {hs[2], tail, false}},
      {&sh[0], &sh[1], &sh[2]}));
  ahead->start_sample(
      {{as[0], {kSampledToken}, false}, {as[1], {kSampledToken}, false}, {as[2], tail, false}},
      {&sa[0], &sa[1], &sa[2]});
  got.push_back(ahead->finish_sample());  // B
  // D (fed after a forward_sample step: ids on the host), then E (fed on the device); seq 1 is
  // freed while E runs.
  for (int step = 0; step < 2; ++step) {
    const std::vector<int> last = want.back();
    want.push_back(host->forward_sample(
        {{hs[0], {last[0]}, false}, {hs[1], {last[1]}, false}, {hs[2], {last[2]}, false}},
        {&sh[0], &sh[1], &sh[2]}));
    ahead->start_sample({{as[0], {kSampledToken}, false},
                         {as[1], {kSampledToken}, false},
                         {as[2], {kSampledToken}, false}},
                        {&sa[0], &sa[1], &sa[2]});
    got.push_back(ahead->finish_sample());  // C, then D
  }
  host->free_sequence(hs[1]);
  ahead->free_sequence(as[1]);
  // F: seqs 0 and 2 fed from E's rows 0 and 2 on the device.
  want.push_back(host->forward_sample({{hs[0], {want[4][0]}, false}, {hs[2], {want[4][2]}, false}},
                                      {&sh[0], &sh[2]}));
  ahead->start_sample({{as[0], {kSampledToken}, false}, {as[2], {kSampledToken}, false}},
                      {&sa[0], &sa[2]});
  got.push_back(ahead->finish_sample());  // E
  got.push_back(ahead->finish_sample());  // F
  CHECK(ahead->device_fed_steps() == 2);  // E and F; B and D read their ids on the host
  REQUIRE(got.size() == want.size());
  for (size_t s = 0; s < want.size(); ++s) {
    CAPTURE(s);
    CHECK(got[s] == want[s]);
  }
}

}  // namespace

TEST_CASE("CUDA engine: steps started ahead around forward(), a mixed step and a freed sequence",
          "[gpu]") {
  if (!cuda_engine_available()) {
    MOEBENCH_SKIP("GPU test skipped: no CUDA build or device");
  }
  for (const char* family : {"deepseek_v2", "qwen3_moe"}) check_interleaved(family);
}

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
