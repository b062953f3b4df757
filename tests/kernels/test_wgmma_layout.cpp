// The wgmma kernels' shared-memory operands (kernels/wgmma_layout.h), checked without a GPU: tiles
// are placed as the kernels' loaders place them (panel_offset), then every element each MMA's
// descriptor names is read back through PTX's canonical 128B-swizzle layouts (the matrix
// descriptor section of the PTX ISA; CUTLASS's make_gmma_desc comment) and must be the element
// the MMA multiplies: the prefill attention's Q (A), K (B) and V (B, N-major) and the grouped
// GEMM's stage.
#include <cstdint>
#include <string>
#include <vector>

#include "kernels/wgmma_layout.h"
#include "tests/catch.h"
#include "tests/kernels/wgmma_decode.h"

namespace moebench {
namespace {

// A shared-memory window of 16-bit element ids.
struct Smem {
  std::vector<uint16_t> bytes2 = std::vector<uint16_t>(128 * 1024, 0xffff);
  uint16_t at(uint32_t byte) const { return bytes2.at(byte / 2); }
};

// Places a rows x cols tile at byte `tile` the way the loaders do: each 16-byte chunk c of row r
// at tile + panel_offset(r, c, rows), its 8 elements in order. Element (r, col) holds id(r, col).
template <typename Id>
void place(Smem& m, uint32_t tile, int rows, int cols, Id id) {
  for (int r = 0; r < rows; ++r) {
    for (int col = 0; col < cols; ++col) {
      const uint32_t byte = tile + panel_offset(r, col / 8, rows) + col % 8 * 2;
      m.bytes2.at(byte / 2) = id(r, col);
    }
  }
}

uint16_t id_of(int r, int col) { return static_cast<uint16_t>(r * 256 + col); }

TEST_CASE("wgmma descriptors: K-major slices of panelled tiles name the elements the MMAs take") {
  // The attention's Q tile (128 rows, 192 head dims: three panels) at an atom, K (64 keys) after
  // it; each warpgroup's A slices (rows 64 w ...) and the B slices, every k16 step.
  for (const int dk : {64, 128, 192}) {
    CAPTURE(dk);
    Smem m;
    const uint32_t q = 0, k = static_cast<uint32_t>(dk / 64 * 128 * kSwRowBytes);
    place(m, q, 128, dk, id_of);
    place(m, k, 64, dk,
          [](int r, int col) { return static_cast<uint16_t>(0x8000 | id_of(r, col)); });
    for (int ks = 0; ks < dk / kMmaK; ++ks) {
      for (int wg = 0; wg < 2; ++wg) {
        const uint64_t desc = smem_desc(k_major_slice(q, 128, wg * 64, ks));
        REQUIRE(fields(desc).mode == 1);
        REQUIRE(fields(desc).sbo == 1024);
        for (int i = 0; i < 64; ++i) {
          for (int kk = 0; kk < kMmaK; ++kk) {
            INFO("Q ks " << ks << " wg " << wg << " row " << i << " k " << kk);
            REQUIRE(m.at(k_major_byte(desc, i, kk)) == id_of(wg * 64 + i, ks * kMmaK + kk));
          }
        }
      }
      const uint64_t desc = smem_desc(k_major_slice(k, 64, 0, ks));
      for (int i = 0; i < 64; ++i) {
        for (int kk = 0; kk < kMmaK; ++kk) {
          INFO("K ks " << ks << " key " << i << " k " << kk);
          REQUIRE(m.at(k_major_byte(desc, i, kk)) == (0x8000 | id_of(i, ks * kMmaK + kk)));
        }
      }
    }
  }
}

TEST_CASE("wgmma descriptors: MN-major V slices name the head dims and keys P V takes") {
  // V (64 keys x 64 or 128 head dims, its rows as they lie in memory) at an atom: each k16 step
  // of keys, every head dim of the m64nNk16 with N = dv.
  for (const int dv : {64, 128}) {
    CAPTURE(dv);
    Smem m;
    const uint32_t v = 3 * kSwAtomBytes;
    place(m, v, 64, dv, id_of);
    for (int kk = 0; kk < 64 / kMmaK; ++kk) {
      const uint64_t desc = smem_desc_mn(mn_major_slice(v, kk), mn_major_lbo(64));
      REQUIRE(fields(desc).mode == 1);
      REQUIRE(fields(desc).sbo == 1024);
      REQUIRE(fields(desc).lbo == 64 * kSwRowBytes);
      for (int n = 0; n < dv; ++n) {
        for (int k = 0; k < kMmaK; ++k) {
          INFO("V kk " << kk << " head dim " << n << " key " << k);
          REQUIRE(m.at(mn_major_byte(desc, n, k)) == id_of(kk * kMmaK + k, n));
        }
      }
    }
  }
}

TEST_CASE("wgmma descriptors: a wrong leading byte offset or panel step names other elements") {
  // The checks above can fail: V's second panel through a 1024-byte LBO, and Q's second panel
  // reached by a plain 32-byte step past the first, read other elements.
  Smem m;
  place(m, 0, 64, 128, id_of);
  const uint64_t bad_lbo = smem_desc_mn(mn_major_slice(0, 0), 1024);
  REQUIRE(m.at(mn_major_byte(bad_lbo, 64, 0)) != id_of(0, 64));
  const uint64_t bad_step = smem_desc(k_major_slice(0, 64, 0, 3) + kMmaK * 2);
  REQUIRE(m.at(k_major_byte(bad_step, 0, 0)) != id_of(0, 64));
  const uint64_t good = smem_desc(k_major_slice(0, 64, 0, 4));
  REQUIRE(m.at(k_major_byte(good, 0, 0)) == id_of(0, 64));
}

}  // namespace
}  // namespace moebench
