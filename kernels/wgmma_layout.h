// Where the wgmma kernels put their shared-memory operands and how they describe them to the
// hardware: 128B-swizzled tiles cut into panels of 64 bf16 columns, and the matrix descriptors of
// their K-major and MN-major slices. Pure arithmetic, shared by the sm_90a kernels and the host
// test that decodes the descriptors through PTX's canonical layouts
// (tests/kernels/test_wgmma_layout.cpp).
#pragma once

#include <cstdint>

#include "kernels/counter_rng.h"  // MOEBENCH_HOST_DEVICE

namespace moebench {

constexpr int kSwRowBytes = 128;  // a 128B-swizzled tile row: 64 bf16
constexpr int kSwRowElems = 64;
constexpr int kSwizzleRows = 8;  // rows of one 1024-byte swizzle atom
constexpr int kSwAtomBytes = 1024;
constexpr int kSwChunks = kSwRowBytes / 16;  // 16-byte chunks of a row
constexpr int kMmaK = 16;                    // k per wgmma (bf16)

// Byte offset of 16-byte chunk `chunk` (0..7) of row `row` in a 128B-swizzled tile of 128-byte
// rows (atoms of 8 rows): the chunk index XORed with the row within its atom. The same placement
// serves K-major operands (rows = M or N, chunks along k) and MN-major ones (rows = k, chunks
// along M or N).
inline MOEBENCH_HOST_DEVICE constexpr uint32_t swizzled(int row, int chunk) {
  return static_cast<uint32_t>(row * kSwRowBytes + ((chunk ^ (row % kSwizzleRows)) << 4));
}

// Byte offset of 16-byte chunk `chunk` (any) of row `row` in a tile of tile_rows rows cut into
// panels of 64 columns: panel chunk / 8 starts at (chunk / 8) * tile_rows * 128, whole atoms when
// tile_rows is a multiple of 8.
inline MOEBENCH_HOST_DEVICE constexpr uint32_t panel_offset(int row, int chunk, int tile_rows) {
  return static_cast<uint32_t>(chunk / kSwChunks * tile_rows * kSwRowBytes) +
         swizzled(row, chunk % kSwChunks);
}

// The start address of the K-major operand slice rows [row0, row0 + 64 or N) x k [16 ks,
// 16 ks + 16) of a panelled tile at tile (an atom): its panel, its first row, and a 32-byte step
// inside the swizzle row (the hardware swizzles the address bits; the atom stays where it is).
inline MOEBENCH_HOST_DEVICE constexpr uint32_t k_major_slice(uint32_t tile, int tile_rows, int row0,
                                                             int ks) {
  return tile + static_cast<uint32_t>(ks / (kSwRowElems / kMmaK) * tile_rows * kSwRowBytes +
                                      row0 * kSwRowBytes + ks % (kSwRowElems / kMmaK) * kMmaK * 2);
}

// The start address of the MN-major operand slice k rows [16 kk, 16 kk + 16) of a panelled tile
// at tile whose rows are k (V: keys) and columns M or N (V: head dims); its panels lie
// tile_rows * 128 bytes apart, the descriptor's leading byte offset (mn_major_lbo).
inline MOEBENCH_HOST_DEVICE constexpr uint32_t mn_major_slice(uint32_t tile, int kk) {
  return tile + static_cast<uint32_t>(kk * kMmaK * kSwRowBytes);
}
inline MOEBENCH_HOST_DEVICE constexpr uint32_t mn_major_lbo(int tile_rows) {
  return static_cast<uint32_t>(tile_rows * kSwRowBytes);
}

// The descriptor of a K-major, 128B-swizzled operand starting at smem byte address addr:
// start address >> 4 (bits 0-13), leading byte offset 1 (unused when swizzled), stride byte
// offset 1024 >> 4 (the next 8 rows, bits 32-45), swizzle mode 1 (128B) in bits 62-63.
inline MOEBENCH_HOST_DEVICE constexpr uint64_t smem_desc(uint32_t addr) {
  return (static_cast<uint64_t>((addr & 0x3FFFF) >> 4)) | (uint64_t{1} << 16) |
         (uint64_t{kSwAtomBytes >> 4} << 32) | (uint64_t{1} << 62);
}

// The descriptor of an MN-major, 128B-swizzled operand at addr (on an atom): k rows of 128 bytes
// holding 64 consecutive M or N values each, stride byte offset 1024 (the next 8 k rows), leading
// byte offset lbo_bytes (bits 16-29: from one 64-value panel of M or N to the next; unused when
// the instruction's M or N is 64).
inline MOEBENCH_HOST_DEVICE constexpr uint64_t smem_desc_mn(uint32_t addr, uint32_t lbo_bytes) {
  return (static_cast<uint64_t>((addr & 0x3FFFF) >> 4)) |
         (static_cast<uint64_t>((lbo_bytes >> 4) & 0x3FFF) << 16) |
         (uint64_t{kSwAtomBytes >> 4} << 32) | (uint64_t{1} << 62);
}

}  // namespace moebench
