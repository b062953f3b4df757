// RoPE on the CPU: the f32 rotation of one head the CPU engine runs, and the reference of
// cuda_rope_apply (angles per token as the engine's rope_angles, the rotation, bf16 output).
#include <cmath>
#include <stdexcept>
#include <string>

#include "kernels/reference.h"

namespace moebench {

void ref_rope_rotate(const float* v, int dim, const float* c, const float* s, RopePairing pairing,
                     float* out) {
  const int half = dim / 2;
  for (int i = 0; i < half; ++i) {
    if (pairing == RopePairing::half) {
      const float a = v[i], b = v[i + half];
      out[i] = a * c[i] - b * s[i];
      out[i + half] = b * c[i] + a * s[i];
      continue;
    }
    const float a = v[2 * i], b = v[2 * i + 1];
    const float ra = a * c[i] - b * s[i];
    const float rb = b * c[i] + a * s[i];
    const bool deinterleave = pairing == RopePairing::interleaved;
    out[deinterleave ? i : 2 * i] = ra;
    out[deinterleave ? i + half : 2 * i + 1] = rb;
  }
}

void ref_rope_apply(std::vector<float>& x, const std::vector<int32_t>& positions,
                    const std::vector<float>& inv_freq, const RopeArgs& a) {
  if (a.dim <= 0 || a.dim % 2 != 0 || static_cast<int>(inv_freq.size()) != a.dim / 2) {
    throw std::invalid_argument("ref_rope_apply: dim " + std::to_string(a.dim) +
                                " must be even and inv_freq must hold dim/2 values, got " +
                                std::to_string(inv_freq.size()));
  }
  const int half = a.dim / 2;
  std::vector<float> c(half), s(half), rotated(a.dim);
  for (int64_t t = 0; t < a.n_tokens; ++t) {
    const float p = static_cast<float>(positions[t]);
    for (int i = 0; i < half; ++i) {
      const float f = inv_freq[i] * p;
      c[i] = std::cos(f) * a.attention_factor;
      s[i] = std::sin(f) * a.attention_factor;
    }
    for (int h = 0; h < a.n_heads; ++h) {
      float* v = x.data() + t * a.token_stride + static_cast<int64_t>(h) * a.head_stride;
      ref_rope_rotate(v + a.rot_offset, a.dim, c.data(), s.data(), a.pairing, rotated.data());
      for (int i = 0; i < a.dim; ++i) v[a.rot_offset + i] = bf16_round(rotated[i]);
    }
  }
}

}  // namespace moebench
