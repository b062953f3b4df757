// cuda_moe_route_place: decode's MoE routing (route_token, a warp per token) and the experts'
// placement (counts, offsets, stable slot ranks) in one block, where the two launches of
// cuda_moe_route and cuda_moe_permute's placement would each pay a kernel boundary.
#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/cuda_check.h"
#include "kernels/launch_check.h"
#include "kernels/moe_permute.h"
#include "kernels/moe_route_place_device.cuh"
#include "kernels/pdl.cuh"

namespace moebench {
namespace {

using namespace moe_route_detail;

// NOTE: 512 threads leave route_token 128 registers a thread (1024 would cap it at 64).
constexpr int kThreads = 512;

// ----------------------------------------------------------------------------
// GPU kernels

// One block: route_place_block.
template <MoeRouteMode kMode>
__global__ void __launch_bounds__(kThreads)
    moe_route_place_kernel(MoeRouteArgs route, MoePermuteArgs place) {
  __shared__ int ids[kMoeRoutePlaceMaxSlots];
  __shared__ int first_row[kMaxExperts + 1];
  pdl_wait();
  pdl_trigger();
  route_place_block<kMode>(route, place, ids, first_row);
}

}  // namespace

// ----------------------------------------------------------------------------
// Public entry

void cuda_moe_route_place(const MoeRouteArgs& route, const MoePermuteArgs& place,
                          cudaStream_t stream) {
  moe_route_place_check(route, place, "cuda_moe_route_place");
  // NOTE: launched with no tokens too: every expert's offset is still written (0).
  const dim3 grid(1), block(kThreads);
  switch (route.mode) {
    case MoeRouteMode::softmax_topk:
      pdl_launch(moe_route_place_kernel<MoeRouteMode::softmax_topk>, grid, block, 0, stream, route,
                 place);
      break;
    case MoeRouteMode::softmax_group:
      pdl_launch(moe_route_place_kernel<MoeRouteMode::softmax_group>, grid, block, 0, stream, route,
                 place);
      break;
    case MoeRouteMode::sigmoid_noaux_tc:
      pdl_launch(moe_route_place_kernel<MoeRouteMode::sigmoid_noaux_tc>, grid, block, 0, stream,
                 route, place);
      break;
  }
}

}  // namespace moebench
