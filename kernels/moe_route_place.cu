// cuda_moe_route_place: decode's MoE routing (route_token, a warp per token) and the experts'
// placement (counts, offsets, stable slot ranks) in one block, where the two launches of
// cuda_moe_route and cuda_moe_permute's placement would each pay a kernel boundary.
#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/cuda_check.h"
#include "kernels/launch_check.h"
#include "kernels/moe_permute.h"
#include "kernels/moe_route_device.cuh"
#include "kernels/pdl.cuh"

namespace moebench {
namespace {

using namespace moe_route_detail;

// NOTE: 512 threads leave route_token 128 registers a thread (1024 would cap it at 64).
constexpr int kThreads = 512;

// ----------------------------------------------------------------------------
// GPU kernels

// One block: the tokens routed warp by warp, then the slots placed expert by expert in slot order
// (a slot's row is its expert's offset plus the slots before it with the same expert), like
// moe_place_kernel; out-of-range ids get slot_to_perm -1 and no row.
template <MoeRouteMode kMode>
__global__ void __launch_bounds__(kThreads)
    moe_route_place_kernel(MoeRouteArgs route, MoePermuteArgs place) {
  __shared__ int ids[kMoeRoutePlaceMaxSlots];
  __shared__ int first_row[kMaxExperts + 1];  // per-expert counts, then offsets
  pdl_wait();
  pdl_trigger();
  for (int64_t t = threadIdx.x / kWarp; t < route.n_tokens; t += kThreads / kWarp) {
    route_token<kMode>(route, t);
  }
  for (int e = threadIdx.x; e <= place.n_experts; e += kThreads) first_row[e] = 0;
  // NOTE: __syncthreads makes this block's global writes (the routed ids) visible to its threads.
  __syncthreads();
  const int n_slots = static_cast<int>(route.n_tokens * route.top_k);
  for (int s = threadIdx.x; s < n_slots; s += kThreads) {
    const int id = route.topk_ids[s];
    ids[s] = id;
    if (id >= 0 && id < place.n_experts) atomicAdd(&first_row[id], 1);
  }
  __syncthreads();
  if (threadIdx.x == 0) {
    int run = 0;
    for (int e = 0; e < place.n_experts; ++e) {
      const int c = first_row[e];
      first_row[e] = run;
      run += c;
    }
    first_row[place.n_experts] = run;
  }
  __syncthreads();
  for (int e = threadIdx.x; e <= place.n_experts; e += kThreads) place.offsets[e] = first_row[e];
  for (int s = threadIdx.x; s < n_slots; s += kThreads) {
    const int id = ids[s];
    if (id < 0 || id >= place.n_experts) {
      place.slot_to_perm[s] = -1;
      continue;
    }
    int rank = 0;
    for (int q = 0; q < s; ++q) rank += ids[q] == id;
    const int row = first_row[id] + rank;
    place.perm_to_slot[row] = s;
    place.slot_to_perm[s] = row;
  }
}

}  // namespace

// ----------------------------------------------------------------------------
// Public entry

void cuda_moe_route_place(const MoeRouteArgs& route, const MoePermuteArgs& place,
                          cudaStream_t stream) {
  const char* fn = "cuda_moe_route_place";
  moe_route_args_check(route, fn);
  launch_require(route.n_tokens * route.top_k <= kMoeRoutePlaceMaxSlots, fn,
                 "n_tokens * top_k must be <= ", kMoeRoutePlaceMaxSlots, " (one block), got ",
                 route.n_tokens * route.top_k, "; use cuda_moe_route and cuda_moe_permute");
  launch_require(place.topk_ids == route.topk_ids && place.n_tokens == route.n_tokens &&
                     place.top_k == route.top_k && place.n_experts == route.n_experts,
                 fn, "place must take route's topk_ids, n_tokens, top_k and n_experts");
  launch_require(place.x_perm == nullptr, fn,
                 "no gather here: x_perm must be null (the up GEMM reads through perm_to_slot)");
  launch_require(
      place.offsets != nullptr && place.perm_to_slot != nullptr && place.slot_to_perm != nullptr,
      fn, "null pointer: offsets=", place.offsets, " perm_to_slot=", place.perm_to_slot,
      " slot_to_perm=", place.slot_to_perm);
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
