// bfloat16 on the host as raw uint16_t bits: f32 -> bf16 round-to-nearest-even and back, no CUDA.
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

namespace moebench {

using bf16_bits = uint16_t;

inline float bf16_to_f32(bf16_bits b) {
  const uint32_t u = static_cast<uint32_t>(b) << 16;
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

// Round to nearest even like __float2bfloat16_rn; NaN stays a (quiet) NaN.
inline bf16_bits f32_to_bf16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<bf16_bits>((u >> 16) | 0x0040u);
  const uint32_t lsb = (u >> 16) & 1u;
  u += 0x7fffu + lsb;
  return static_cast<bf16_bits>(u >> 16);
}

// The value f takes after a round trip through bf16.
inline float bf16_round(float f) { return bf16_to_f32(f32_to_bf16(f)); }

inline std::vector<bf16_bits> bf16_from_f32(const std::vector<float>& v) {
  std::vector<bf16_bits> out(v.size());
  for (size_t i = 0; i < v.size(); ++i) out[i] = f32_to_bf16(v[i]);
  return out;
}

inline std::vector<float> bf16_to_f32(const std::vector<bf16_bits>& v) {
  std::vector<float> out(v.size());
  for (size_t i = 0; i < v.size(); ++i) out[i] = bf16_to_f32(v[i]);
  return out;
}

}  // namespace moebench
