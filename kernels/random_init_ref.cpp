// CPU reference of cuda_random_init: a host copy of backends/builtin/checkpoint/random_init.cpp's
// fill_range (the kernels library may not depend on backends/), rounded to bf16.
#include <cmath>
#include <stdexcept>

#include "kernels/bf16.h"
#include "kernels/counter_rng.h"
#include "kernels/random_init.h"

namespace moebench {
float ref_random_uniform(uint64_t key, uint64_t i) { return counter_uniform(key, i); }

void ref_random_init(int kind, uint64_t key, double std_dev, int64_t n, std::vector<float>& out) {
  if (n < 0 || kind < kRandomInitNormal || kind > kRandomInitScoreBias) {
    throw std::invalid_argument("ref_random_init: bad n or kind");
  }
  out.assign(static_cast<size_t>(n), 0.0f);
  if (kind == kRandomInitOnes) {
    for (float& v : out) v = 1.0f;
    return;
  }
  if (kind == kRandomInitScoreBias) {
    for (int64_t i = 0; i < n; ++i) out[i] = bf16_round(0.01f * ref_random_uniform(key, i));
    return;
  }
  const float sd = static_cast<float>(kind == kRandomInitBias ? 0.1 * std_dev : std_dev);
  for (int64_t i = 0; i < n; i += 2) {
    const float u1 = 1.0f - ref_random_uniform(key, i);  // (0, 1]
    const float u2 = ref_random_uniform(key, i + 1);
    const float r = sd * std::sqrt(-2.0f * std::log(u1));
    const float theta = 6.28318530717958647692f * u2;
    out[i] = bf16_round(r * std::cos(theta));
    if (i + 1 < n) out[i + 1] = bf16_round(r * std::sin(theta));
  }
}

}  // namespace moebench
