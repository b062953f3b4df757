// PTX's canonical 128B-swizzle layouts, read backwards for the CPU tests of the wgmma kernels'
// shared memory (test_wgmma_layout.cpp, test_fa3_layout.cpp): which byte of shared memory the
// element (row or column i, k) of an MMA operand comes from, given the operand's descriptor.
#pragma once

#include <cstdint>

namespace moebench {

// The hardware's 128B swizzle (Swizzle<3,4,3> on byte addresses): bits 4-6 XOR bits 7-9.
inline uint32_t swizzle128(uint32_t addr) { return addr ^ (((addr >> 7) & 7u) << 4); }

struct Fields {
  uint32_t start = 0, lbo = 0, sbo = 0;
  unsigned mode = 0;
};
inline Fields fields(uint64_t desc) {
  Fields f;
  f.start = static_cast<uint32_t>(desc & 0x3FFF) << 4;
  f.lbo = static_cast<uint32_t>((desc >> 16) & 0x3FFF) << 4;
  f.sbo = static_cast<uint32_t>((desc >> 32) & 0x3FFF) << 4;
  f.mode = static_cast<unsigned>(desc >> 62);
  return f;
}

// K-major, 128B swizzle: row i of the MMA's M or N, k of its 16 (bf16): rows 128 bytes apart in
// groups of 8, the groups SBO apart; k contiguous from the start address.
inline uint32_t k_major_byte(uint64_t desc, int i, int k) {
  const Fields f = fields(desc);
  return swizzle128(f.start + i % 8 * 128 + i / 8 * f.sbo + k * 2);
}

// MN-major, 128B swizzle (in 16-byte units ((8,n),(8,k)):((1,LBO),(8,SBO))): 64 values of M or N
// contiguous, the next 64 LBO away; k rows 128 bytes apart in groups of 8, the groups SBO apart.
inline uint32_t mn_major_byte(uint64_t desc, int n, int k) {
  const Fields f = fields(desc);
  return swizzle128(f.start + n % 64 * 2 + n / 64 * f.lbo + k % 8 * 128 + k / 8 * f.sbo);
}

}  // namespace moebench
