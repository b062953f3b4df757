// The MoE router's device side, shared by cuda_moe_route (a warp per token) and the fused
// route + placement kernel: one token routed by one warp, the token's experts in registers; and
// the launchers' argument check.
#pragma once

#include <cuda_runtime.h>

#include <climits>
#include <cstdint>

#include "kernels/launch_check.h"
#include "kernels/ops.h"

namespace moebench {
namespace moe_route_detail {

constexpr int kWarp = 32;
constexpr int kMaxExperts = 256;
constexpr int kMaxTopK = 16;
constexpr int kMaxGroups = 16;
constexpr int kPerLane = kMaxExperts / kWarp;  // expert lane + 32 * j lives in slot j of lane
constexpr unsigned kFull = 0xffffffffu;

// A candidate expert (or group): selection key, index, and the weight it carries.
struct Cand {
  float key;
  int idx;
  float w;
};

// The engine's order: larger key first, exact ties prefer the lower index.
__device__ __forceinline__ bool cand_better(float key, int idx, const Cand& c) {
  return key > c.key || (key == c.key && idx < c.idx);
}

// Best candidate over the warp; every lane gets the same answer (the order is total).
__device__ __forceinline__ Cand warp_best(Cand c) {
  for (int o = kWarp / 2; o > 0; o >>= 1) {
    const Cand d{__shfl_xor_sync(kFull, c.key, o), __shfl_xor_sync(kFull, c.idx, o),
                 __shfl_xor_sync(kFull, c.w, o)};
    if (cand_better(d.key, d.idx, c)) c = d;
  }
  return c;
}

__device__ __forceinline__ float warp_max(float v) {
  for (int o = kWarp / 2; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(kFull, v, o));
  return v;
}

__device__ __forceinline__ float warp_sum(float v) {
  for (int o = kWarp / 2; o > 0; o >>= 1) v += __shfl_xor_sync(kFull, v, o);
  return v;
}

// Largest two values (t1 >= t2, duplicates counted) of the warp's (t1, t2) pairs.
__device__ __forceinline__ void warp_top2(float& t1, float& t2) {
  for (int o = kWarp / 2; o > 0; o >>= 1) {
    const float o1 = __shfl_xor_sync(kFull, t1, o), o2 = __shfl_xor_sync(kFull, t2, o);
    if (t1 >= o1) {
      t2 = fmaxf(t2, o1);
    } else {
      t2 = fmaxf(t1, o2);
      t1 = o1;
    }
  }
}

// Keeps the topk_group best groups and sets the keys of the others to fill (0 for softmax_group,
// -inf for sigmoid_noaux_tc). Group score: max key, or the sum of the top-2 keys.
template <MoeRouteMode kMode>
__device__ void mask_groups(const MoeRouteArgs& a, float (&key)[kPerLane], float (&wt)[kPerLane]) {
  const int lane = threadIdx.x % kWarp, per = a.n_experts / a.n_group;
  float my_score = -INFINITY;  // lane g < n_group holds group g's score
  for (int g = 0; g < a.n_group; ++g) {
    float t1 = -INFINITY, t2 = -INFINITY;
#pragma unroll
    for (int j = 0; j < kPerLane; ++j) {
      const int e = lane + kWarp * j;
      if (e >= a.n_experts || e / per != g) continue;
      if (key[j] > t1) {
        t2 = t1;
        t1 = key[j];
      } else if (key[j] > t2) {
        t2 = key[j];
      }
    }
    warp_top2(t1, t2);
    // NOTE: t1 + t2 adds the same two f32 values as the reference, so the score is bit-identical.
    if (lane == g) my_score = kMode == MoeRouteMode::softmax_group ? t1 : t1 + t2;
  }
  unsigned keep = 0;  // bit g: group g kept
  Cand c{my_score, lane < a.n_group ? lane : INT_MAX, 0.0f};
  for (int i = 0; i < a.topk_group; ++i) {
    const Cand best = warp_best(c);
    if (best.idx < kWarp) keep |= 1u << best.idx;  // NOTE: no candidate (NaN scores): no group
    if (lane == best.idx) c = Cand{-INFINITY, INT_MAX, 0.0f};
  }
  const float fill = kMode == MoeRouteMode::softmax_group ? 0.0f : -INFINITY;
#pragma unroll
  for (int j = 0; j < kPerLane; ++j) {
    const int e = lane + kWarp * j;
    if (e < a.n_experts && ((keep >> (e / per)) & 1u) == 0) {
      key[j] = fill;
      if (kMode == MoeRouteMode::softmax_group) wt[j] = 0.0f;  // weight = masked prob
    }
  }
}

// Routes token t with the calling warp (all 32 lanes): its top_k ids in selection order and their
// weights, written to a.topk_ids / a.topk_weights.
template <MoeRouteMode kMode>
__device__ __forceinline__ void route_token(const MoeRouteArgs& a, int64_t t) {
  const int lane = threadIdx.x % kWarp;
  const float* row = a.logits + t * a.n_experts;
  float key[kPerLane], wt[kPerLane];  // selection key and weight of expert lane + 32 * j
  unsigned taken = 0;                 // bit j: slot j is chosen already or is no expert
#pragma unroll
  for (int j = 0; j < kPerLane; ++j) {
    const int e = lane + kWarp * j;
    if (e >= a.n_experts) taken |= 1u << j;
    key[j] = e < a.n_experts ? row[e] : -INFINITY;
  }
  if constexpr (kMode == MoeRouteMode::sigmoid_noaux_tc) {
#pragma unroll
    for (int j = 0; j < kPerLane; ++j) {
      const int e = lane + kWarp * j;
      wt[j] = 1.0f / (1.0f + expf(-key[j]));
      key[j] = e < a.n_experts ? wt[j] + (a.bias != nullptr ? a.bias[e] : 0.0f) : -INFINITY;
    }
  } else {
    float m = -INFINITY, sum = 0.0f;
#pragma unroll
    for (int j = 0; j < kPerLane; ++j) m = fmaxf(m, key[j]);
    m = warp_max(m);
#pragma unroll
    for (int j = 0; j < kPerLane; ++j) {
      key[j] = (taken >> j) & 1u ? 0.0f : expf(key[j] - m);
      sum += key[j];
    }
    sum = warp_sum(sum);
#pragma unroll
    for (int j = 0; j < kPerLane; ++j) {
      key[j] = (taken >> j) & 1u ? -INFINITY : key[j] / sum;
      wt[j] = key[j];
    }
  }
  if constexpr (kMode != MoeRouteMode::softmax_topk) {
    if (a.n_group > 1) mask_groups<kMode>(a, key, wt);
  }
  int ids[kMaxTopK];
  float w[kMaxTopK];
#pragma unroll
  for (int k = 0; k < kMaxTopK; ++k) {
    if (k >= a.top_k) break;
    Cand c{-INFINITY, INT_MAX, 0.0f};
#pragma unroll
    for (int j = 0; j < kPerLane; ++j) {
      const int e = lane + kWarp * j;
      if (((taken >> j) & 1u) == 0 && cand_better(key[j], e, c)) c = Cand{key[j], e, wt[j]};
    }
    c = warp_best(c);
    // NOTE: no candidate (every key left NaN) leaves idx INT_MAX: no bit to take.
    if (c.idx < kWarp * kPerLane && c.idx % kWarp == lane) taken |= 1u << (c.idx / kWarp);
    ids[k] = c.idx;
    w[k] = c.w;
  }
  // NOTE: sequential sum in k order, like the reference, so renormalized weights match bit-wise
  // whenever the selected weights do.
  float denom = 1.0f;
  if (a.renormalize) {
    denom = 0.0f;
#pragma unroll
    for (int k = 0; k < kMaxTopK; ++k) denom += k < a.top_k ? w[k] : 0.0f;
    denom += a.renorm_eps;
  }
#pragma unroll
  for (int k = 0; k < kMaxTopK; ++k) {
    if (k < a.top_k && k == lane) {
      const float v = a.renormalize ? w[k] / denom : w[k];
      a.topk_ids[t * a.top_k + k] = ids[k];
      a.topk_weights[t * a.top_k + k] = v * a.scaling;
    }
  }
}

}  // namespace moe_route_detail

// Throws std::invalid_argument naming fn and the bad field.
inline void moe_route_args_check(const MoeRouteArgs& a, const char* fn) {
  using namespace moe_route_detail;
  launch_require(a.n_tokens >= 0 && a.n_tokens <= INT32_MAX, fn,
                 "n_tokens must be in [0, 2^31), got ", a.n_tokens);
  launch_require(a.n_experts > 0 && a.n_experts <= kMaxExperts, fn, "n_experts must be in [1, ",
                 kMaxExperts, "], got ", a.n_experts);
  launch_require(a.top_k > 0 && a.top_k <= a.n_experts && a.top_k <= kMaxTopK, fn,
                 "top_k must be in [1, min(n_experts, ", kMaxTopK, ")], got top_k ", a.top_k,
                 " with n_experts ", a.n_experts);
  const bool grouped = a.mode != MoeRouteMode::softmax_topk;
  launch_require(
      !grouped || (a.n_group > 0 && a.n_group <= kMaxGroups && a.n_experts % a.n_group == 0), fn,
      "n_group must be in [1, ", kMaxGroups, "] and divide n_experts ", a.n_experts, ", got ",
      a.n_group);
  launch_require(!grouped || (a.topk_group > 0 && a.topk_group <= a.n_group), fn,
                 "topk_group must be in [1, n_group ", a.n_group, "], got ", a.topk_group);
  launch_require(a.mode != MoeRouteMode::sigmoid_noaux_tc || a.n_experts / a.n_group >= 2, fn,
                 "sigmoid_noaux_tc needs >= 2 experts per group (top-2 sum), got n_experts ",
                 a.n_experts, " / n_group ", a.n_group);
  launch_require(a.n_tokens == 0 ||
                     (a.logits != nullptr && a.topk_ids != nullptr && a.topk_weights != nullptr),
                 fn, "null pointer: logits=", a.logits, " topk_ids=", a.topk_ids,
                 " topk_weights=", a.topk_weights);
}

}  // namespace moebench
