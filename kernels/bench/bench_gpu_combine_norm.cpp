// The "gpu/" benchmark of the MoE combine fused into the next norm
// (cuda_moe_combine_rmsnorm_residual_f32) beside the two launches it replaces (cuda_moe_combine,
// cuda_rmsnorm_residual_f32), at the V2-Lite and V3 shapes, after checking once that both leave
// the same bits.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>
#include <vector>

#include "kernels/bench/bench_gpu_util.h"
#include "kernels/bench/bench_util.h"
#include "kernels/moe_permute.h"
#include "kernels/ops.h"

namespace moebench {
namespace {

// A decode step's combine: tokens x top_k routed rows (in a shuffled order) and the shared
// experts' rows, summed into the f32 residual stream and normed.
struct CombineNormBench {
  int64_t tokens, hidden;
  int top_k;
  DeviceBuffer<bf16_bits> y_perm, shared, norm_w, h, h_lo;
  DeviceBuffer<int32_t> slot_to_perm;
  DeviceBuffer<float> weights, residual;
  MoeCombineArgs cb;

  CombineNormBench(const BenchMoeShape& m, int64_t n)
      : tokens(n),
        hidden(m.hidden),
        top_k(m.top_k),
        y_perm(bench_gpu_random(n * m.top_k * m.hidden, 76, 1.0)),
        shared(bench_gpu_random(n * m.hidden, 77, 1.0)),
        norm_w(bench_gpu_random(m.hidden, 78, 1.0)),
        h(n * m.hidden),
        h_lo(n * m.hidden),
        slot_to_perm(shuffled(n * m.top_k)),
        weights(std::vector<float>(n * m.top_k, 0.25f)),
        residual(std::vector<float>(n * m.hidden, 0.0f)) {
    cb.y_perm = y_perm.data();
    cb.slot_to_perm = slot_to_perm.data();
    cb.weights = weights.data();
    cb.out = shared.data();
    cb.ld_out = hidden;
    cb.n_tokens = n;
    cb.top_k = top_k;
    cb.hidden = hidden;
    cb.accumulate = true;
  }
  static std::vector<int32_t> shuffled(int64_t slots) {
    std::vector<int32_t> v(slots);
    for (int64_t s = 0; s < slots; ++s) v[s] = static_cast<int32_t>((s * 7919) % slots);
    return v;
  }
  void fused(cudaStream_t s) {
    cuda_moe_combine_rmsnorm_residual_f32(cb, residual.data(), norm_w.data(), 1e-6f, h.data(),
                                          h_lo.data(), s);
  }
  // NOTE: writes the sum over the shared rows (cb.out), as the engine's combine does.
  void separate(cudaStream_t s) {
    cuda_moe_combine(cb, s);
    cuda_rmsnorm_residual_f32(residual.data(), shared.data(), false, norm_w.data(), tokens, hidden,
                              1e-6f, h.data(), h_lo.data(), s);
  }
  // Bytes the fused path must move: routed and shared rows in, residual in and out, norm out.
  double bytes() const {
    return 2.0 * tokens * top_k * hidden + 2.0 * tokens * hidden + 8.0 * tokens * hidden +
           4.0 * tokens * hidden;
  }
};

void BM_gpu_combine_norm(benchmark::State& state, int shape, bool fused) {
  if (!bench_gpu_ready(state)) return;
  BenchGpu& g = bench_gpu();
  const BenchMoeShape& m = kBenchMoeShapes[shape];
  const int64_t n = state.range(0);
  if (bench_gpu_check_due(std::string("combine_norm/") + m.name + "/" + std::to_string(n))) {
    CombineNormBench a(m, n), b(m, n);
    a.fused(g.stream);
    b.separate(g.stream);
    CUDA_CHECK(cudaStreamSynchronize(g.stream));
    if (a.h.download() != b.h.download() || a.residual.download() != b.residual.download()) {
      state.SkipWithError("fused and separate combine + norm differ");
      return;
    }
  }
  CombineNormBench b(m, n);
  // NOTE: each launch adds into the residual (and the separate one into the shared rows): the
  // values drift over iterations, the bytes and launches timed do not.
  auto launch = [&] { fused ? b.fused(g.stream) : b.separate(g.stream); };
  if (!bench_gpu_first_launch(state, launch)) return;
  bench_gpu_run(state, false, b.bytes(), 0, launch);
}

const int kRegistered = [] {
  for (int s : {0, 1}) {  // V2-Lite and V3
    bench_gpu_register_fused_pair(std::string("gpu/moe_combine_norm/") + kBenchMoeShapes[s].name,
                                  BM_gpu_combine_norm, s);
  }
  return 0;
}();

}  // namespace
}  // namespace moebench
