// The "gpu/" benchmarks of the loads fused into the MoE grouped GEMMs, each beside the two-kernel
// path it replaces: the permute's gather inside the up GEMM (x_slots) and the SwiGLU inside the
// down GEMM (x_swiglu), on the CUDA-core and tensor-core kernels, at decode's rows per expert (1
// and 8: the fused loads are the decode path's). Each counts the fused path's bytes for both, so
// their % of the copy ceiling compare times.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>
#include <vector>

#include "kernels/bench/bench_gpu_util.h"
#include "kernels/bench/bench_grouped.h"
#include "kernels/bench/bench_util.h"
#include "kernels/grouped_gemm.h"
#include "kernels/moe_permute.h"
#include "kernels/ops.h"

namespace moebench {
namespace {

// The routed experts' gate_up projection (n = 2 * inter, k = hidden) from the tokens' rows:
// cuda_moe_permute with its gather then the grouped GEMM over the copy ("split"), or the permute's
// placement only and the GEMM reading the tokens' rows through perm_to_slot ("fused").
void BM_gpu_grouped_up_gather(benchmark::State& state, int shape, bool tc, bool fused) {
  if (!bench_gpu_ready(state)) return;
  BenchGpu& g = bench_gpu();
  const BenchMoeShape& m = kBenchMoeShapes[shape];
  const BenchRouting route = bench_routing(m, state.range(0));
  const int64_t rows = route.offsets.back(), n = 2 * m.inter, k = m.hidden;
  const DeviceBuffer<bf16_bits> x = bench_gpu_random(route.n_tokens * k, 68, 1.0);
  const DeviceBuffer<bf16_bits> w = bench_gpu_random(int64_t{m.experts} * n * k, 69, 0.02);
  DeviceBuffer<bf16_bits> x_perm(rows * k), y(rows * n);
  DeviceBuffer<int32_t> ids(route.ids), offsets(m.experts + 1), p2s(rows), s2p(rows);
  MoePermuteArgs p;
  p.topk_ids = ids.data();
  p.x = x.data();
  p.ld_x = k;
  p.n_tokens = route.n_tokens;
  p.top_k = m.top_k;
  p.n_experts = m.experts;
  p.hidden = k;
  p.offsets = offsets.data();
  p.perm_to_slot = p2s.data();
  p.slot_to_perm = s2p.data();
  p.x_perm = fused ? nullptr : x_perm.data();
  GroupedGemmArgs args{x_perm.data(),   offsets.data(), w.data(), y.data(), rows,
                       route.max_count, m.experts,      n,        k};
  if (fused) {
    args.x = x.data();
    args.x_slots = p2s.data();
    args.slot_div = m.top_k;
  }
  auto grouped = tc ? cuda_grouped_gemm_tc : cuda_grouped_gemm;
  auto launch = [&] {
    cuda_moe_permute(p, g.stream);
    grouped(args, g.stream);
  };
  if (!bench_gpu_first_launch(state, launch)) return;
  if (fused) {  // the samples' rows: the gathered copy the fused loads read through the map
    MoePermuteArgs gather = p;
    gather.x_perm = x_perm.data();
    cuda_moe_permute(gather, g.stream);
    CUDA_CHECK(cudaStreamSynchronize(g.stream));
  }
  const std::string bad = bench_gpu_check_samples(
      bench_grouped_samples(route.offsets, x_perm.data(), w.data(), y.data(), n, k), k);
  if (!bad.empty()) {
    state.SkipWithError(bad.c_str());
    return;
  }
  state.counters["experts_touched"] = route.touched;
  const double bytes = 2.0 * (double(route.touched) * n * k + route.n_tokens * k + rows * n);
  bench_gpu_run(state, false, bytes, 2.0 * rows * n * k, launch);
}

// The routed experts' down projection (n = hidden, k = inter) from the gate_up output: cuda_swiglu
// then the grouped GEMM ("split"), or the SwiGLU fused into the GEMM's loads (x_swiglu). Both
// count the fused path's bytes (weights, the [gate | up] rows, the output), so their % of the
// copy ceiling compare times.
void BM_gpu_grouped_down(benchmark::State& state, int shape, bool tc, bool fused) {
  if (!bench_gpu_ready(state)) return;
  BenchGpu& g = bench_gpu();
  const BenchMoeShape& m = kBenchMoeShapes[shape];
  const BenchRouting route = bench_routing(m, state.range(0));
  const std::vector<int32_t>& offsets = route.offsets;
  const int64_t rows = offsets.back(), n = m.hidden, k = m.inter;
  const DeviceBuffer<bf16_bits> gu = bench_gpu_random(rows * 2 * k, 66, 1.0);
  const DeviceBuffer<bf16_bits> w = bench_gpu_random(int64_t{m.experts} * n * k, 67, 0.02);
  DeviceBuffer<bf16_bits> act(rows * k), y(rows * n);
  DeviceBuffer<int32_t> d_off(offsets);
  GroupedGemmArgs args{act.data(),      d_off.data(), w.data(), y.data(), rows,
                       route.max_count, m.experts,    n,        k};
  if (fused) {
    args.x = gu.data();
    args.x_swiglu = true;
  }
  auto grouped = tc ? cuda_grouped_gemm_tc : cuda_grouped_gemm;
  auto launch = [&] {
    if (!fused) {
      cuda_swiglu(gu.data(), 2 * k, gu.data() + k, 2 * k, rows, k, act.data(), g.stream);
    }
    grouped(args, g.stream);
  };
  if (!bench_gpu_first_launch(state, launch)) return;
  if (fused) {  // the samples' rows: the activations the fused loads form
    cuda_swiglu(gu.data(), 2 * k, gu.data() + k, 2 * k, rows, k, act.data(), g.stream);
    CUDA_CHECK(cudaStreamSynchronize(g.stream));
  }
  const std::string bad = bench_gpu_check_samples(
      bench_grouped_samples(offsets, act.data(), w.data(), y.data(), n, k), k);
  if (!bad.empty()) {
    state.SkipWithError(bad.c_str());
    return;
  }
  state.counters["experts_touched"] = route.touched;
  const double bytes = 2.0 * (double(route.touched) * n * k + rows * 2 * k + rows * n);
  bench_gpu_run(state, false, bytes, 2.0 * rows * n * k, launch);
}

const int kRegistered = [] {
  for (int s = 0; s < kBenchNumMoeShapes; ++s) {
    for (int tc = 0; tc < 2; ++tc) {
      for (int fused = 0; fused < 2; ++fused) {
        const std::string prefix = std::string("gpu/grouped_gemm/") + kBenchMoeShapes[s].name;
        const std::string impl =
            std::string(tc ? "ours_tc_" : "ours_") + (fused ? "fused" : "split");
        bench_gpu_register_fn(prefix + "_gate_up/" + impl + "_gather", BM_gpu_grouped_up_gather, s,
                              tc == 1, fused == 1)
            ->ArgName("tokens_per_expert")
            ->Arg(1)
            ->Arg(8);
        bench_gpu_register_fn(prefix + "_down/" + impl + "_swiglu", BM_gpu_grouped_down, s, tc == 1,
                              fused == 1)
            ->ArgName("tokens_per_expert")
            ->Arg(1)
            ->Arg(8);
      }
    }
  }
  return 0;
}();

}  // namespace
}  // namespace moebench
