// Decode's routing and expert placement as one block's work, shared by cuda_moe_route_place's
// kernel and the router kernel whose last block routes (moe_router_place.cu), so both give the bits
// of cuda_moe_route followed by cuda_moe_permute's placement.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/launch_check.h"
#include "kernels/moe_permute.h"
#include "kernels/moe_route_device.cuh"

namespace moebench::moe_route_detail {

// The whole block: the tokens routed warp by warp (route_token), then the slots placed expert by
// expert in slot order (a slot's row is its expert's offset plus the slots before it with the same
// expert), like moe_place_kernel; out-of-range ids get slot_to_perm -1 and no row. ids holds
// n_tokens * top_k values (<= kMoeRoutePlaceMaxSlots), first_row n_experts + 1 (shared memory).
// NOTE: each token's warp and each slot's rank compute the same way whatever the block's size,
// so any block size gives the same bits.
template <MoeRouteMode kMode>
__device__ __forceinline__ void route_place_block(const MoeRouteArgs& route,
                                                  const MoePermuteArgs& place, int* ids,
                                                  int* first_row) {
  const int threads = static_cast<int>(blockDim.x);
  for (int64_t t = threadIdx.x / kWarp; t < route.n_tokens; t += threads / kWarp) {
    route_token<kMode>(route, t);
  }
  for (int e = threadIdx.x; e <= place.n_experts; e += threads) first_row[e] = 0;
  // NOTE: __syncthreads makes this block's global writes (the routed ids) visible to its threads.
  __syncthreads();
  const int n_slots = static_cast<int>(route.n_tokens * route.top_k);
  for (int s = threadIdx.x; s < n_slots; s += threads) {
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
  for (int e = threadIdx.x; e <= place.n_experts; e += threads) place.offsets[e] = first_row[e];
  for (int s = threadIdx.x; s < n_slots; s += threads) {
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

// Throws std::invalid_argument naming fn and the field when route and place cannot go through
// route_place_block (one block's slots, place taking route's ids and sizes, no gather).
inline void moe_route_place_check(const MoeRouteArgs& route, const MoePermuteArgs& place,
                                  const char* fn) {
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
}

}  // namespace moebench::moe_route_detail
