// [gpu] The CUDA engine's fused launches (CudaEngineOptions::kernels fused: MLA's norm + rope +
// cache append in one kernel, routing + placement in one, the routed experts' gather and SwiGLU
// inside their GEMMs, the combine inside the next norm) against its separate ones on the tiny
// checkpoints: the same logits bit for bit over a prefill and decode steps of 3 and 8 sequences
// (the CUDA-core and tensor-core expert kernels), and the same greedy tokens through the CUDA graph
// decode path; and the same with programmatic dependent launch
// (CudaEngineOptions::programmatic_launch), whose early starts must not change a bit either.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <random>
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

std::unique_ptr<Engine> tiny_engine(const ModelConfig& config, const fs::path& dir, bool fused,
                                    bool pdl) {
  CudaEngineOptions opt = moebench::testing::tiny_cuda_options(
      8, 256, 512, fused ? KernelSet::fused : KernelSet::separate);
  opt.programmatic_launch = pdl;
  return make_cuda_engine(config, dir, opt);
}

// Positions whose logits differ in any bit between the two engines' forwards of the same chunks.
int64_t differing(const std::vector<float>& a, const std::vector<float>& b) {
  REQUIRE(a.size() == b.size());
  int64_t n = 0;
  for (size_t i = 0; i < a.size(); ++i) n += a[i] != b[i];
  return n;
}

// The separate launches against the fused ones, launched programmatically (pdl) or not.
void check_family(const std::string& family, bool pdl) {
  CAPTURE(family, pdl);
  const fs::path dir = tiny_bf16(family);
  const ModelConfig config = model_config_load(dir / "config.json");
  std::unique_ptr<Engine> separate = tiny_engine(config, dir, false, false);
  std::unique_ptr<Engine> fused = tiny_engine(config, dir, true, pdl);
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> token(0, config.vocab_size - 1);
  for (int n_seqs : {3, 8}) {
    CAPTURE(n_seqs);
    std::vector<int> ss, fs_;
    std::vector<EngineChunk> sc, fc;
    for (int i = 0; i < n_seqs; ++i) {
      std::vector<int> prompt(9 + 13 * i);
      for (int& t : prompt) t = token(rng);
      ss.push_back(separate->new_sequence());
      fs_.push_back(fused->new_sequence());
      sc.push_back({ss.back(), prompt, true});
      fc.push_back({fs_.back(), prompt, true});
    }
    CHECK(differing(separate->forward(sc), fused->forward(fc)) == 0);  // prefill, every position
    for (int step = 0; step < 4; ++step) {  // decode rows: the device-offset expert GEMMs
      for (int i = 0; i < n_seqs; ++i) {
        const int t = token(rng);
        sc[i] = {ss[i], {t}, false};
        fc[i] = {fs_[i], {t}, false};
      }
      CHECK(differing(separate->forward(sc), fused->forward(fc)) == 0);
    }
    // Greedy through forward_sample (CUDA graph decode steps): the same tokens.
    std::vector<Sampler> greedy_s(n_seqs, Sampler(SamplingParams{}));
    std::vector<Sampler> greedy_f(n_seqs, Sampler(SamplingParams{}));
    std::vector<Sampler*> sp, fp;
    for (int i = 0; i < n_seqs; ++i) {
      sp.push_back(&greedy_s[i]);
      fp.push_back(&greedy_f[i]);
    }
    for (int step = 0; step < 8; ++step) {
      const std::vector<int> a = separate->forward_sample(sc, sp);
      const std::vector<int> b = fused->forward_sample(fc, fp);
      REQUIRE(a == b);
      for (int i = 0; i < n_seqs; ++i) {
        sc[i] = {ss[i], {a[i]}, false};
        fc[i] = {fs_[i], {b[i]}, false};
      }
    }
    // The graphs just replayed: the fused step launches fewer kernels.
    const int k_sep = separate->decode_step_kernels(n_seqs),
              k_fus = fused->decode_step_kernels(n_seqs);
    std::printf("%s, %d sequences: %d kernels per decode step separate, %d fused%s\n",
                family.c_str(), n_seqs, k_sep, k_fus, pdl ? " + programmatic launch" : "");
    CHECK(k_sep > 0);
    CHECK(k_fus < k_sep);
    for (int i = 0; i < n_seqs; ++i) {
      separate->free_sequence(ss[i]);
      fused->free_sequence(fs_[i]);
    }
  }
  std::printf("fused%s vs separate kernels, %s: logits and greedy tokens identical\n",
              pdl ? " + programmatic launch" : "", family.c_str());
}

}  // namespace

TEST_CASE("CUDA engine: fused kernels give the separate launches' logits bit for bit", "[gpu]") {
  if (!cuda_engine_available()) {
    MOEBENCH_SKIP("GPU test skipped: no CUDA build or device");
  }
  // deepseek_v3: the query latent (two prepare launches); deepseek_v2: one; qwen3_moe: GQA
  // attention, so only the experts' SwiGLU changes.
  for (const char* family : {"deepseek_v3", "deepseek_v2", "qwen3_moe"}) {
    check_family(family, false);
    check_family(family, true);
  }
}
