// The counter-based weight initialiser (see random_init.h); written by hand because the values
// must be reproducible bit for bit on the GPU (kernels/random_init.cu).
#include "backends/builtin/checkpoint/random_init.h"

#include <algorithm>
#include <cmath>
#include <thread>
#include <vector>

#include "kernels/counter_rng.h"

namespace moebench {

uint64_t splitmix64(uint64_t x) { return splitmix64_mix(x); }

uint64_t fnv1a(const std::string& s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char ch : s) h = (h ^ ch) * 0x100000001b3ull;
  return h;
}

float uniform_at(uint64_t key, uint64_t i) { return counter_uniform(key, i); }

uint64_t init_tensor_key(uint64_t seed, const std::string& name) {
  return splitmix64(seed ^ fnv1a(name));
}

// NOTE: HF zeroes biases and e_score_correction_bias; we give them small values so the engine's
// bias paths are exercised, and keep the router bias positive (REFERENCE.md: HF and DeepSeek's
// reference pick the same experts then).
InitKind init_kind(const std::string& name) {
  auto ends = [&](const std::string& s) {
    return name.size() >= s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0;
  };
  if (ends("norm.weight")) return InitKind::ones;
  if (ends("e_score_correction_bias")) return InitKind::score_bias;
  if (ends(".bias")) return InitKind::bias;
  return InitKind::normal;
}

void fill_range(InitKind kind, uint64_t key, double std_dev, int64_t start, int64_t n, float* out) {
  if (kind == InitKind::ones) {
    std::fill(out, out + n, 1.0f);
    return;
  }
  if (kind == InitKind::score_bias) {
    for (int64_t i = 0; i < n; ++i) out[i] = 0.01f * uniform_at(key, start + i);
    return;
  }
  const float sd = static_cast<float>(kind == InitKind::bias ? 0.1 * std_dev : std_dev);
  for (int64_t i = start & ~int64_t{1}; i < start + n; i += 2) {
    const float u1 = 1.0f - uniform_at(key, i);  // (0, 1]
    const float u2 = uniform_at(key, i + 1);
    const float r = sd * std::sqrt(-2.0f * std::log(u1));
    const float theta = 6.28318530717958647692f * u2;
    if (i >= start) out[i - start] = r * std::cos(theta);
    if (i + 1 < start + n) out[i + 1 - start] = r * std::sin(theta);
  }
}

void fill_parallel(InitKind kind, uint64_t key, double std_dev, int64_t start, int64_t n,
                   float* out) {
  const int threads = std::clamp<int>(static_cast<int>(std::thread::hardware_concurrency()), 1, 8);
  if (threads == 1 || n < 65536) return fill_range(kind, key, std_dev, start, n, out);
  std::vector<std::thread> pool;
  const int64_t per = (n + threads - 1) / threads;
  for (int t = 0; t < threads; ++t) {
    const int64_t b = t * per, e = std::min(n, b + per);
    if (b >= e) break;
    pool.emplace_back(fill_range, kind, key, std_dev, start + b, e - b, out + b);
  }
  for (auto& th : pool) th.join();
}

}  // namespace moebench
