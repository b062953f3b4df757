// The "gpu/" benchmark of a decode MoE layer's expert GEMMs at V2-Lite's shape (64 routed experts
// of 1408, top 6, two shared ones as one MLP of 2816) for 1 to 4 tokens: the routed experts' two
// grouped launches (gather and SwiGLU in their loads) with the shared MLP as their dense rows
// ("fused": 2 launches), or beside them as its two skinny GEMVs ("separate": 4 launches). Before
// timing, the two outputs must be equal bit for bit and sampled shared outputs within the double
// dot products' tolerance.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "kernels/bench/bench_gpu_util.h"
#include "kernels/bench/bench_util.h"
#include "kernels/gemm.h"
#include "kernels/grouped_gemm.h"

namespace moebench {
namespace {

constexpr int64_t kShared = 2816;  // V2-Lite: 2 shared experts of 1408

// The grouped rows of tokens' top-k picks: expert offsets and each row's token slot (t * k + j).
void bench_offsets(const std::vector<int32_t>& ids, int n_experts, std::vector<int32_t>& offsets,
                   std::vector<int32_t>& slots) {
  std::vector<std::vector<int32_t>> by_expert(n_experts);
  for (size_t i = 0; i < ids.size(); ++i) by_expert[ids[i]].push_back(static_cast<int32_t>(i));
  offsets.assign(1, 0);
  slots.clear();
  for (const auto& rows : by_expert) {
    slots.insert(slots.end(), rows.begin(), rows.end());
    offsets.push_back(static_cast<int32_t>(slots.size()));
  }
}

void BM_gpu_moe_shared(benchmark::State& state, bool fused) {
  if (!bench_gpu_ready(state)) return;
  BenchGpu& g = bench_gpu();
  const BenchMoeShape& m = kBenchMoeShapes[0];  // v2lite
  const int64_t T = state.range(0), H = m.hidden, I = m.inter, rows = T * m.top_k;
  std::vector<int32_t> offsets, slots;
  bench_offsets(bench_random_topk_ids(T, m.top_k, m.experts, 71), m.experts, offsets, slots);
  const DeviceBuffer<bf16_bits> h = bench_gpu_random(T * H, 72, 1.0);
  const DeviceBuffer<bf16_bits> w_up = bench_gpu_random(int64_t{m.experts} * 2 * I * H, 73, 0.02);
  const DeviceBuffer<bf16_bits> w_down = bench_gpu_random(int64_t{m.experts} * H * I, 74, 0.02);
  const DeviceBuffer<bf16_bits> s_up = bench_gpu_random(2 * kShared * H, 75, 0.02);
  const DeviceBuffer<bf16_bits> s_down = bench_gpu_random(H * kShared, 76, 0.02);
  DeviceBuffer<int32_t> d_off(offsets), d_slots(slots);
  DeviceBuffer<bf16_bits> gu(rows * 2 * I), y(rows * H), sgu(T * 2 * kShared), sy(T * H);
  GroupedGemmArgs up;
  up.x = h.data();
  up.x_slots = d_slots.data();
  up.slot_div = m.top_k;
  up.offsets = d_off.data();
  up.w = w_up.data();
  up.y = gu.data();
  up.max_rows = rows;
  up.max_rows_per_expert = T;
  up.n_experts = m.experts;
  up.n = 2 * I;
  up.k = H;
  GroupedGemmArgs down = up;
  down.x = gu.data();
  down.x_slots = nullptr;
  down.x_swiglu = true;
  down.w = w_down.data();
  down.y = y.data();
  down.n = H;
  down.k = I;
  GemmArgs g_up =
      gemm_args_dense(T, 2 * kShared, H, h.data(), s_up.data(), sgu.data(), GemmAlgo::skinny);
  GemmArgs g_down =
      gemm_args_dense(T, H, kShared, sgu.data(), s_down.data(), sy.data(), GemmAlgo::skinny);
  g_down.lda = 2 * kShared;
  g_down.a_swiglu = true;
  const GroupedGemmArgs up_all =
      grouped_with_dense(up, h.data(), s_up.data(), sgu.data(), T, 2 * kShared, H);
  const GroupedGemmArgs down_all =
      grouped_with_dense(down, sgu.data(), s_down.data(), sy.data(), T, H, kShared);
  const std::function<void()> separate = [&] {
    cuda_gemm_skinny(g_up, g.stream);
    cuda_gemm_skinny(g_down, g.stream);
    cuda_grouped_gemm(up, g.stream);
    cuda_grouped_gemm(down, g.stream);
  };
  const std::function<void()> together = [&] {
    cuda_grouped_gemm(up_all, g.stream);
    cuda_grouped_gemm(down_all, g.stream);
  };
  // The other way first: the timed way must then write the same bits.
  if (!bench_gpu_first_launch(state, fused ? separate : together)) return;
  const std::vector<bf16_bits> y_other = y.download(), sy_other = sy.download();
  if (!bench_gpu_first_launch(state, fused ? together : separate)) return;
  if (y.download() != y_other || sy.download() != sy_other) {
    state.SkipWithError("the shared experts as dense rows changed a bit of the layer's output");
    return;
  }
  std::vector<BenchGemmSample> samples;
  for (uint64_t i = 0; i < 16; ++i) {
    const int64_t r = static_cast<int64_t>(splitmix64_mix(2 * i) % T);
    const int64_t col = static_cast<int64_t>(splitmix64_mix(2 * i + 1) % (2 * kShared));
    samples.push_back(
        {h.data() + r * H, s_up.data() + col * H, sgu.data() + r * 2 * kShared + col});
  }
  const std::string bad = bench_gpu_check_samples(samples, H);
  if (!bad.empty()) {
    state.SkipWithError(bad.c_str());
    return;
  }
  // Bytes: the touched experts' and the shared weights, the rows in and out of both GEMMs.
  int touched = 0;
  for (int e = 0; e < m.experts; ++e) touched += offsets[e + 1] > offsets[e];
  const double bytes = 2.0 * (double(touched) * 3 * I * H + 3.0 * kShared * H + T * H +
                              rows * 2 * I + rows * H + T * 2 * kShared + T * H);
  bench_gpu_run(state, false, bytes, 2.0 * (rows * 3 * I * H + T * 3 * kShared * H),
                fused ? together : separate);
}

const int kRegistered = [] {
  bench_gpu_register_fused_pair_at("gpu/grouped_gemm/v2lite_shared_experts", {1, 4},
                                   BM_gpu_moe_shared);
  return 0;
}();

}  // namespace
}  // namespace moebench
