// The "gpu/" benchmark of decode's post-attention norm inside the router's launch
// (cuda_moe_router_route_place with RouterNormArgs) beside the two launches it replaces
// (cuda_rmsnorm_residual_f32, then the router launch without the norm), at the V2-Lite and V3
// shapes and 1 or 4 tokens, after checking once that both leave the same bits.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>
#include <vector>

#include "kernels/bench/bench_gpu_util.h"
#include "kernels/bench/bench_util.h"
#include "kernels/gemm.h"
#include "kernels/moe_permute.h"
#include "kernels/ops.h"

namespace moebench {
namespace {

// One MoE layer's post-attention norm and routing at decode: the attention output added to the
// f32 stream, normed into h | h_lo, the router's logits, the top-k and the experts' placement.
struct RouterNormBench {
  int64_t tokens, hidden;
  MoeRouteArgs r;
  MoePermuteArgs p;
  DeviceBuffer<bf16_bits> x, norm_w, router_w, h, h_lo;
  DeviceBuffer<float> residual, logits, bias, weights;
  DeviceBuffer<int32_t> ids, offsets, p2s, s2p, counter;

  RouterNormBench(const BenchMoeShape& m, int64_t n)
      : tokens(n),
        hidden(m.hidden),
        r(bench_model_route(m, n)),
        x(bench_gpu_random(n * m.hidden, 61, 1.0)),
        norm_w(bench_gpu_random(m.hidden, 62, 1.0)),
        router_w(bench_gpu_random(m.experts * m.hidden, 63, 0.02)),
        h(n * m.hidden),
        h_lo(n * m.hidden),
        residual(std::vector<float>(n * m.hidden, 0.5f)),
        logits(n * m.experts),
        bias(std::vector<float>(m.experts, 0.0f)),
        weights(n * m.top_k),
        ids(n * m.top_k),
        offsets(m.experts + 1),
        p2s(n * m.top_k),
        s2p(n * m.top_k),
        counter(std::vector<int32_t>{0}) {
    r.logits = logits.data();
    r.bias = r.mode == MoeRouteMode::sigmoid_noaux_tc ? bias.data() : nullptr;
    r.topk_ids = ids.data();
    r.topk_weights = weights.data();
    p.topk_ids = ids.data();
    p.n_tokens = n;
    p.top_k = m.top_k;
    p.n_experts = m.experts;
    p.hidden = m.hidden;
    p.ld_x = m.hidden;
    p.offsets = offsets.data();
    p.perm_to_slot = p2s.data();
    p.slot_to_perm = s2p.data();
  }
  GemmArgs router() {
    GemmArgs g =
        gemm_args_dense(tokens, r.n_experts, hidden, h.data(), router_w.data(), logits.data());
    g.a_lo = h_lo.data();
    g.c_f32 = true;
    return g;
  }
  void fused(cudaStream_t s) {
    RouterNormArgs n;
    n.x = x.data();
    n.residual = residual.data();
    n.w = norm_w.data();
    n.eps = 1e-6f;
    n.y = h.data();
    n.y_lo = h_lo.data();
    cuda_moe_router_route_place(router(), r, p, counter.data(), s, &n);
  }
  void separate(cudaStream_t s) {
    cuda_rmsnorm_residual_f32(residual.data(), x.data(), false, norm_w.data(), tokens, hidden,
                              1e-6f, h.data(), h_lo.data(), s);
    cuda_moe_router_route_place(router(), r, p, counter.data(), s);
  }
  // Bytes the fused launch must move: x and the stream in, the stream, h and h_lo out, the router.
  double bytes() const {
    return 2.0 * tokens * hidden + 8.0 * tokens * hidden + 4.0 * tokens * hidden +
           2.0 * r.n_experts * hidden;
  }
};

void BM_gpu_router_norm(benchmark::State& state, int shape, bool fused) {
  if (!bench_gpu_ready(state)) return;
  BenchGpu& g = bench_gpu();
  const BenchMoeShape& m = kBenchMoeShapes[shape];
  const int64_t n = state.range(0);
  if (bench_gpu_check_due(std::string("router_norm/") + m.name + "/" + std::to_string(n))) {
    RouterNormBench a(m, n), b(m, n);
    a.fused(g.stream);
    b.separate(g.stream);
    CUDA_CHECK(cudaStreamSynchronize(g.stream));
    if (a.h.download() != b.h.download() || a.h_lo.download() != b.h_lo.download() ||
        a.residual.download() != b.residual.download() ||
        a.logits.download() != b.logits.download() || a.ids.download() != b.ids.download() ||
        a.s2p.download() != b.s2p.download()) {
      state.SkipWithError("the router's norm and the separate norm + router differ");
      return;
    }
  }
  RouterNormBench b(m, n);
  // NOTE: each launch adds x into the stream: the values drift over iterations, the bytes and
  // launches timed do not.
  auto launch = [&] { fused ? b.fused(g.stream) : b.separate(g.stream); };
  if (!bench_gpu_first_launch(state, launch)) return;
  // NOTE: cold L2: the router's weight (0.26 MB V2-Lite, 3.7 MB V3) would be read from L2 between
  // hot iterations; a decode step streams other weights through L2 between two routers.
  bench_gpu_run(state, true, b.bytes(), 2.0 * n * m.experts * m.hidden, launch);
}

const int kRegistered = [] {
  for (int s : {0, 1}) {  // V2-Lite and V3: the norm takes up to 4 tokens
    bench_gpu_register_fused_pair_at(std::string("gpu/moe_router_norm/") + kBenchMoeShapes[s].name,
                                     {1, 4}, BM_gpu_router_norm, s);
  }
  return 0;
}();

}  // namespace
}  // namespace moebench
