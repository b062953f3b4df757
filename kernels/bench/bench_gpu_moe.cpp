// The "gpu/" benchmarks of the MoE routing path and the sampler: the router (softmax top-k and V3's
// sigmoid + bias + groups), token permute and weighted combine (hot and cold L2), decode's fused
// routing + placement beside the two launches, and sampling.
// Each validates once against its CPU reference on random inputs (never one repeated token).
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "kernels/bench/bench_gpu_util.h"
#include "kernels/bench/bench_util.h"
#include "kernels/moe_permute.h"
#include "kernels/ops.h"
#include "kernels/reference.h"
#include "kernels/sampling.h"

namespace moebench {
namespace {

void BM_gpu_moe_route(benchmark::State& state, bool cold, int shape) {
  if (!bench_gpu_ready(state)) return;
  BenchGpu& g = bench_gpu();
  MoeRouteArgs a = bench_model_route(kBenchMoeShapes[shape], state.range(0));
  std::vector<float> logits(a.n_tokens * a.n_experts), bias;  // f32 router logits, not bf16
  for (size_t i = 0; i < logits.size(); ++i) logits[i] = 6.0f * counter_uniform(41, i) - 3.0f;
  if (a.mode == MoeRouteMode::sigmoid_noaux_tc) bias = bench_random_bf16(a.n_experts, 42, 0, 0.01f);
  DeviceBuffer<float> d_logits(logits), d_bias(bias), d_w(a.n_tokens * a.top_k);
  DeviceBuffer<int32_t> d_ids(a.n_tokens * a.top_k);
  a.logits = d_logits.data();
  a.bias = bias.empty() ? nullptr : d_bias.data();
  a.topk_ids = d_ids.data();
  a.topk_weights = d_w.data();
  auto launch = [&] { cuda_moe_route(a, g.stream); };
  launch();
  CUDA_CHECK(cudaStreamSynchronize(g.stream));
  if (bench_gpu_check_due(std::string("route/") + kBenchMoeShapes[shape].name + "/" +
                          std::to_string(a.n_tokens))) {
    std::vector<int32_t> want_ids;
    std::vector<float> want_w;
    ref_moe_route(logits, bias, a, want_ids, want_w);
    if (d_ids.download() != want_ids) {
      state.SkipWithError("router ids differ from ref_moe_route");
      return;
    }
    const std::string bad = bench_compare(d_w.download(), want_w, 1e-5, 1e-4);
    if (!bad.empty()) {
      state.SkipWithError(bad.c_str());
      return;
    }
  }
  bench_gpu_run(state, cold, 4.0 * a.n_tokens * (a.n_experts + 2 * a.top_k),
                4.0 * a.n_tokens * a.n_experts, launch);
}

struct GpuPermute {
  MoePermuteArgs a;
  std::vector<int32_t> ids;  // (n_tokens, top_k) host
  std::vector<float> x;      // (n_tokens, hidden) host
  DeviceBuffer<int32_t> d_ids, offsets, perm_to_slot, slot_to_perm;
  DeviceBuffer<bf16_bits> d_x, x_perm;
};

void bench_gpu_make_permute(GpuPermute& p, const BenchMoeShape& m, int64_t n_tokens) {
  const int64_t slots = n_tokens * m.top_k;
  p.ids = bench_random_topk_ids(n_tokens, m.top_k, m.experts, 43);
  p.x = bench_random_bf16(n_tokens * m.hidden, 44, -1.0f, 1.0f);
  p.d_ids = DeviceBuffer<int32_t>(p.ids);
  p.d_x = DeviceBuffer<bf16_bits>(bf16_from_f32(p.x));
  p.offsets = DeviceBuffer<int32_t>(m.experts + 1);
  p.perm_to_slot = DeviceBuffer<int32_t>(slots);
  p.slot_to_perm = DeviceBuffer<int32_t>(slots);
  p.x_perm = DeviceBuffer<bf16_bits>(slots * m.hidden);
  p.a.topk_ids = p.d_ids.data();
  p.a.x = p.d_x.data();
  p.a.ld_x = m.hidden;
  p.a.n_tokens = n_tokens;
  p.a.top_k = m.top_k;
  p.a.n_experts = m.experts;
  p.a.hidden = m.hidden;
  p.a.offsets = p.offsets.data();
  p.a.perm_to_slot = p.perm_to_slot.data();
  p.a.slot_to_perm = p.slot_to_perm.data();
  p.a.x_perm = p.x_perm.data();
  p.a.workspace = nullptr;  // moe_permute_workspace_bytes is 0
  cuda_moe_permute(p.a, bench_gpu().stream);
  CUDA_CHECK(cudaStreamSynchronize(bench_gpu().stream));
}

void BM_gpu_moe_permute(benchmark::State& state, bool cold, int shape) {
  if (!bench_gpu_ready(state)) return;
  const BenchMoeShape& m = kBenchMoeShapes[shape];
  GpuPermute p;
  bench_gpu_make_permute(p, m, state.range(0));
  if (bench_gpu_check_due(std::string("permute/") + m.name + "/" + std::to_string(p.a.n_tokens))) {
    std::vector<int32_t> off, p2s, s2p;
    std::vector<float> x_perm;
    ref_moe_permute(p.ids, p.x, p.a, off, p2s, s2p, x_perm);
    if (p.offsets.download() != off || p.perm_to_slot.download() != p2s ||
        p.slot_to_perm.download() != s2p || bf16_to_f32(p.x_perm.download()) != x_perm) {
      state.SkipWithError("permute output differs from ref_moe_permute");
      return;
    }
  }
  const double slots = static_cast<double>(p.a.n_tokens) * m.top_k;
  // Each token's row read once (its k copies come from L2), each slot's row written once, and
  // the three int32 maps.
  bench_gpu_run(state, cold, 2.0 * (p.a.n_tokens + slots) * m.hidden + 3 * 4.0 * slots, 0,
                [&] { cuda_moe_permute(p.a, bench_gpu().stream); });
}

// Decode's routing and placement: cuda_moe_route_place (fused), or cuda_moe_route then
// cuda_moe_permute placing only (separate), after checking once that both give the same maps.
void BM_gpu_moe_route_place(benchmark::State& state, int shape, bool fused) {
  if (!bench_gpu_ready(state)) return;
  BenchGpu& g = bench_gpu();
  const BenchMoeShape& m = kBenchMoeShapes[shape];
  MoeRouteArgs r = bench_model_route(m, state.range(0));
  const int64_t slots = r.n_tokens * r.top_k;
  std::vector<float> logits(r.n_tokens * r.n_experts), bias;
  for (size_t i = 0; i < logits.size(); ++i) logits[i] = 6.0f * counter_uniform(45, i) - 3.0f;
  if (r.mode == MoeRouteMode::sigmoid_noaux_tc) bias = bench_random_bf16(r.n_experts, 46, 0, 0.01f);
  DeviceBuffer<float> d_logits(logits), d_bias(bias), d_w(slots);
  DeviceBuffer<int32_t> d_ids(slots), offsets(m.experts + 1), p2s(slots), s2p(slots);
  r.logits = d_logits.data();
  r.bias = bias.empty() ? nullptr : d_bias.data();
  r.topk_ids = d_ids.data();
  r.topk_weights = d_w.data();
  MoePermuteArgs p;
  p.topk_ids = d_ids.data();
  p.n_tokens = r.n_tokens;
  p.top_k = r.top_k;
  p.n_experts = r.n_experts;
  p.hidden = m.hidden;
  p.ld_x = m.hidden;
  p.offsets = offsets.data();
  p.perm_to_slot = p2s.data();
  p.slot_to_perm = s2p.data();
  auto separate = [&] {
    cuda_moe_route(r, g.stream);
    cuda_moe_permute(p, g.stream);
  };
  auto launch = [&] { fused ? cuda_moe_route_place(r, p, g.stream) : separate(); };
  if (!bench_gpu_first_launch(state, launch)) return;
  if (bench_gpu_check_due(std::string("route_place/") + m.name + "/" +
                          std::to_string(r.n_tokens))) {
    cuda_moe_route_place(r, p, g.stream);
    CUDA_CHECK(cudaStreamSynchronize(g.stream));
    const std::vector<int32_t> o = offsets.download(), a = p2s.download(), b = s2p.download();
    separate();
    CUDA_CHECK(cudaStreamSynchronize(g.stream));
    if (o != offsets.download() || a != p2s.download() || b != s2p.download()) {
      state.SkipWithError("fused and separate routing placements differ");
      return;
    }
  }
  bench_gpu_run(state, false, 4.0 * r.n_tokens * r.n_experts + 4.0 * 4 * slots,
                4.0 * r.n_tokens * r.n_experts, launch);
}

void BM_gpu_moe_combine(benchmark::State& state, bool cold, int shape) {
  if (!bench_gpu_ready(state)) return;
  const BenchMoeShape& m = kBenchMoeShapes[shape];
  GpuPermute p;
  bench_gpu_make_permute(p, m, state.range(0));
  const int64_t slots = p.a.n_tokens * m.top_k;
  const std::vector<float> y_perm = bench_random_bf16(slots * m.hidden, 45, -1.0f, 1.0f);
  const std::vector<float> weights = bench_random_bf16(slots, 46, 0.0f, 0.3f);
  DeviceBuffer<bf16_bits> d_y(bf16_from_f32(y_perm)), d_out(p.a.n_tokens * m.hidden);
  DeviceBuffer<float> d_w(weights);
  MoeCombineArgs c;
  c.y_perm = d_y.data();
  c.slot_to_perm = p.slot_to_perm.data();
  c.weights = d_w.data();
  c.out = d_out.data();
  c.ld_out = m.hidden;
  c.n_tokens = p.a.n_tokens;
  c.top_k = m.top_k;
  c.hidden = m.hidden;
  auto launch = [&] { cuda_moe_combine(c, bench_gpu().stream); };
  launch();
  CUDA_CHECK(cudaStreamSynchronize(bench_gpu().stream));
  if (bench_gpu_check_due(std::string("combine/") + m.name + "/" + std::to_string(c.n_tokens))) {
    std::vector<float> want(p.a.n_tokens * m.hidden, 0.0f);
    ref_moe_combine(y_perm, p.slot_to_perm.download(), weights, c, want);
    const std::string bad = bench_compare(bf16_to_f32(d_out.download()), want, 1e-2, 1e-2);
    if (!bad.empty()) {
      state.SkipWithError(bad.c_str());
      return;
    }
  }
  bench_gpu_run(state, cold, 2.0 * (slots + p.a.n_tokens) * m.hidden + 8.0 * slots,
                2.0 * slots * m.hidden, launch);
}

void bench_moe_token_args(benchmark::internal::Benchmark* b) {
  b->ArgName("tokens")->Arg(1)->Arg(64)->Arg(4096);
}

// Rows over V2-Lite's 102400-token vocabulary; sampled rows: temperature 0.7, top-k 50, top-p 0.9.
void BM_gpu_sample(benchmark::State& state, bool greedy) {
  if (!bench_gpu_ready(state)) return;
  BenchGpu& g = bench_gpu();
  const int vocab = 102400;
  const int64_t n_rows = state.range(0);
  std::vector<float> logits(n_rows * vocab);
  for (size_t i = 0; i < logits.size(); ++i) logits[i] = 16.0f * counter_uniform(47, i) - 8.0f;
  SampleHostParams p;
  p.temperature.assign(n_rows, greedy ? 0.0f : 0.7f);
  p.top_p.assign(n_rows, 0.9f);
  p.top_k.assign(n_rows, 50);
  p.seed.assign(n_rows, 1234);
  for (int64_t r = 0; r < n_rows; ++r) p.draw.push_back(static_cast<uint64_t>(r));
  DeviceBuffer<float> d_logits(logits), d_t(p.temperature), d_p(p.top_p);
  DeviceBuffer<int32_t> d_k(p.top_k), d_out(n_rows);
  DeviceBuffer<uint64_t> d_seed(p.seed), d_draw(p.draw);
  SampleArgs a{d_logits.data(), vocab,      n_rows,        vocab,         d_t.data(),
               d_p.data(),      d_k.data(), d_seed.data(), d_draw.data(), d_out.data()};
  auto launch = [&] { cuda_sample(a, g.stream); };
  launch();
  CUDA_CHECK(cudaStreamSynchronize(g.stream));
  // NOTE: a draw within rounding of a boundary may legally differ; allow one such row.
  const std::vector<int32_t> got = d_out.download(),
                             want = ref_sample(logits, vocab, n_rows, vocab, p);
  int64_t differ = 0;
  for (int64_t r = 0; r < n_rows; ++r) differ += got[r] != want[r];
  if (differ > (greedy ? 0 : 1)) {
    state.SkipWithError(
        ("sampled ids differ from ref_sample in " + std::to_string(differ) + " rows").c_str());
    return;
  }
  // NOTE: bytes = one read of the logits: the sampled path's further passes hit L2 (a 400 KB row),
  // so GB/s here is the useful rate, comparable between greedy and sampled.
  bench_gpu_run(state, false, 4.0 * n_rows * vocab, 0, launch);
}

const int kRegistered = [] {
  for (int s = 0; s < kBenchNumMoeShapes; ++s) {
    bench_gpu_register("moe_route", BM_gpu_moe_route, bench_moe_token_args, false, s);
    bench_gpu_register("moe_permute", BM_gpu_moe_permute, bench_moe_token_args, true, s);
    bench_gpu_register("moe_combine", BM_gpu_moe_combine, bench_moe_token_args, true, s);
  }
  for (int s : {0, 1}) {  // V2-Lite and V3
    bench_gpu_register_fused_pair(std::string("gpu/moe_route_place/") + kBenchMoeShapes[s].name,
                                  BM_gpu_moe_route_place, s);
  }
  for (const bool greedy : {true, false}) {
    bench_gpu_register_fn(greedy ? "gpu/sample/greedy/hot" : "gpu/sample/sampled/hot",
                          BM_gpu_sample, greedy)
        ->ArgName("rows")
        ->Arg(1)
        ->Arg(64);
  }
  return 0;
}();

}  // namespace
}  // namespace moebench
