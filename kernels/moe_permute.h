// MoE token permutation (group the routed (token, choice) slots by expert and gather their rows)
// and the weighted combine back to token order: the CUDA launchers and their CPU references.
// Compiles without CUDA headers; the launchers are defined only in CUDA builds (guard calls with
// MOEBENCH_HAVE_CUDA). Pointers in the Args structs are device pointers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "kernels/bf16.h"
#include "kernels/cuda_stream.h"
#include "kernels/gemm.h"
#include "kernels/ops.h"

namespace moebench {

// The most routed experts a token has that the permute, combine and fused combine kernels take,
// and the most experts the routing and permute kernels take.
constexpr int kMoeMaxTopK = 16;
constexpr int kMoeMaxExperts = 256;

// Groups the (token, choice) slots of a routing by expert, stable (within an expert, slots keep
// flat order t * top_k + j), and gathers the rows: x_perm[r] = x[token of slot perm_to_slot[r]].
// NOTE: ids live on the device, so a slot whose id is outside [0, n_experts) is dropped there: it
// gets slot_to_perm = -1, no perm row, and offsets[n_experts] counts only the placed slots (rows
// past it are left unwritten). cuda_moe_combine skips such slots.
struct MoePermuteArgs {
  const int32_t* topk_ids = nullptr;  // (n_tokens, top_k), each in [0, n_experts)
  const bf16_bits* x = nullptr;       // (n_tokens, hidden), row stride ld_x
  int64_t ld_x = 0;
  int64_t n_tokens = 0;  // n_tokens * top_k <= 2^30
  int top_k = 0;         // in [1, 16]
  int n_experts = 0;     // in [1, 256]
  int64_t hidden = 0;
  int32_t* offsets = nullptr;  // out (n_experts + 1): expert e owns perm rows [off[e], off[e+1])
  int32_t* perm_to_slot = nullptr;  // out (n_tokens * top_k)
  int32_t* slot_to_perm = nullptr;  // out (n_tokens * top_k)
  // out (n_tokens * top_k, hidden), row stride hidden; null = place only (no gather launch, x not
  // read): a grouped GEMM reading x through perm_to_slot (GroupedGemmArgs::x_slots) gathers.
  bf16_bits* x_perm = nullptr;
  void* workspace = nullptr;  // moe_permute_workspace_bytes(n_tokens, top_k, n_experts)
};
// Bytes of device workspace cuda_moe_permute needs (currently 0: workspace may be null).
size_t moe_permute_workspace_bytes(int64_t n_tokens, int top_k, int n_experts);
// Two launches (place, gather; one without x_perm); graph-capturable, deterministic.
void cuda_moe_permute(const MoePermuteArgs& args, cudaStream_t stream);

// Decode's routing and placement in one launch (one block): cuda_moe_route's ids and weights,
// then cuda_moe_permute's offsets and slot maps for them without the gather (place.x_perm null;
// the up GEMM reads through perm_to_slot): the values of the two launches, bit for bit.
// place.topk_ids is route.topk_ids, and its n_tokens, top_k, n_experts match route's.
constexpr int64_t kMoeRoutePlaceMaxSlots = 1024;  // n_tokens * top_k at most
void cuda_moe_route_place(const MoeRouteArgs& route, const MoePermuteArgs& place,
                          cudaStream_t stream);

// Decode's router GEMV with that routing and placement, in one launch: router writes the f32
// logits route.logits = (x + x_lo) · Wᵀ with the skinny kernel's warp tile, 16 tokens a pass (up
// to kGemmSkinnyAutoMaxM tokens, where cuda_gemm runs that kernel, its bits), then the last block
// to finish does cuda_moe_route_place's work from the logits in shared memory (n_tokens *
// n_experts <= kMoeRouterPlaceMaxLogits). counter: one device int, zero before the first call;
// each call leaves it zero (graph replays included). Defined in moe_router_place.cu.
constexpr int64_t kMoeRouterPlaceMaxLogits = 48 * 1024;  // 192 KB of f32

// The norm before the router, done in the same launch (the post-attention norm of decode):
// cuda_rmsnorm_residual_f32(residual, x, false, w, n_tokens, router.k, eps, y, y_lo) with its bits,
// where router.a = y and router.a_lo = y_lo (packed, lda = k). Every block norms the rows into
// shared memory for its GEMV; the last block writes y, y_lo and the residual stream. Up to
// kMoeRouterNormMaxTokens tokens, n_tokens * (k * 4 + n_experts * 4 + 4 KB) of shared memory
// within kMoeRouterNormMaxSmem.
struct RouterNormArgs {
  const bf16_bits* x = nullptr;  // (n_tokens, k) added to the stream
  float* residual = nullptr;     // (n_tokens, k) f32: residual += x
  const bf16_bits* w = nullptr;  // (k) the norm's weight
  float eps = 0.0f;
  bf16_bits* y = nullptr;     // out (n_tokens, k): the norm in bf16, router.a
  bf16_bits* y_lo = nullptr;  // out (n_tokens, k): its remainder, router.a_lo
};
constexpr int64_t kMoeRouterNormMaxTokens = 4;
constexpr int64_t kMoeRouterNormMaxSmem = 200 * 1024;

void cuda_moe_router_route_place(const GemmArgs& router, const MoeRouteArgs& route,
                                 const MoePermuteArgs& place, int32_t* counter, cudaStream_t stream,
                                 const RouterNormArgs* norm = nullptr);

// The norm's launch's dynamic shared memory: the logits (16-byte rounded), each row's sum's lane
// partials (up to 1024 floats), then y's and y_lo's rows of k rounded up to 8 elements.
inline int64_t moe_router_norm_smem_bytes(int64_t n_tokens, int64_t k, int64_t n_experts) {
  return (n_tokens * n_experts + 3) / 4 * 16 + 4096 * n_tokens +
         2 * n_tokens * ((k + 7) / 8 * 8) * 2;
}

// Whether cuda_moe_router_route_place takes the norm for n_tokens rows of k over n_experts.
inline bool moe_router_norm_fits(int64_t n_tokens, int64_t k, int64_t n_experts) {
  return n_tokens >= 1 && n_tokens <= kMoeRouterNormMaxTokens &&
         moe_router_norm_smem_bytes(n_tokens, k, n_experts) <= kMoeRouterNormMaxSmem;
}

// out[t] = sum_j weights[t, j] * y_perm[slot_to_perm[t * top_k + j]]  (+ out[t] when accumulate,
// e.g. out already holds the shared experts' output), f32 sum, one bf16 rounding at the end.
// The f32 sum starts at out[t] (accumulate) or 0 and adds j = 0 .. top_k - 1 in order with fmaf;
// slots with slot_to_perm < 0 are skipped. out may not alias y_perm.
struct MoeCombineArgs {
  const bf16_bits* y_perm = nullptr;  // (n_tokens * top_k, hidden)
  const int32_t* slot_to_perm = nullptr;
  const float* weights = nullptr;  // (n_tokens, top_k)
  bf16_bits* out = nullptr;        // (n_tokens, hidden), row stride ld_out
  int64_t ld_out = 0;
  int64_t n_tokens = 0;
  int top_k = 0;
  int64_t hidden = 0;
  bool accumulate = false;
};
void cuda_moe_combine(const MoeCombineArgs& args, cudaStream_t stream);

// The combine fused into the norm that follows it: for row t, x = bf16(cuda_moe_combine's sum) is
// computed in place of reading it (cb.out is read only when cb.accumulate, never written), then
// cuda_rmsnorm_residual_f32(residual, x, init false, w, ...) as it stands: the same bits as the
// two launches. cb.n_tokens rows of cb.hidden = dim values.
void cuda_moe_combine_rmsnorm_residual_f32(const MoeCombineArgs& cb, float* residual,
                                           const bf16_bits* w, float eps, bf16_bits* y,
                                           bf16_bits* y_lo, cudaStream_t stream);

// CPU references on f32 vectors holding bf16 values; same arguments as the launchers (the pointers
// in args are ignored). ref_moe_permute resizes and fills offsets, perm_to_slot, slot_to_perm and
// x_perm (rows past offsets[n_experts] are 0); throws std::invalid_argument on bad shapes.
void ref_moe_permute(const std::vector<int32_t>& topk_ids, const std::vector<float>& x,
                     const MoePermuteArgs& args, std::vector<int32_t>& offsets,
                     std::vector<int32_t>& perm_to_slot, std::vector<int32_t>& slot_to_perm,
                     std::vector<float>& x_perm);
// out (n_tokens * ld_out) is read when accumulate and its (n_tokens, hidden) part overwritten with
// bf16-rounded values.
void ref_moe_combine(const std::vector<float>& y_perm, const std::vector<int32_t>& slot_to_perm,
                     const std::vector<float>& weights, const MoeCombineArgs& args,
                     std::vector<float>& out);

}  // namespace moebench
