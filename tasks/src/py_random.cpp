// PyRandom: MT19937 as CPython's _randommodule.c runs it (init_by_array seeding, genrand_uint32,
// getrandbits) plus random.py's _randbelow and sample (3.11), which lm-eval's sampler calls.
#include "tasks/src/py_random.h"

#include <bit>
#include <cmath>
#include <stdexcept>
#include <string>
#include <unordered_set>

namespace moebench {

namespace {

constexpr int kM = 397;
constexpr uint32_t kMatrixA = 0x9908b0dfU;
constexpr uint32_t kUpperMask = 0x80000000U;
constexpr uint32_t kLowerMask = 0x7fffffffU;

}  // namespace

PyRandom::PyRandom(int64_t seed) {
  // NOTE: CPython seeds from abs(n), least significant 32-bit word first; 0 is the key [0].
  uint64_t mag = seed < 0 ? uint64_t{0} - static_cast<uint64_t>(seed) : static_cast<uint64_t>(seed);
  std::vector<uint32_t> key{static_cast<uint32_t>(mag)};
  if (mag >> 32) key.push_back(static_cast<uint32_t>(mag >> 32));
  init_by_array(key);
}

void PyRandom::init_genrand(uint32_t s) {
  mt_[0] = s;
  for (int i = 1; i < kN; ++i) {
    mt_[i] = 1812433253U * (mt_[i - 1] ^ (mt_[i - 1] >> 30)) + static_cast<uint32_t>(i);
  }
  index_ = kN;
}

void PyRandom::init_by_array(const std::vector<uint32_t>& key) {
  init_genrand(19650218U);
  const int len = static_cast<int>(key.size());
  int i = 1;
  int j = 0;
  for (int k = kN > len ? kN : len; k > 0; --k) {
    mt_[i] = (mt_[i] ^ ((mt_[i - 1] ^ (mt_[i - 1] >> 30)) * 1664525U)) + key[j] +
             static_cast<uint32_t>(j);
    ++i;
    ++j;
    if (i >= kN) {
      mt_[0] = mt_[kN - 1];
      i = 1;
    }
    if (j >= len) j = 0;
  }
  for (int k = kN - 1; k > 0; --k) {
    mt_[i] =
        (mt_[i] ^ ((mt_[i - 1] ^ (mt_[i - 1] >> 30)) * 1566083941U)) - static_cast<uint32_t>(i);
    ++i;
    if (i >= kN) {
      mt_[0] = mt_[kN - 1];
      i = 1;
    }
  }
  mt_[0] = 0x80000000U;  // MSB is 1, assuring a non-zero initial array
}

void PyRandom::twist() {
  auto mix = [&](int a, int b, int m) {
    uint32_t y = (mt_[a] & kUpperMask) | (mt_[b] & kLowerMask);
    mt_[a] = mt_[m] ^ (y >> 1) ^ ((y & 1U) ? kMatrixA : 0U);
  };
  int k = 0;
  for (; k < kN - kM; ++k) mix(k, k + 1, k + kM);
  for (; k < kN - 1; ++k) mix(k, k + 1, k + kM - kN);
  mix(kN - 1, 0, kM - 1);
  index_ = 0;
}

uint32_t PyRandom::next_u32() {
  if (index_ >= kN) twist();
  uint32_t y = mt_[index_++];
  y ^= y >> 11;
  y ^= (y << 7) & 0x9d2c5680U;
  y ^= (y << 15) & 0xefc60000U;
  y ^= y >> 18;
  return y;
}

uint64_t PyRandom::getrandbits(int k) {
  if (k < 0 || k > 64) throw std::invalid_argument("getrandbits: k must be in [0, 64]");
  if (k == 0) return 0;
  if (k <= 32) return next_u32() >> (32 - k);
  // Wider: 32-bit words, least significant first; the last word keeps its top bits.
  uint64_t lo = next_u32();
  uint64_t hi = next_u32() >> (64 - k);
  return lo | (hi << 32);
}

uint64_t PyRandom::randbelow(uint64_t n) {
  if (n == 0) throw std::invalid_argument("randbelow: n must be positive");
  int k = std::bit_width(n);  // n.bit_length(), not (n-1)'s: n may be 1
  uint64_t r = getrandbits(k);
  while (r >= n) r = getrandbits(k);
  return r;
}

double PyRandom::random() {
  uint32_t a = next_u32() >> 5;
  uint32_t b = next_u32() >> 6;
  return (a * 67108864.0 + b) * (1.0 / 9007199254740992.0);
}

std::vector<size_t> PyRandom::sample(size_t n, size_t k) {
  if (k > n) {
    throw std::invalid_argument("sample: k=" + std::to_string(k) + " larger than population " +
                                std::to_string(n));
  }
  std::vector<size_t> result(k);
  // NOTE: random.py picks the branch by comparing an n-list with a k-set's memory:
  // setsize = 21 + 4**ceil(log(3k, 4)) for k > 5, computed in floating point as Python does.
  size_t setsize = 21;
  if (k > 5) {
    double e = std::ceil(std::log(static_cast<double>(k * 3)) / std::log(4.0));
    setsize += size_t{1} << (2 * static_cast<int>(e));
  }
  if (n <= setsize) {
    std::vector<size_t> pool(n);
    for (size_t i = 0; i < n; ++i) pool[i] = i;
    for (size_t i = 0; i < k; ++i) {
      size_t j = randbelow(n - i);
      result[i] = pool[j];
      pool[j] = pool[n - i - 1];  // move the unselected tail item into the vacancy
    }
    return result;
  }
  std::unordered_set<size_t> selected;
  for (size_t i = 0; i < k; ++i) {
    size_t j = randbelow(n);
    while (selected.count(j)) j = randbelow(n);
    selected.insert(j);
    result[i] = j;
  }
  return result;
}

}  // namespace moebench
