// Inputs of the "gpu/" MoE grouped-GEMM benchmarks (CUDA builds only): a seeded random routing at
// a mean rows-per-expert, the sampled output elements their checks compare, and their common run.
#pragma once

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "kernels/bench/bench_gpu_util.h"
#include "kernels/bench/bench_util.h"

namespace moebench {

// Tokens routed at random over a shape's experts: n_tokens = tokens_per_expert * experts / top_k,
// so the mean rows per expert is the argument. The ids, the offsets (experts + 1) and a summary.
struct BenchRouting {
  int64_t n_tokens = 0;
  std::vector<int32_t> ids;  // (n_tokens, top_k)
  std::vector<int32_t> offsets;
  int32_t max_count = 0;
  int touched = 0;  // experts with rows
};

inline BenchRouting bench_routing(const BenchMoeShape& m, int64_t tokens_per_expert) {
  BenchRouting r;
  r.n_tokens = std::max<int64_t>(1, tokens_per_expert * m.experts / m.top_k);
  r.ids = bench_random_topk_ids(r.n_tokens, m.top_k, m.experts, 63);
  r.offsets.assign(m.experts + 1, 0);
  for (int32_t e : r.ids) ++r.offsets[e + 1];
  r.max_count = *std::max_element(r.offsets.begin() + 1, r.offsets.end());
  r.touched = static_cast<int>(
      std::count_if(r.offsets.begin() + 1, r.offsets.end(), [](int32_t c) { return c > 0; }));
  for (int e = 0; e < m.experts; ++e) r.offsets[e + 1] += r.offsets[e];
  return r;
}

constexpr int kBenchGroupedSamples = 32;

// kBenchGroupedSamples sampled output elements of a grouped GEMM over x (rows, k) and w
// (experts, n, k).
inline std::vector<BenchGemmSample> bench_grouped_samples(const std::vector<int32_t>& offsets,
                                                          const bf16_bits* x, const bf16_bits* w,
                                                          const bf16_bits* y, int64_t n,
                                                          int64_t k) {
  const int64_t rows = offsets.back();
  std::vector<BenchGemmSample> samples;
  for (uint64_t i = 0; i < kBenchGroupedSamples; ++i) {
    const int64_t r = static_cast<int64_t>(splitmix64_mix(2 * i) % rows);
    const int64_t col = static_cast<int64_t>(splitmix64_mix(2 * i + 1) % n);
    const int e =
        static_cast<int>(std::upper_bound(offsets.begin(), offsets.end(), r) - offsets.begin()) - 1;
    samples.push_back({x + r * k, w + (e * n + col) * k, y + r * n + col});
  }
  return samples;
}

// The rest of a grouped-GEMM benchmark once its launch is set: one launch, the sampled outputs
// checked (y (rows, n) from x (rows, k) and w (experts, n, k)), then the timed runs counting the
// touched experts' weights, x and y once.
template <typename Launch>
void bench_grouped_run(benchmark::State& state, const BenchRouting& route, const bf16_bits* x,
                       const bf16_bits* w, const bf16_bits* y, int64_t n, int64_t k,
                       Launch&& launch) {
  if (!bench_gpu_first_launch(state, launch)) return;
  const std::vector<int32_t>& offsets = route.offsets;
  const int64_t rows = offsets.back();
  const std::string bad = bench_gpu_check_samples(bench_grouped_samples(offsets, x, w, y, n, k), k);
  if (!bad.empty()) {
    state.SkipWithError(bad.c_str());
    return;
  }
  state.counters["experts_touched"] = route.touched;
  const double bytes = 2.0 * (double(route.touched) * n * k + rows * k + rows * n);
  bench_gpu_run(state, false, bytes, 2.0 * rows * n * k, launch);
}

}  // namespace moebench
