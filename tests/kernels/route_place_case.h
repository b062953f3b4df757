// The routing cases shared by the route-and-place kernels' tests: a router mode's args, host
// arrays for argument checks (refused before any device work), and the device outputs of one
// routing and placement.
#pragma once

#include <cstdint>
#include <tuple>

#include "kernels/moe_permute.h"
#include "kernels/ops.h"

#ifdef MOEBENCH_HAVE_CUDA
#include "kernels/device_buffer.h"
#endif

namespace moebench::test {

inline MoeRouteArgs route_args(MoeRouteMode mode, int64_t n_tokens, int n_experts, int top_k) {
  MoeRouteArgs r;
  r.mode = mode;
  r.n_tokens = n_tokens;
  r.n_experts = n_experts;
  r.top_k = top_k;
  if (mode != MoeRouteMode::softmax_topk) {
    r.n_group = 8;
    r.topk_group = mode == MoeRouteMode::sigmoid_noaux_tc ? 4 : 3;
  }
  r.renormalize = mode == MoeRouteMode::sigmoid_noaux_tc;
  r.renorm_eps = r.renormalize ? 1e-20f : 0.0f;
  r.scaling = mode == MoeRouteMode::sigmoid_noaux_tc ? 2.5f : 1.0f;
  return r;
}

// Host arrays behind a 2-token, 8-expert, top-2 routing and placement: enough for the argument
// checks, which refuse before any device work.
struct HostRoutePlace {
  float logits[16] = {}, weights[16] = {};
  int32_t ids[16] = {}, offsets[9] = {}, p2s[16] = {}, s2p[16] = {};
  MoeRouteArgs r;
  MoePermuteArgs p;
  HostRoutePlace() : r(route_args(MoeRouteMode::softmax_topk, 2, 8, 2)) {
    r.logits = logits;
    r.topk_ids = ids;
    r.topk_weights = weights;
    p.topk_ids = ids;
    p.n_tokens = 2;
    p.top_k = 2;
    p.n_experts = 8;
    p.offsets = offsets;
    p.perm_to_slot = p2s;
    p.slot_to_perm = s2p;
  }
};

#ifdef MOEBENCH_HAVE_CUDA
struct RoutePlaceBuffers {
  DeviceBuffer<int32_t> ids, offsets, p2s, s2p;
  DeviceBuffer<float> weights;
  RoutePlaceBuffers(int64_t slots, int n_experts)
      : ids(slots), offsets(n_experts + 1), p2s(slots), s2p(slots), weights(slots) {}
  void args(MoeRouteArgs& r, MoePermuteArgs& p) {
    r.topk_ids = ids.data();
    r.topk_weights = weights.data();
    p.topk_ids = ids.data();
    p.n_tokens = r.n_tokens;
    p.top_k = r.top_k;
    p.n_experts = r.n_experts;
    p.hidden = 8;  // placement only: no rows are moved
    p.ld_x = 8;
    p.offsets = offsets.data();
    p.perm_to_slot = p2s.data();
    p.slot_to_perm = s2p.data();
  }
  // Every output on the host, to compare two routings whole.
  auto download() const {
    return std::make_tuple(ids.download(), weights.download(), offsets.download(), p2s.download(),
                           s2p.download());
  }
};
#endif

}  // namespace moebench::test
