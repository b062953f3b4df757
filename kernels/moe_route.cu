// cuda_moe_route: the MoE router (softmax top-k, deepseek_v2 group-limited greedy, deepseek_v3
// sigmoid noaux_tc) on f32 logits; one warp per token, the token's experts in registers.
#include <cuda_runtime.h>

#include <climits>
#include <cstdint>

#include "kernels/cuda_check.h"
#include "kernels/launch_check.h"
#include "kernels/moe_route_device.cuh"
#include "kernels/ops.h"
#include "kernels/pdl.cuh"

namespace moebench {
namespace {

using namespace moe_route_detail;

constexpr int kRouteWarpsPerBlock = 4;

// ----------------------------------------------------------------------------
// GPU kernels

// topk_ids / topk_weights (n_tokens, top_k) from logits (n_tokens, n_experts); warp w of block b
// routes token b * kRouteWarpsPerBlock + w.
template <MoeRouteMode kMode>
__global__ void moe_route_kernel(MoeRouteArgs a) {
  pdl_wait();
  pdl_trigger();
  const int64_t t = static_cast<int64_t>(blockIdx.x) * kRouteWarpsPerBlock + threadIdx.x / kWarp;
  if (t >= a.n_tokens) return;  // the whole warp leaves together
  route_token<kMode>(a, t);
}

// ----------------------------------------------------------------------------
// Launcher

void moe_route_launch(const MoeRouteArgs& a, cudaStream_t stream) {
  // NOTE: 4 warps per block, one token each: a token's work is a few hundred flops, so the grid
  // needs many small blocks rather than wide ones.
  const dim3 grid(
      static_cast<unsigned>((a.n_tokens + kRouteWarpsPerBlock - 1) / kRouteWarpsPerBlock));
  const int threads = kRouteWarpsPerBlock * kWarp;
  switch (a.mode) {
    case MoeRouteMode::softmax_topk:
      pdl_launch(moe_route_kernel<MoeRouteMode::softmax_topk>, grid, threads, 0, stream, a);
      break;
    case MoeRouteMode::softmax_group:
      pdl_launch(moe_route_kernel<MoeRouteMode::softmax_group>, grid, threads, 0, stream, a);
      break;
    case MoeRouteMode::sigmoid_noaux_tc:
      pdl_launch(moe_route_kernel<MoeRouteMode::sigmoid_noaux_tc>, grid, threads, 0, stream, a);
      break;
  }
  KERNEL_CHECK();
}

}  // namespace

// ----------------------------------------------------------------------------
// Public entry

void cuda_moe_route(const MoeRouteArgs& args, cudaStream_t stream) {
  moe_route_args_check(args, "cuda_moe_route");
  if (args.n_tokens == 0) return;
  moe_route_launch(args, stream);
}

}  // namespace moebench
