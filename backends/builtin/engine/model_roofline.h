// Roofline arithmetic of a model config (no CUDA): bytes one decode step reads and FLOPs a
// prefill does, for the throughput-vs-limit figures `moebench model bench` prints.
#pragma once

#include <cstdint>

#include "backends/builtin/checkpoint/model_config.h"

namespace moebench {

struct DecodeBytes {
  double weights = 0;          // bytes of weights read by one decode step of `batch` sequences
  double kv = 0;               // bytes of KV cache read by that step
  double experts_touched = 0;  // expected distinct routed experts per MoE layer
};

// One decode step at `batch` sequences, each with `context` cached tokens, bf16 weights and
// cache (MLA: the absorbed latent cache). Routed experts are counted by expectation under
// uniform routing: E * (1 - (1 - k/E)^batch) per MoE layer (REFERENCE.md).
DecodeBytes decode_step_bytes(const ModelConfig& config, int batch, int64_t context);

// Matrix FLOPs (2 per multiply-add) to prefill `tokens` new tokens of one sequence after
// `past` cached ones: every projection and active expert, the lm_head for the last token only,
// and causal attention scores and values.
double prefill_flops(const ModelConfig& config, int64_t tokens, int64_t past = 0);

}  // namespace moebench
