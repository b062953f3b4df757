// Counter-based random numbers shared by the host and the GPU: splitmix64 and the weight
// initialiser's uniform. Pure functions, so a value depends only on its counters and is the same
// bit for bit on any device, thread count or chunking.
#pragma once

#include <cstdint>

#if defined(__CUDACC__)
#define MOEBENCH_HOST_DEVICE __host__ __device__
#else
#define MOEBENCH_HOST_DEVICE
#endif

namespace moebench {

inline MOEBENCH_HOST_DEVICE uint64_t splitmix64_mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// Uniform in [0, 1) (24 bits) for value i of the stream `key`: `model init`'s weights.
inline MOEBENCH_HOST_DEVICE float counter_uniform(uint64_t key, uint64_t i) {
  return static_cast<float>(splitmix64_mix(key ^ splitmix64_mix(i)) >> 40) * 0x1p-24f;
}

}  // namespace moebench
