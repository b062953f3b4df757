// The modes the kernels share with the engines and the model config: how RoPE pairs dims and how a
// MoE router picks experts. One enum each, used from config.json to the CUDA launch.
#pragma once

namespace moebench {

// How RoPE pairs the rotated dims of a head.
enum class RopePairing {
  half,         // (x[i], x[i + dim/2]): rotate_half (qwen, mixtral, olmoe)
  interleaved,  // (x[2i], x[2i+1]), output de-interleaved: HF deepseek_v3 rope_interleave
  pairs         // (x[2i], x[2i+1]), output in place: HF deepseek_v2 complex pairs
};

// How a MoE router turns logits into (expert, weight) pairs.
enum class MoeRouteMode {
  softmax_topk,     // softmax over experts, top-k (mixtral, qwen2/3_moe, olmoe, deepseek_v2 greedy)
  softmax_group,    // deepseek_v2 group_limited_greedy: group score = max prob, others masked to 0
  sigmoid_noaux_tc  // deepseek_v3: sigmoid, + bias for selection, group score = top-2 sum, -inf
                    // mask
};

// The mode's name, as config summaries and test messages print it.
constexpr const char* moe_route_mode_name(MoeRouteMode m) {
  switch (m) {
    case MoeRouteMode::softmax_topk:
      return "softmax_topk";
    case MoeRouteMode::softmax_group:
      return "softmax_group";
    case MoeRouteMode::sigmoid_noaux_tc:
      return "sigmoid_noaux_tc";
  }
  return "?";
}

}  // namespace moebench
