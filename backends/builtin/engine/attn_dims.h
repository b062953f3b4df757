// Attention geometry of one model (heads, head dims, softmax scale, rope pairing), shared by the
// CPU and CUDA engines.
#pragma once

#include "backends/builtin/checkpoint/model_config.h"
#include "backends/builtin/engine/rope_table.h"

namespace moebench {

// Cache geometry: MLA caches the expanded per-head k = [k_nope, k_rope] and v (n_kv = n_heads).
struct AttnDims {
  int n_heads = 0;
  int n_kv = 0;
  int k_dim = 0;       // q/k head dim (q_head_dim)
  int v_dim = 0;       // v head dim
  float scale = 0.0f;  // softmax scale
  RopePairing rope_style = RopePairing::half;
};

AttnDims attn_dims_of(const ModelConfig& config);

}  // namespace moebench
