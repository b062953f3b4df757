// Rotary tables of HF transformers 5.17 (default and YaRN) and the MLA softmax scale.
#include "backends/builtin/engine/rope_table.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>

#include "common/error.h"

namespace moebench {

double yarn_get_mscale(double scale, double mscale) {
  if (scale <= 1.0) return 1.0;
  return 0.1 * mscale * std::log(scale) + 1.0;
}

namespace {

// HF: base ** (torch.arange(0, dim, 2, dtype=float) / dim), all in f32.
std::vector<float> rope_pos_freqs(double theta, int dim) {
  std::vector<float> f(dim / 2);
  for (int i = 0; i < dim / 2; ++i) {
    const float e = static_cast<float>(2 * i) / static_cast<float>(dim);
    f[i] = std::pow(static_cast<float>(theta), e);
  }
  return f;
}

// HF find_correction_dim: the dim index whose wavelength makes `num_rotations` turns over the
// original context.
double yarn_correction_dim(double num_rotations, int dim, double base, double max_pos) {
  return (dim * std::log(max_pos / (num_rotations * 2 * std::numbers::pi))) / (2 * std::log(base));
}

RopeTable rope_init_yarn(const RopeConfig& rope, int dim) {
  if (rope.original_max_position <= 0) {
    throw InputError("rope: yarn needs original_max_position_embeddings > 0, got " +
                     std::to_string(rope.original_max_position));
  }
  const double factor = rope.factor;
  RopeTable t;
  t.dim = dim;
  double attention_factor = yarn_get_mscale(factor, 1.0);
  if (rope.mscale != 0.0 && rope.mscale_all_dim != 0.0) {
    attention_factor =
        yarn_get_mscale(factor, rope.mscale) / yarn_get_mscale(factor, rope.mscale_all_dim);
  }
  t.attention_factor = static_cast<float>(attention_factor);
  const double beta_fast = rope.beta_fast != 0.0 ? rope.beta_fast : 32.0;
  const double beta_slow = rope.beta_slow != 0.0 ? rope.beta_slow : 1.0;
  // truncate = true (the HF default): floor / ceil the correction range.
  double low =
      std::floor(yarn_correction_dim(beta_fast, dim, rope.theta, rope.original_max_position));
  double high =
      std::ceil(yarn_correction_dim(beta_slow, dim, rope.theta, rope.original_max_position));
  low = std::max(low, 0.0);
  high = std::min(high, static_cast<double>(dim - 1));
  if (low == high) high += 0.001;  // HF: prevent singularity
  const std::vector<float> pos_freqs = rope_pos_freqs(rope.theta, dim);
  t.inv_freq.resize(dim / 2);
  for (int i = 0; i < dim / 2; ++i) {
    const float extrapolation = 1.0f / pos_freqs[i];
    const float interpolation = 1.0f / (static_cast<float>(factor) * pos_freqs[i]);
    float ramp = (static_cast<float>(i) - static_cast<float>(low)) / static_cast<float>(high - low);
    ramp = std::clamp(ramp, 0.0f, 1.0f);
    const float extrapolation_factor = 1.0f - ramp;
    t.inv_freq[i] =
        interpolation * (1.0f - extrapolation_factor) + extrapolation * extrapolation_factor;
  }
  return t;
}

}  // namespace

RopeTable rope_init_table(const RopeConfig& rope, int dim) {
  if (dim <= 0 || dim % 2 != 0) {
    throw InputError("rope: rotary dim must be even and positive, got " + std::to_string(dim));
  }
  if (rope.type == "yarn") return rope_init_yarn(rope, dim);
  if (rope.type != "default") {
    throw InputError("rope: unsupported rope type '" + rope.type + "' (supported: default, yarn)");
  }
  RopeTable t;
  t.dim = dim;
  const std::vector<float> pos_freqs = rope_pos_freqs(rope.theta, dim);
  t.inv_freq.resize(dim / 2);
  for (int i = 0; i < dim / 2; ++i) t.inv_freq[i] = 1.0f / pos_freqs[i];
  return t;
}

void rope_angles(const RopeTable& t, int64_t pos, float* cos_out, float* sin_out) {
  // HF: freqs = inv_freq (f32) @ position (f32); cos = emb.cos() * attention_scaling, all f32.
  const float p = static_cast<float>(pos);
  for (int i = 0; i < t.dim / 2; ++i) {
    const float f = t.inv_freq[i] * p;
    cos_out[i] = std::cos(f) * t.attention_factor;
    sin_out[i] = std::sin(f) * t.attention_factor;
  }
}

double mla_softmax_scale(const ModelConfig& config) {
  double scale = 1.0 / std::sqrt(static_cast<double>(config.q_head_dim()));
  if (config.rope.type != "default" && config.rope.mscale_all_dim != 0.0) {
    const double m = yarn_get_mscale(config.rope.factor, config.rope.mscale_all_dim);
    scale *= m * m;
  }
  return scale;
}

}  // namespace moebench
