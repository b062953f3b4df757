// The CUDA engine's MoE layer: the router (with the post-attention norm in its launch at decode),
// routing and placement, the routed experts' grouped GEMMs with the shared experts beside them, and
// the weighted combine (left to the next norm when fused).
#ifdef MOEBENCH_HAVE_CUDA

#include <cuda_runtime_api.h>

#include <vector>

#include "backends/builtin/engine/cuda/engine_cuda_body.h"
#include "kernels/cuda_check.h"
#include "kernels/engine_glue.h"
#include "kernels/grouped_gemm.h"
#include "kernels/moe_permute.h"
#include "kernels/ops.h"

namespace moebench {

namespace {

// kernels=wgmma and enough tokens: the routed experts run on the wgmma grouped GEMM.
bool moe_wgmma(const BodyContext& b, int64_t T) { return moe_path(b.moe, T) == MoePath::wgmma; }

// The device-offset expert GEMMs serve this many tokens (no host sync; any number on wgmma);
// fused, their loads gather and form the SwiGLU.
bool moe_on_device(const BodyContext& b, int64_t T) { return moe_path(b.moe, T) != MoePath::host; }

// cuda_moe_permute's args over h: gathering into x_perm, or (fused on the device path) only the
// offsets and maps, the up GEMM gathering as it loads.
MoePermuteArgs moe_permute_args(const BodyContext& b, int64_t T) {
  const Workspace& ws = b.ws;
  const int64_t H = b.config.hidden_size;
  MoePermuteArgs p;
  p.topk_ids = ws.topk_ids;
  p.x = ws.h;
  p.ld_x = H;
  p.n_tokens = T;
  p.top_k = b.router.top_k;
  p.n_experts = b.router.n_experts;
  p.hidden = H;
  p.offsets = ws.offsets;
  p.perm_to_slot = ws.perm_to_slot;
  p.slot_to_perm = ws.slot_to_perm;
  p.x_perm = moe_step_rows(b.moe, T).gathered > 0 ? ws.x_perm : nullptr;
  p.workspace = ws.permute_ws;
  return p;
}

// Where the router, its routing and the placement run as one launch (decode, fused): the skinny
// router GEMV's tokens (cuda_gemm's bits), or on wgmma any batch whose logits one block holds.
bool router_one_launch(const BodyContext& b, const GemmArgs& router, int64_t T) {
  if (!b.fused || !moe_on_device(b, T) || T * b.router.top_k > kMoeRoutePlaceMaxSlots) {
    return false;
  }
  return gemm_pick_algo(router) == GemmAlgo::skinny ||
         (b.wgmma && T * b.router.n_experts <= kMoeRouterPlaceMaxLogits);
}

GemmArgs router_args(const BodyContext& b, const DevLayer& L, int64_t T) {
  return linear_f32_args(b.ws.h, T, L.router, b.ws.router_logits, b.ws.h_lo);
}

// Whether the post-attention norm of this MoE layer runs inside its router's launch (up to 4
// tokens: every router block norms the rows itself).
bool norm_in_router(const BodyContext& b, const DevLayer& L, int64_t T) {
  return L.moe && router_one_launch(b, router_args(b, L, T), T) &&
         moe_router_norm_fits(T, b.config.hidden_size, b.router.n_experts);
}

// Router logits of the f32 norm (h + h_lo), then each token's top-k experts and weights; fused on
// the device path (decode), the experts' placement in the same launch, and up to 4 tokens (the
// router's skinny GEMV; any batch on wgmma) all of it in one launch, with the post-attention norm
// (norm_in_router) when norm is given. True when placed.
bool moe_route(const BodyContext& b, const DevLayer& L, int64_t T, const RouterNormArgs* norm) {
  const Workspace& ws = b.ws;
  const GemmArgs router = router_args(b, L, T);
  MoeRouteArgs r = moe_route_args(b.router);
  r.logits = ws.router_logits;
  r.bias = L.score_bias;
  r.topk_ids = ws.topk_ids;
  r.topk_weights = ws.topk_w;
  r.n_tokens = T;
  if (router_one_launch(b, router, T)) {
    cuda_moe_router_route_place(router, r, moe_permute_args(b, T), ws.route_counter, b.stream,
                                norm);
    return true;
  }
  if (b.fused && moe_on_device(b, T) && T * b.router.top_k <= kMoeRoutePlaceMaxSlots) {
    cuda_gemm(b.blas, router, b.stream);
    cuda_moe_route_place(r, moe_permute_args(b, T), b.stream);
    return true;
  }
  cuda_gemm(b.blas, router, b.stream);
  cuda_moe_route(r, b.stream);
  return false;
}

// The shared experts (bias-free, an intermediate size of whole 16-byte rows) run as the dense GEMM
// beside the routed ones in the same two launches: kernels=wgmma with enough tokens; fused up to
// kGemmSkinnyAutoMaxM tokens, where the routed experts run on cuda_grouped_gemm's CUDA-core tiles
// and its dense rows give the skinny GEMVs' bits (the routed intermediate of whole 16-byte rows
// too: both parts take the vector loads).
bool shared_in_grouped(const BodyContext& b, const DevLayer& L, int64_t T) {
  if (!L.has_shared || L.shared_gu.b != nullptr || L.shared_down.b != nullptr ||
      L.shared_down.in % 8 != 0) {
    return false;
  }
  if (moe_wgmma(b, T)) return true;
  return b.fused && T <= kGemmSkinnyAutoMaxM && moe_on_device(b, T) &&
         b.config.moe_intermediate_size % 8 == 0 && b.config.hidden_size % 8 == 0;
}

// The shared experts as up's and down's dense GEMM: h -> gate|up (on wgmma: its SwiGLU, act) -> y.
void add_shared_dense(const BodyContext& b, const DevLayer& L, int64_t T, bool wgmma,
                      GroupedGemmArgs& up, GroupedGemmArgs& down) {
  const Workspace& ws = b.ws;
  const int64_t H = b.config.hidden_size;
  bf16_bits* mid = wgmma ? ws.act : ws.gu;  // wgmma: the SwiGLU; else the [gate | up] rows
  up = grouped_with_dense(up, ws.h, L.shared_gu.w, mid, T, L.shared_gu.out, H);
  down = grouped_with_dense(down, mid, L.shared_down.w, ws.y, T, H, L.shared_down.in);
}

// The experts' SwiGLU MLPs over the permuted rows: x_perm -> y_perm; with shared
// (shared_in_grouped), the shared experts' too: h -> y.
void moe_experts(const BodyContext& b, const DevLayer& L, int64_t T, bool shared) {
  const Workspace& ws = b.ws;
  const int64_t H = b.config.hidden_size, I = b.config.moe_intermediate_size;
  const int64_t rows = T * b.router.top_k;
  GroupedGemmArgs up;
  up.x = ws.x_perm;
  up.offsets = ws.offsets;
  up.w = L.experts_gu;
  up.y = ws.gu_perm;
  up.max_rows = rows;
  up.max_rows_per_expert = T;  // a token picks an expert at most once
  up.n_experts = b.router.n_experts;
  up.n = 2 * I;
  up.k = H;
  GroupedGemmArgs down = up;
  down.x = ws.act_perm;
  down.w = L.experts_down;
  down.y = ws.y_perm;
  down.n = H;
  down.k = I;
  if (moe_wgmma(b, T)) {
    // The up GEMM gathers h's rows through the permutation and writes its product's SwiGLU; the
    // down GEMM reads those activations. Device offsets at any batch: no host sync in prefill.
    up.x = ws.h;
    up.x_slots = ws.perm_to_slot;
    up.slot_div = b.router.top_k;
    up.y = ws.act_perm;
    up.y_swiglu = true;
    if (shared) add_shared_dense(b, L, T, true, up, down);
    cuda_grouped_gemm_wgmma(up, b.stream);
    cuda_grouped_gemm_wgmma(down, b.stream);
    return;
  }
  if (moe_on_device(b, T)) {
    // Device offsets (graph-capturable). A few tokens: CUDA-core tiles of exactly the rows an
    // expert can hold; more: 16-row tensor-core tiles, each weight tile read once per tile.
    auto grouped = T >= 8 ? cuda_grouped_gemm_tc : cuda_grouped_gemm;
    if (b.fused) {  // the up GEMM reads h's rows through the permutation
      up.x = ws.h;
      up.x_slots = ws.perm_to_slot;
      up.slot_div = b.router.top_k;
    }
    // NOTE: shared only when fused with few tokens (shared_in_grouped): cuda_grouped_gemm.
    if (shared) add_shared_dense(b, L, T, false, up, down);
    grouped(up, b.stream);
    if (b.fused) {  // the SwiGLU formed as the down GEMM loads its rows
      down.x = ws.gu_perm;
      down.x_swiglu = true;
    } else {
      cuda_swiglu(ws.gu_perm, 2 * I, ws.gu_perm + I, 2 * I, rows, I, ws.act_perm, b.stream);
    }
    grouped(down, b.stream);
  } else {
    // Many rows per expert: tensor-core GEMMs per expert need the counts on the host.
    std::vector<int32_t> host(b.router.n_experts + 1);
    CUDA_CHECK(cudaMemcpyAsync(host.data(), ws.offsets, host.size() * sizeof(int32_t),
                               cudaMemcpyDeviceToHost, b.stream));
    CUDA_CHECK(cudaStreamSynchronize(b.stream));
    cuda_grouped_gemm_host(b.blas, up, host, b.stream);
    cuda_swiglu(ws.gu_perm, 2 * I, ws.gu_perm + I, 2 * I, rows, I, ws.act_perm, b.stream);
    cuda_grouped_gemm_host(b.blas, down, host, b.stream);
  }
}

}  // namespace

// Routed experts (+ shared): h -> y, the routed rows summed by cuda_moe_combine; fused, the sum is
// left to the next norm (the combine's args returned).
// norm: the post-attention norm, done by the router (norm_in_router).
MoeCombineArgs moe_layer(const BodyContext& b, const StepView& s, int layer,
                         const RouterNormArgs* norm) {
  const DevLayer& L = b.model.layers[layer];
  const Workspace& ws = b.ws;
  const int64_t T = s.rows, H = b.config.hidden_size;
  const bool placed = moe_route(b, L, T, norm);
  const bool shared_inline = shared_in_grouped(b, L, T);
  if (L.has_shared && !shared_inline) swiglu_mlp(b, T, L.shared_gu, L.shared_down, ws.y);
  if (!placed) cuda_moe_permute(moe_permute_args(b, T), b.stream);
  moe_experts(b, L, T, shared_inline);
  if (L.has_shared && L.shared_gate.w != nullptr) {  // qwen2_moe: sigmoid(gate · h) scales them
    linear_f32(b, ws.h, T, L.shared_gate, ws.gate, ws.h_lo);
    cuda_sigmoid_scale_rows(ws.y, H, T, H, ws.gate, b.stream);
  }
  MoeCombineArgs cb;
  cb.y_perm = ws.y_perm;
  cb.slot_to_perm = ws.slot_to_perm;
  cb.weights = ws.topk_w;
  cb.out = ws.y;
  cb.ld_out = H;
  cb.n_tokens = T;
  cb.top_k = b.router.top_k;
  cb.hidden = H;
  cb.accumulate = L.has_shared;
  if (!b.fused) cuda_moe_combine(cb, b.stream);
  return cb;
}

// The post-attention norm (residual += y, h | h_lo = its norm) as the router's launch takes it,
// or x null where it runs on its own (norm_in_router).
RouterNormArgs post_norm_args(const BodyContext& b, const DevLayer& L, int64_t T) {
  RouterNormArgs n;
  if (!norm_in_router(b, L, T)) return n;
  n.x = b.ws.y;
  n.residual = b.ws.x;
  n.w = L.post_norm;
  n.eps = static_cast<float>(b.config.rms_norm_eps);
  n.y = b.ws.h;
  n.y_lo = b.ws.h_lo;
  return n;
}

}  // namespace moebench

#endif  // MOEBENCH_HAVE_CUDA
