// Shared pieces of the moebench-kernels microbenchmarks (kernels/bench/): seeded random inputs
// rounded to bf16, the MoE expert shapes the sweeps use, rate counters and the one-time checks.
#pragma once

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "kernels/bf16.h"
#include "kernels/counter_rng.h"
#include "kernels/ops.h"

namespace moebench {

// One routed-expert FFN shape from the model's HF config: hidden_size, moe_intermediate_size
// (Mixtral: intermediate_size), n_routed_experts / num_local_experts and the experts per token.
struct BenchMoeShape {
  const char* name;
  int64_t hidden;
  int64_t inter;
  int experts;
  int top_k;
};

constexpr BenchMoeShape kBenchMoeShapes[] = {
    {"v2lite", 2048, 1408, 64, 6},
    {"v3", 7168, 2048, 256, 8},
    {"mixtral", 4096, 14336, 8, 2},
    {"qwen3_30b_a3b", 2048, 768, 128, 8},
};
constexpr int kBenchNumMoeShapes = 4;

// The model's router from its HF config: V3 sigmoid noaux_tc (8 groups keep 4, renormalized,
// x 2.5), V2-Lite softmax without renormalization, Mixtral and Qwen3 softmax renormalized.
inline MoeRouteArgs bench_model_route(const BenchMoeShape& m, int64_t n_tokens) {
  MoeRouteArgs a;
  a.n_tokens = n_tokens;
  a.n_experts = m.experts;
  a.top_k = m.top_k;
  const bool v3 = std::string(m.name) == "v3";
  a.mode = v3 ? MoeRouteMode::sigmoid_noaux_tc : MoeRouteMode::softmax_topk;
  a.n_group = v3 ? 8 : 1;
  a.topk_group = v3 ? 4 : 1;
  a.renormalize = std::string(m.name) != "v2lite";
  a.renorm_eps = v3 ? 1e-20f : 0.0f;
  a.scaling = v3 ? 2.5f : 1.0f;
  return a;
}

// n values uniform in [lo, hi) from splitmix64(seed, i), rounded to bf16 (what the kernels read).
// NOTE: counter-based, so the chunks can fill in parallel with the same values as one thread;
// the GPU benchmarks draw up to ~250M values per input.
inline std::vector<float> bench_random_bf16(int64_t n, uint64_t seed, float lo, float hi) {
  std::vector<float> v(static_cast<size_t>(n));
  auto fill = [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i)
      v[i] = bf16_round(lo + (hi - lo) * counter_uniform(seed, i));
  };
  const int64_t n_threads =
      n < (int64_t{1} << 20) ? 1 : std::max<int64_t>(1, std::thread::hardware_concurrency());
  std::vector<std::thread> pool;
  const int64_t chunk = (n + n_threads - 1) / n_threads;
  for (int64_t t = 1; t < n_threads; ++t) {
    pool.emplace_back(fill, std::min(n, t * chunk), std::min(n, (t + 1) * chunk));
  }
  fill(0, std::min(n, chunk));
  for (std::thread& th : pool) th.join();
  return v;
}

// n ids uniform in [0, bound): random tokens for the embedding gather.
inline std::vector<int32_t> bench_random_ids(int64_t n, int64_t bound, uint64_t seed) {
  std::vector<int32_t> ids(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    ids[i] = static_cast<int32_t>(splitmix64_mix(seed ^ splitmix64_mix(i)) % bound);
  }
  return ids;
}

// Routing ids (n_tokens, top_k): top_k DISTINCT experts per token drawn at random, so every
// benchmark sees the spread of a real batch rather than one repeated token (REFERENCE.md).
inline std::vector<int32_t> bench_random_topk_ids(int64_t n_tokens, int top_k, int n_experts,
                                                  uint64_t seed) {
  std::vector<int32_t> ids(static_cast<size_t>(n_tokens * top_k));
  std::vector<int32_t> pool(n_experts);
  uint64_t counter = 0;
  for (int64_t t = 0; t < n_tokens; ++t) {
    std::iota(pool.begin(), pool.end(), 0);
    for (int j = 0; j < top_k; ++j) {  // partial Fisher-Yates
      const uint64_t r = splitmix64_mix(seed ^ splitmix64_mix(counter++));
      const int pick = j + static_cast<int>(r % static_cast<uint64_t>(n_experts - j));
      std::swap(pool[j], pool[pick]);
      ids[t * top_k + j] = pool[j];
    }
  }
  return ids;
}

// Bytes and FLOPs moved by one iteration, reported per second (GB/s, FLOP/s in the JSON).
// V2-Lite's q for the RoPE benchmarks: 16 heads of 192 = [nope 128 | rope 64], complex pairs,
// rotated in place; the inverse frequencies of theta 10000 and positions spread over 4096.
struct BenchRopeCase {
  RopeArgs args;
  std::vector<float> inv_freq;
  std::vector<int32_t> positions;
};

inline BenchRopeCase bench_rope_v2lite(int64_t n_tokens) {
  BenchRopeCase c;
  RopeArgs& a = c.args;
  a.n_tokens = n_tokens;
  a.n_heads = 16;
  a.head_stride = 192;
  a.token_stride = 16 * 192;
  a.rot_offset = 128;
  a.dim = 64;
  a.pairing = RopePairing::pairs;
  c.inv_freq.resize(a.dim / 2);
  for (int i = 0; i < a.dim / 2; ++i) c.inv_freq[i] = std::pow(10000.0f, -2.0f * i / a.dim);
  c.positions.resize(n_tokens);
  for (int64_t t = 0; t < n_tokens; ++t) {
    c.positions[t] = static_cast<int32_t>((t * 2654435761u) % 4096);
  }
  return c;
}

inline void bench_set_rates(benchmark::State& state, double bytes, double flops) {
  if (bytes > 0) {
    state.counters["bytes_per_second"] =
        benchmark::Counter(bytes * static_cast<double>(state.iterations()),
                           benchmark::Counter::kIsRate, benchmark::Counter::kIs1000);
  }
  if (flops > 0) {
    state.counters["flop_per_second"] =
        benchmark::Counter(flops * static_cast<double>(state.iterations()),
                           benchmark::Counter::kIsRate, benchmark::Counter::kIs1000);
  }
}

// Empty when |got - want| <= atol + rtol * |want| everywhere (NaN and Inf must match), else a
// one-line message naming the worst index and both values, for state.SkipWithError.
inline std::string bench_compare(const std::vector<float>& got, const std::vector<float>& want,
                                 double atol, double rtol) {
  if (got.size() != want.size()) {
    return "size mismatch: got " + std::to_string(got.size()) + ", want " +
           std::to_string(want.size());
  }
  double worst_excess = 0;
  size_t worst = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const bool nan_g = std::isnan(got[i]), nan_w = std::isnan(want[i]);
    double excess = 0;
    if (nan_g || nan_w || std::isinf(got[i]) || std::isinf(want[i])) {
      excess = (nan_g && nan_w) || got[i] == want[i] ? 0.0 : INFINITY;
    } else {
      const double diff = std::abs(static_cast<double>(got[i]) - want[i]);
      const double tol = atol + rtol * std::abs(static_cast<double>(want[i]));
      excess = diff > tol ? diff - tol : 0.0;
    }
    if (excess > worst_excess) {
      worst_excess = excess;
      worst = i;
    }
  }
  if (worst_excess == 0) return {};
  std::ostringstream os;
  os << "mismatch at index " << worst << ": got " << got[worst] << ", want " << want[worst]
     << " (atol " << atol << ", rtol " << rtol << ")";
  return os.str();
}

}  // namespace moebench
