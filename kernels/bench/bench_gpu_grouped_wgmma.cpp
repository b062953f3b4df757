// The "gpu/" benchmarks of cuda_grouped_gemm_wgmma (Hopper, persistent, device offsets): the
// routed experts' gate_up and down projections at decode and prefill rows per expert, named
// beside the other grouped kernels ("ours", "ours_tc", "cublas_loop") so one table compares
// them, and its SwiGLU epilogue beside its plain product + cuda_swiglu. Each case is skipped,
// visibly, where the build or device has no sm_90a code.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>
#include <vector>

#include "kernels/bench/bench_gpu_util.h"
#include "kernels/bench/bench_grouped.h"
#include "kernels/bench/bench_util.h"
#include "kernels/grouped_gemm.h"
#include "kernels/ops.h"

namespace moebench {
namespace {

// False, with the benchmark skipped, when this device does not run the wgmma kernel.
bool wgmma_ready(benchmark::State& state) {
  if (!bench_gpu_ready(state)) return false;
  if (cuda_grouped_gemm_wgmma_available()) return true;
  state.SkipWithError(
      "no sm_90a code for this device (cuda_grouped_gemm_wgmma needs a Hopper GPU "
      "and a -DCMAKE_CUDA_ARCHITECTURES=90a build)");
  return false;
}

// One projection of a shape's routed experts: gate_up (n = 2 * inter, k = hidden) or down (n =
// hidden, k = inter), rows from a random routing at state.range(0) rows per expert.
void BM_gpu_grouped_wgmma(benchmark::State& state, int shape, bool down) {
  if (!wgmma_ready(state)) return;
  BenchGpu& g = bench_gpu();
  const BenchMoeShape& m = kBenchMoeShapes[shape];
  const BenchRouting route = bench_routing(m, state.range(0));
  const std::vector<int32_t>& offsets = route.offsets;
  const int64_t rows = offsets.back();
  const int64_t n = down ? m.hidden : 2 * m.inter, k = down ? m.inter : m.hidden;
  const DeviceBuffer<bf16_bits> x = bench_gpu_random(rows * k, 70, 1.0);
  const DeviceBuffer<bf16_bits> w = bench_gpu_random(int64_t{m.experts} * n * k, 71, 0.02);
  DeviceBuffer<bf16_bits> y(rows * n);
  DeviceBuffer<int32_t> d_off(offsets);
  const GroupedGemmArgs args{x.data(),        d_off.data(), w.data(), y.data(), rows,
                             route.max_count, m.experts,    n,        k};
  bench_grouped_run(state, route, x.data(), w.data(), y.data(), n, k,
                    [&] { cuda_grouped_gemm_wgmma(args, g.stream); });
}

// The gate_up projection and its SwiGLU: in the epilogue (fused: y_swiglu, the activations
// written once) or the plain product then cuda_swiglu (separate). Both count the fused path's
// bytes; the fused output must equal the separate one bit for bit.
void BM_gpu_grouped_wgmma_swiglu(benchmark::State& state, int shape, bool fused) {
  if (!wgmma_ready(state)) return;
  BenchGpu& g = bench_gpu();
  const BenchMoeShape& m = kBenchMoeShapes[shape];
  const BenchRouting route = bench_routing(m, state.range(0));
  const int64_t rows = route.offsets.back(), n = 2 * m.inter, k = m.hidden, half = m.inter;
  const DeviceBuffer<bf16_bits> x = bench_gpu_random(rows * k, 72, 1.0);
  const DeviceBuffer<bf16_bits> w = bench_gpu_random(int64_t{m.experts} * n * k, 73, 0.02);
  DeviceBuffer<bf16_bits> gu(rows * n), act(rows * half), act_fused(rows * half);
  DeviceBuffer<int32_t> d_off(route.offsets);
  GroupedGemmArgs plain{x.data(),        d_off.data(), w.data(), gu.data(), rows,
                        route.max_count, m.experts,    n,        k};
  GroupedGemmArgs epilogue = plain;
  epilogue.y = act_fused.data();
  epilogue.y_swiglu = true;
  auto separate = [&] {
    cuda_grouped_gemm_wgmma(plain, g.stream);
    cuda_swiglu(gu.data(), n, gu.data() + half, n, rows, half, act.data(), g.stream);
  };
  auto launch = [&] {
    if (fused) {
      cuda_grouped_gemm_wgmma(epilogue, g.stream);
    } else {
      separate();
    }
  };
  if (!bench_gpu_first_launch(state, launch)) return;
  const std::string key = std::string("grouped_wgmma_swiglu/") + m.name + (fused ? "/f/" : "/s/") +
                          std::to_string(state.range(0));
  if (bench_gpu_check_due(key)) {
    const std::string bad = bench_gpu_check_samples(
        bench_grouped_samples(route.offsets, x.data(), w.data(), gu.data(), n, k), k);
    if (!bad.empty()) {
      state.SkipWithError(bad.c_str());
      return;
    }
    if (fused) {
      separate();
      cuda_grouped_gemm_wgmma(epilogue, g.stream);
      CUDA_CHECK(cudaStreamSynchronize(g.stream));
      if (act.download() != act_fused.download()) {
        state.SkipWithError("the SwiGLU epilogue differs from the product + cuda_swiglu");
        return;
      }
    }
  }
  state.counters["experts_touched"] = route.touched;
  const double bytes = 2.0 * (double(route.touched) * n * k + rows * k + rows * half);
  bench_gpu_run(state, false, bytes, 2.0 * rows * n * k, launch);
}

const int kRegistered = [] {
  for (int s = 0; s < kBenchNumMoeShapes; ++s) {
    const std::string prefix = std::string("gpu/grouped_gemm/") + kBenchMoeShapes[s].name;
    for (bool down : {false, true}) {
      bench_gpu_register_fn(prefix + (down ? "_down" : "_gate_up") + "/ours_wgmma",
                            BM_gpu_grouped_wgmma, s, down)
          ->ArgName("tokens_per_expert")
          ->Arg(1)
          ->Arg(8)
          ->Arg(64)
          ->Arg(256);
    }
    for (bool fused : {true, false}) {
      bench_gpu_register_fn(prefix + "_gate_up_swiglu/wgmma/" + (fused ? "fused" : "separate"),
                            BM_gpu_grouped_wgmma_swiglu, s, fused)
          ->ArgName("tokens_per_expert")
          ->Arg(8)
          ->Arg(256);
    }
  }
  return 0;
}();

}  // namespace
}  // namespace moebench
