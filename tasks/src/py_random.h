// PyRandom: CPython's random.Random (MT19937) reimplemented bit for bit, so few-shot draws match
// lm-eval's `random.Random(seed).sample(docs, n)`. Written by hand: no C++ library mirrors CPython.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace moebench {

class PyRandom {
 public:
  // random.Random(seed) for an int seed: CPython seeds with abs(seed) split into 32-bit words.
  explicit PyRandom(int64_t seed);

  uint32_t next_u32();             // genrand_uint32
  uint64_t getrandbits(int k);     // random.getrandbits(k), 0 <= k <= 64
  uint64_t randbelow(uint64_t n);  // Random._randbelow_with_getrandbits(n), n > 0
  double random();                 // random.random(): 53-bit float in [0, 1)
  // random.sample(range(n), k) (CPython 3.11 algorithm): k distinct indexes in draw order.
  // Throws std::invalid_argument when k > n, as Python raises ValueError.
  std::vector<size_t> sample(size_t n, size_t k);

 private:
  static constexpr int kN = 624;
  void init_genrand(uint32_t s);
  void init_by_array(const std::vector<uint32_t>& key);
  void twist();
  std::array<uint32_t, kN> mt_{};
  int index_ = kN + 1;
};

}  // namespace moebench
