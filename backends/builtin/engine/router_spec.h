// The router semantics of one model family (HF transformers 5.17), shared by the CPU and CUDA
// engines.
#pragma once

#include "backends/builtin/checkpoint/model_config.h"
#include "kernels/ops.h"

namespace moebench {

// Router semantics of one family (see moe_router_spec for how each HF router maps here).
struct RouterSpec {
  MoeRouteMode kind = MoeRouteMode::softmax_topk;
  int n_experts = 0;
  int top_k = 0;
  bool renormalize = false;  // divide the top-k weights by their sum
  float renorm_eps = 0.0f;   // deepseek_v3 adds 1e-20 to the denominator
  float scaling = 1.0f;      // routed_scaling_factor (deepseek), else 1
  int n_group = 1;
  int topk_group = 1;
};

RouterSpec moe_router_spec(const ModelConfig& config);

// The router arguments of the kernels (kernels/ops.h) for `spec`, without the buffers.
MoeRouteArgs moe_route_args(const RouterSpec& spec);

}  // namespace moebench
