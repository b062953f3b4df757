// The "gpu/" GEMM benchmarks: the two ceilings (a 2 GiB device copy, a cuBLAS bf16 GEMM 8192^3),
// dense cuda_gemm (automatic, cuBLAS, skinny), the MoE grouped expert GEMM (own kernel, its
// tensor-core variant, the per-expert cuBLAS loop) over four models' expert shapes, V2-Lite's
// shared down projection with its SwiGLU split or fused, and MLA's per-head absorb GEMMs (skinny
// vs cuBLAS strided batches). Each checks sampled output elements against double dot products
// before timing.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "kernels/bench/bench_gpu_util.h"
#include "kernels/bench/bench_grouped.h"
#include "kernels/bench/bench_util.h"
#include "kernels/gemm.h"
#include "kernels/grouped_gemm.h"
#include "kernels/ops.h"

namespace moebench {
namespace {

constexpr int kSamples = 32;  // sampled outputs of a dense GEMM

void BM_gpu_device_copy(benchmark::State& state, bool, int) {
  if (!bench_gpu_ready(state)) return;
  const size_t bytes = size_t{2} << 30;
  DeviceBuffer<uint8_t> src(bytes), dst(bytes);
  CUDA_CHECK(cudaMemset(src.data(), 0x5a, bytes));
  auto launch = [&] {
    CUDA_CHECK(cudaMemcpyAsync(dst.data(), src.data(), bytes, cudaMemcpyDeviceToDevice,
                               bench_gpu().stream));
  };
  launch();
  CUDA_CHECK(cudaStreamSynchronize(bench_gpu().stream));
  uint8_t tail = 0;
  CUDA_CHECK(cudaMemcpy(&tail, dst.data() + bytes - 1, 1, cudaMemcpyDeviceToHost));
  if (tail != 0x5a) {
    state.SkipWithError("device copy did not reach the last byte");
    return;
  }
  bench_gpu_run(state, false, 2.0 * static_cast<double>(bytes), 0, launch);  // read + write
}

// C (m, n) = A (m, k) · W^T, W an (n, k) weight, bf16 in and out; algo from the name. cold: L2
// flushed before each iteration.
void bench_gpu_dense(benchmark::State& state, int64_t m, int64_t n, int64_t k, GemmAlgo algo,
                     bool cold) {
  if (!bench_gpu_ready(state)) return;
  BenchGpu& g = bench_gpu();
  const DeviceBuffer<bf16_bits> a = bench_gpu_random(m * k, 61, 1.0);
  const DeviceBuffer<bf16_bits> w = bench_gpu_random(n * k, 62, 0.02);
  DeviceBuffer<bf16_bits> c(m * n);
  const GemmArgs args = gemm_args_dense(m, n, k, a.data(), w.data(), c.data(), algo);
  auto launch = [&] { cuda_gemm(*g.cublas, args, g.stream); };
  if (!bench_gpu_first_launch(state, launch)) return;
  std::vector<BenchGemmSample> samples;
  for (uint64_t i = 0; i < kSamples; ++i) {
    const int64_t r = static_cast<int64_t>(splitmix64_mix(2 * i) % m);
    const int64_t col = static_cast<int64_t>(splitmix64_mix(2 * i + 1) % n);
    samples.push_back({a.data() + r * k, w.data() + col * k, c.data() + r * n + col});
  }
  const std::string bad = bench_gpu_check_samples(samples, k);
  if (!bad.empty()) {
    state.SkipWithError(bad.c_str());
    return;
  }
  bench_gpu_run(state, cold, 2.0 * (m * k + n * k + m * n), 2.0 * m * n * k, launch);
}

// V2-Lite's shared experts' down projection (2048 x 2816) from their [gate | up] rows: cuda_swiglu
// then the skinny GEMV, or the SwiGLU formed as the GEMV loads (a_swiglu); m is the batch.
void BM_gpu_shared_down(benchmark::State& state, bool fused) {
  if (!bench_gpu_ready(state)) return;
  BenchGpu& g = bench_gpu();
  const int64_t m = state.range(0), n = 2048, k = 2816;
  const DeviceBuffer<bf16_bits> gu = bench_gpu_random(m * 2 * k, 79, 1.0);
  const DeviceBuffer<bf16_bits> w = bench_gpu_random(n * k, 80, 0.02);
  DeviceBuffer<bf16_bits> act(m * k), c(m * n);
  GemmArgs args = gemm_args_dense(m, n, k, act.data(), w.data(), c.data(), GemmAlgo::skinny);
  if (fused) {
    args.a = gu.data();
    args.lda = 2 * k;
    args.a_swiglu = true;
  }
  auto launch = [&] {
    if (!fused) cuda_swiglu(gu.data(), 2 * k, gu.data() + k, 2 * k, m, k, act.data(), g.stream);
    cuda_gemm(*g.cublas, args, g.stream);
  };
  if (!bench_gpu_first_launch(state, launch)) return;
  if (fused) {  // the samples' rows: the activations the fused loads form
    cuda_swiglu(gu.data(), 2 * k, gu.data() + k, 2 * k, m, k, act.data(), g.stream);
    CUDA_CHECK(cudaStreamSynchronize(g.stream));
  }
  std::vector<BenchGemmSample> samples;
  for (uint64_t i = 0; i < kSamples; ++i) {
    const int64_t r = static_cast<int64_t>(splitmix64_mix(2 * i) % m);
    const int64_t col = static_cast<int64_t>(splitmix64_mix(2 * i + 1) % n);
    samples.push_back({act.data() + r * k, w.data() + col * k, c.data() + r * n + col});
  }
  const std::string bad = bench_gpu_check_samples(samples, k);
  if (!bad.empty()) {
    state.SkipWithError(bad.c_str());
    return;
  }
  // NOTE: cold L2, as the absorb GEMMs: the 11.5 MB weight would stay in L2 between hot
  // iterations, while a decode step streams every other layer's weights through it in between.
  bench_gpu_run(state, true, 2.0 * (m * 2 * k + n * k + m * n), 2.0 * m * n * k, launch);
}

// MLA's per-head absorb GEMMs at decode in the CUDA engine's layouts (kv_b: per head [W_UK (nope x
// lora) | W_UV (v x lora)] rows; nope = v = 128, rope 64, lora 512): q, C[h] (m, lora) = q_nope[h]
// (m, nope) · W_UK[h], a (k, n) B; out, C[h] (m, v) = olat[h] (m, lora) · W_UV[h]^T.
struct BenchAbsorb {
  GemmArgs g;
  DeviceBuffer<bf16_bits> a, kv_b, c;
};

BenchAbsorb bench_absorb_make(int heads, bool q_side, int64_t m, GemmAlgo algo) {
  constexpr int64_t kNope = 128, kRope = 64, kV = 128, kLora = 512;
  BenchAbsorb x;
  GemmArgs& g = x.g;
  g.m = m;
  g.batch = heads;
  g.ldb = kLora;
  g.stride_b = (kNope + kV) * kLora;
  g.b_transposed = !q_side;
  g.n = q_side ? kLora : kV;
  g.k = q_side ? kNope : kLora;
  g.stride_a = q_side ? kNope + kRope : kLora;  // the queries' [nope | rope] or the latent output
  g.lda = heads * g.stride_a;
  g.stride_c = q_side ? kLora + kRope : kV;  // the absorbed queries beside q_pe, or the values
  g.ldc = heads * g.stride_c;
  g.algo = algo;
  x.a = bench_gpu_random(m * g.lda, 66, 1.0);
  x.kv_b = bench_gpu_random(heads * g.stride_b, 67, 0.02);
  x.c = DeviceBuffer<bf16_bits>(m * g.ldc);
  g.a = x.a.data();
  g.b = x.kv_b.data() + (q_side ? 0 : kNope * kLora);
  g.c = x.c.data();
  return x;
}

// Sampled outputs of x (after a launch): (k, n) B columns are first gathered into `cols`, so
// every sample's B side is k contiguous values as bench_gpu_check_samples reads them.
std::string bench_absorb_check(const BenchAbsorb& x, DeviceBuffer<bf16_bits>& cols) {
  const GemmArgs& g = x.g;
  std::vector<BenchGemmSample> samples;
  for (uint64_t i = 0; i < kSamples; ++i) {
    const int64_t r = static_cast<int64_t>(splitmix64_mix(3 * i) % g.m);
    const int64_t h = static_cast<int64_t>(splitmix64_mix(3 * i + 1) % g.batch);
    const int64_t col = static_cast<int64_t>(splitmix64_mix(3 * i + 2) % g.n);
    const bf16_bits* b = g.b + h * g.stride_b;
    if (!g.b_transposed) {  // column col of (k, ldb): k values ldb apart
      bf16_bits* dst = cols.data() + i * g.k;
      CUDA_CHECK(cudaMemcpy2D(dst, sizeof(bf16_bits), b + col, g.ldb * sizeof(bf16_bits),
                              sizeof(bf16_bits), g.k, cudaMemcpyDeviceToDevice));
    }
    samples.push_back({g.a + r * g.lda + h * g.stride_a,
                       g.b_transposed ? b + col * g.ldb : cols.data() + i * g.k,
                       static_cast<const bf16_bits*>(g.c) + r * g.ldc + h * g.stride_c + col});
  }
  return bench_gpu_check_samples(samples, g.k);
}

// One absorb GEMM (q_side: the q one) over `heads` heads, m = state.range(0) rows, bf16 out, L2
// flushed before each iteration; bytes count each head's weight, A and C once.
void BM_gpu_absorb(benchmark::State& state, int heads, bool q_side, GemmAlgo algo) {
  if (!bench_gpu_ready(state)) return;
  BenchGpu& gpu = bench_gpu();
  const BenchAbsorb x = bench_absorb_make(heads, q_side, state.range(0), algo);
  auto launch = [&] { cuda_gemm(*gpu.cublas, x.g, gpu.stream); };
  if (!bench_gpu_first_launch(state, launch)) return;
  DeviceBuffer<bf16_bits> cols(kSamples * x.g.k);
  const std::string bad = bench_absorb_check(x, cols);
  if (!bad.empty()) {
    state.SkipWithError(bad.c_str());
    return;
  }
  const GemmArgs& g = x.g;
  const double per_head = double(g.n) * g.k + double(g.m) * g.k + double(g.m) * g.n;
  // NOTE: cold L2: the weights (2 MB for V2-Lite, 16 MB for V3) would stay in L2 between hot
  // iterations, while a decode step streams every other layer's weights through it in between.
  bench_gpu_run(state, true, 2.0 * heads * per_head, 2.0 * heads * g.m * g.n * g.k, launch);
}

void BM_gpu_cublas_ceiling(benchmark::State& state, bool, int) {
  bench_gpu_dense(state, 8192, 8192, 8192, GemmAlgo::cublas, false);
}

// Dense shapes of V2-Lite: o_proj (2048 x 2048) and lm_head (102400 x 2048); m is the batch.
struct BenchDense {
  const char* name;
  int64_t n, k;
};
constexpr BenchDense kDense[] = {{"v2lite_o_proj", 2048, 2048}, {"v2lite_lm_head", 102400, 2048}};
constexpr const char* kAlgoNames[] = {"auto", "cublas", "skinny"};

void BM_gpu_gemm(benchmark::State& state, int dense, GemmAlgo algo) {
  // NOTE: batches up to 64 are bound by the weight's bytes: cold L2 (o_proj's 8.4 MB would be
  // read from L2 between hot iterations, and the rate compared with HBM's).
  const int64_t m = state.range(0);
  bench_gpu_dense(state, m, kDense[dense].n, kDense[dense].k, algo, m <= 64);
}

enum class GroupedImpl { ours, ours_tc, cublas_loop };
constexpr const char* kImplNames[] = {"ours", "ours_tc", "cublas_loop"};

// The routed experts' gate_up projection (n = 2 * inter, k = hidden).
void BM_gpu_grouped(benchmark::State& state, int shape, GroupedImpl impl) {
  if (!bench_gpu_ready(state)) return;
  BenchGpu& g = bench_gpu();
  const BenchMoeShape& m = kBenchMoeShapes[shape];
  const BenchRouting route = bench_routing(m, state.range(0));
  const std::vector<int32_t>& offsets = route.offsets;
  const int64_t rows = offsets.back(), n = 2 * m.inter, k = m.hidden;
  const DeviceBuffer<bf16_bits> x = bench_gpu_random(rows * k, 64, 1.0);
  const DeviceBuffer<bf16_bits> w = bench_gpu_random(int64_t{m.experts} * n * k, 65, 0.02);
  DeviceBuffer<bf16_bits> y(rows * n);
  DeviceBuffer<int32_t> d_off(offsets);
  const GroupedGemmArgs args{x.data(),        d_off.data(), w.data(), y.data(), rows,
                             route.max_count, m.experts,    n,        k};
  bench_grouped_run(state, route, x.data(), w.data(), y.data(), n, k, [&] {
    if (impl == GroupedImpl::ours) cuda_grouped_gemm(args, g.stream);
    if (impl == GroupedImpl::ours_tc) cuda_grouped_gemm_tc(args, g.stream);
    if (impl == GroupedImpl::cublas_loop)
      cuda_grouped_gemm_host(*g.cublas, args, offsets, g.stream);
  });
}

const int kRegistered = [] {
  bench_gpu_register(
      "ceiling/device_copy_2GiB", BM_gpu_device_copy, [](benchmark::internal::Benchmark*) {},
      false);
  bench_gpu_register(
      "ceiling/cublas_bf16_gemm_8192", BM_gpu_cublas_ceiling,
      [](benchmark::internal::Benchmark*) {}, false);
  for (int d = 0; d < 2; ++d) {
    for (int algo = 0; algo < 3; ++algo) {
      const std::string name = std::string("gpu/gemm/") + kDense[d].name + "/" + kAlgoNames[algo];
      auto* b = bench_gpu_register_fn(name, BM_gpu_gemm, d, static_cast<GemmAlgo>(algo));
      b->ArgName("m")->Arg(1)->Arg(4)->Arg(16);
      if (algo != 2) b->Arg(64)->Arg(256)->Arg(4096);  // skinny serves m <= 16 only
    }
  }
  for (bool fused : {true, false}) {
    bench_gpu_register_fn(
        std::string("gpu/gemm/v2lite_shared_down/") + (fused ? "fused_swiglu" : "split_swiglu"),
        BM_gpu_shared_down, fused)
        ->ArgName("m")
        ->Arg(1)
        ->Arg(4);
  }
  constexpr std::pair<const char*, int> kAbsorbModels[] = {{"v2lite", 16}, {"v3", 128}};
  for (const auto& [model, heads] : kAbsorbModels) {
    for (bool q_side : {true, false}) {
      for (GemmAlgo algo : {GemmAlgo::skinny, GemmAlgo::cublas}) {
        const std::string name = std::string("gpu/gemm/") + model +
                                 (q_side ? "_q_absorb/" : "_out_absorb/") +
                                 kAlgoNames[static_cast<int>(algo)];
        bench_gpu_register_fn(name, BM_gpu_absorb, heads, q_side, algo)
            ->ArgName("m")
            ->Arg(1)
            ->Arg(4);
      }
    }
  }
  for (int s = 0; s < kBenchNumMoeShapes; ++s) {
    for (int impl = 0; impl < 3; ++impl) {
      const std::string name = std::string("gpu/grouped_gemm/") + kBenchMoeShapes[s].name +
                               "_gate_up/" + kImplNames[impl];
      auto* b = bench_gpu_register_fn(name, BM_gpu_grouped, s, static_cast<GroupedImpl>(impl));
      b->ArgName("tokens_per_expert")->Arg(1)->Arg(8)->Arg(64)->Arg(256);
    }
  }
  return 0;
}();

}  // namespace
}  // namespace moebench
