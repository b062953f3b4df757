// The "gpu/" benchmark of a decode step's tail at V2-Lite's shape: the lm_head GEMV (vocab 102,400
// x hidden 2048, f32 logits) then greedy sampling, with the argmax left by the GEMV (c_argmax:
// "fused") or found by the sampler's pass over the logits ("separate"). Before timing, each
// checks sampled logits against double dot products and its ids against the other way's.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "kernels/bench/bench_gpu_util.h"
#include "kernels/bench/bench_util.h"
#include "kernels/counter_rng.h"
#include "kernels/gemm.h"
#include "kernels/sampling.h"

namespace moebench {
namespace {

constexpr int64_t kVocab = 102400, kHidden = 2048;

// Greedy sampling parameters for n rows, on the device.
struct BenchGreedy {
  explicit BenchGreedy(int64_t n)
      : temperature(std::vector<float>(n, 0.0f)),
        top_p(std::vector<float>(n, 1.0f)),
        top_k(std::vector<int32_t>(n, 0)),
        seed(std::vector<uint64_t>(n, 1)),
        draw(std::vector<uint64_t>(n, 0)),
        out(n) {}
  DeviceBuffer<float> temperature, top_p;
  DeviceBuffer<int32_t> top_k;
  DeviceBuffer<uint64_t> seed, draw;
  DeviceBuffer<int32_t> out;

  SampleArgs args(const float* logits, int64_t n_rows, uint64_t* argmax) {
    SampleArgs a;
    a.logits = logits;
    a.ld = kVocab;
    a.n_rows = n_rows;
    a.vocab = static_cast<int>(kVocab);
    a.temperature = temperature.data();
    a.top_p = top_p.data();
    a.top_k = top_k.data();
    a.seed = seed.data();
    a.draw = draw.data();
    a.out = out.data();
    a.argmax = argmax;
    return a;
  }
};

// Empty when 32 sampled logits are within 1e-3 relative (+1e-3 of the products' rms) of their
// double dot products and each row's id holds its largest logit, else a one-line message.
std::string check_logits(const DeviceBuffer<bf16_bits>& h, const DeviceBuffer<bf16_bits>& w,
                         const std::vector<float>& logits, const std::vector<int32_t>& ids,
                         int64_t m) {
  const std::vector<bf16_bits> hh = h.download();
  std::vector<bf16_bits> wrow(kHidden);
  for (uint64_t i = 0; i < 32; ++i) {
    const int64_t r = static_cast<int64_t>(splitmix64_mix(2 * i) % m);
    const int64_t col = static_cast<int64_t>(splitmix64_mix(2 * i + 1) % kVocab);
    CUDA_CHECK(cudaMemcpy(wrow.data(), w.data() + col * kHidden, kHidden * sizeof(bf16_bits),
                          cudaMemcpyDeviceToHost));
    double dot = 0.0, sq = 0.0;
    for (int64_t j = 0; j < kHidden; ++j) {
      const double p = static_cast<double>(bf16_to_f32(hh[r * kHidden + j])) *
                       static_cast<double>(bf16_to_f32(wrow[j]));
      dot += p;
      sq += p * p;
    }
    const double got = logits[r * kVocab + col];
    if (std::abs(got - dot) > 1e-3 * std::abs(dot) + 1e-3 * std::sqrt(sq / kHidden)) {
      return "logit (" + std::to_string(r) + ", " + std::to_string(col) + ") is " +
             std::to_string(got) + ", the double dot product " + std::to_string(dot);
    }
  }
  for (int64_t r = 0; r < m; ++r) {
    for (int64_t col = 0; col < kVocab; ++col) {
      if (logits[r * kVocab + col] > logits[r * kVocab + ids[r]]) {
        return "row " + std::to_string(r) + "'s id " + std::to_string(ids[r]) +
               " is not its largest logit";
      }
    }
  }
  return "";
}

// m = state.range(0) rows (the decode batch; the skinny GEMV serves up to 4 by default).
void BM_gpu_logits_sample(benchmark::State& state, bool fused) {
  if (!bench_gpu_ready(state)) return;
  BenchGpu& g = bench_gpu();
  const int64_t m = state.range(0);
  const DeviceBuffer<bf16_bits> h = bench_gpu_random(m * kHidden, 91, 1.0);
  const DeviceBuffer<bf16_bits> w = bench_gpu_random(kVocab * kHidden, 92, 0.02);
  DeviceBuffer<float> logits(m * kVocab);
  DeviceBuffer<uint64_t> keys(std::vector<uint64_t>(m, 0));
  BenchGreedy greedy(m);
  GemmArgs gemv =
      gemm_args_dense(m, kVocab, kHidden, h.data(), w.data(), logits.data(), GemmAlgo::skinny);
  gemv.c_f32 = true;
  GemmArgs plain = gemv;
  if (fused) gemv.c_argmax = keys.data();
  const SampleArgs sample = greedy.args(logits.data(), m, fused ? keys.data() : nullptr);
  auto launch = [&] {
    cuda_gemm(*g.cublas, gemv, g.stream);
    cuda_sample(sample, g.stream);
  };
  if (!bench_gpu_first_launch(state, launch)) return;
  const std::vector<int32_t> ids = greedy.out.download();
  // The other way's ids, from the same logits: the pass over them.
  cuda_gemm(*g.cublas, plain, g.stream);
  cuda_sample(greedy.args(logits.data(), m, nullptr), g.stream);
  CUDA_CHECK(cudaStreamSynchronize(g.stream));
  if (greedy.out.download() != ids) {
    state.SkipWithError("the GEMV's argmax and the sampler's pass picked different ids");
    return;
  }
  const std::string bad = check_logits(h, w, logits.download(), ids, m);
  if (!bad.empty()) {
    state.SkipWithError(bad.c_str());
    return;
  }
  bench_gpu_run(state, false, 2.0 * (m * kHidden + kVocab * kHidden) + 4.0 * m * kVocab,
                2.0 * m * kVocab * kHidden, launch);
}

const int kRegistered = [] {
  for (bool fused : {true, false}) {
    bench_gpu_register_fn(
        std::string("gpu/gemm/v2lite_logits_greedy/") + (fused ? "fused" : "separate"),
        BM_gpu_logits_sample, fused)
        ->ArgName("m")
        ->Arg(1)
        ->Arg(4);
  }
  return 0;
}();

}  // namespace
}  // namespace moebench
