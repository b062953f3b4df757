// moe_router_spec: how each HF router maps onto RouterSpec.
#include "backends/builtin/engine/router_spec.h"

#include <algorithm>
#include <string>

#include "common/error.h"

namespace moebench {

RouterSpec moe_router_spec(const ModelConfig& config) {
  RouterSpec s;
  s.n_experts = config.n_routed_experts;
  s.top_k = config.num_experts_per_tok;
  s.n_group = std::max(config.n_group, 1);
  s.topk_group = std::max(config.topk_group, 1);
  const std::string where = std::string("router (") + model_family_name(config.family) + ")";
  switch (config.family) {
    case ModelFamily::mixtral:  // MixtralTopKRouter always renormalizes
      s.kind = MoeRouteMode::softmax_topk;
      s.renormalize = true;
      break;
    case ModelFamily::qwen2_moe:
    case ModelFamily::qwen3_moe:
    case ModelFamily::olmoe:
      s.kind = MoeRouteMode::softmax_topk;
      s.renormalize = config.norm_topk_prob;
      break;
    case ModelFamily::deepseek_v2:
      // NOTE: HF DeepseekV2TopkRouter never renormalizes (norm_topk_prob is read by the config
      // but unused by the router); it always multiplies by routed_scaling_factor.
      if (config.router == MoeRouteMode::sigmoid_noaux_tc) {
        throw input_error(where, "deepseek_v2 supports topk_method greedy or group_limited_greedy");
      }
      s.kind = config.router;
      s.scaling = static_cast<float>(config.routed_scaling_factor);
      break;
    case ModelFamily::deepseek_v3:
      // HF DeepseekV3TopkRouter is always sigmoid + noaux_tc, whatever topk_method says.
      s.kind = MoeRouteMode::sigmoid_noaux_tc;
      s.renormalize = config.norm_topk_prob;
      s.renorm_eps = 1e-20f;
      s.scaling = static_cast<float>(config.routed_scaling_factor);
      break;
  }
  if (s.n_experts <= 0 || s.top_k <= 0 || s.top_k > s.n_experts) {
    throw input_error(where, "need 0 < num_experts_per_tok (" + std::to_string(s.top_k) +
                                 ") <= n_routed_experts (" + std::to_string(s.n_experts) + ")");
  }
  if (s.kind != MoeRouteMode::softmax_topk) {
    if (s.n_experts % s.n_group != 0 || s.topk_group > s.n_group) {
      throw input_error(where, "n_group " + std::to_string(s.n_group) + " must divide " +
                                   std::to_string(s.n_experts) + " experts and be >= topk_group " +
                                   std::to_string(s.topk_group));
    }
    if (s.kind == MoeRouteMode::sigmoid_noaux_tc && s.n_experts / s.n_group < 2) {
      throw input_error(where, "noaux_tc needs >= 2 experts per group (group score = top-2 sum)");
    }
  }
  return s;
}

MoeRouteArgs moe_route_args(const RouterSpec& spec) {
  MoeRouteArgs a;
  a.n_experts = spec.n_experts;
  a.top_k = spec.top_k;
  a.n_group = spec.n_group;
  a.topk_group = spec.topk_group;
  a.renormalize = spec.renormalize;
  a.renorm_eps = spec.renorm_eps;
  a.scaling = spec.scaling;
  a.mode = spec.kind;
  return a;
}

}  // namespace moebench
