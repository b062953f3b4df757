// Rotary embedding tables and the attention softmax scale, derived from the config; shared by the
// CPU and CUDA engines.
#pragma once

#include <cstdint>
#include <vector>

#include "backends/builtin/checkpoint/model_config.h"
#include "kernels/op_modes.h"

namespace moebench {

// Rotary embedding parameters of one model: HF `rope_init_fn` output.
struct RopeTable {
  int dim = 0;                    // rotated dims per head (even)
  std::vector<float> inv_freq;    // (dim / 2), f32 like the HF buffer
  float attention_factor = 1.0f;  // multiplied into cos and sin (YaRN)
};

// Default RoPE (1 / theta^(2i/dim)) or YaRN (HF `_compute_yarn_parameters`, truncate = true).
// Throws InputError for other rope types.
RopeTable rope_init_table(const RopeConfig& rope, int dim);

// cos/sin rows for one position: (dim / 2) each, already times attention_factor.
void rope_angles(const RopeTable& t, int64_t pos, float* cos_out, float* sin_out);

// DeepSeek (v2/v3) attention softmax scale: qk_head_dim^-0.5 · mscale(factor, mscale_all_dim)²
// when the rope type is not default and mscale_all_dim is set (HF yarn_apply_mscale).
double mla_softmax_scale(const ModelConfig& config);

// HF yarn_get_mscale: 0.1 · mscale · ln(scale) + 1 for scale > 1, else 1.
double yarn_get_mscale(double scale, double mscale);

}  // namespace moebench
