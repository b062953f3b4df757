// TMA loads emulated on the CPU for the tests of the TMA kernels' shared memory
// (test_fa3_layout.cpp, test_grouped_wgmma_tma.cpp): a tensor of element ids, shared memory of ids,
// and a box landing as the driver's geometry and the 128B swizzle put it.
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/tma_map.h"
#include "tests/catch.h"
#include "tests/kernels/wgmma_decode.h"

namespace moebench::test {

// A 3-D bf16 tensor as element ids (1 + its element offset), gaps between rows included.
struct IdTensor {
  TmaTensor3 t;
  uint32_t id(int64_t i0, int64_t i1, int64_t i2) const {
    return static_cast<uint32_t>(1 + i0 + i1 * t.strides[0] + i2 * t.strides[1]);
  }
};

// Shared memory of 32-bit element ids, one a bf16 slot; 0 = a zero the TMA filled in.
struct IdSmem {
  std::vector<uint32_t> slot = std::vector<uint32_t>(128 * 1024, 0xffffffffu);
  uint32_t at(uint32_t byte) const { return slot.at(byte / 2); }
};

// A TMA load emulated from the map's geometry: the box at coordinates c lands as rows of box[0]
// values, dimension 1 then 2 (row r2 * box[1] + r1), element e of row r at the 128B-swizzled
// address of dst + r * 128 + e * 2; elements out of the tensor's bounds are zeros.
inline void tma_load(IdSmem& m, uint32_t dst, const IdTensor& x, const int64_t (&c)[3]) {
  const TmaGeometry g = tma_geometry(x.t);
  REQUIRE(g.box[0] * 2 == 128);
  for (uint32_t r2 = 0; r2 < g.box[2]; ++r2) {
    for (uint32_t r1 = 0; r1 < g.box[1]; ++r1) {
      for (uint32_t e = 0; e < g.box[0]; ++e) {
        const int64_t i0 = c[0] + e, i1 = c[1] + r1, i2 = c[2] + r2;
        const bool in = i0 < static_cast<int64_t>(g.dims[0]) &&
                        i1 < static_cast<int64_t>(g.dims[1]) &&
                        i2 < static_cast<int64_t>(g.dims[2]);
        const uint32_t row = r2 * g.box[1] + r1;
        m.slot.at(swizzle128(dst + row * 128 + e * 2) / 2) = in ? x.id(i0, i1, i2) : 0;
      }
    }
  }
}

}  // namespace moebench::test
