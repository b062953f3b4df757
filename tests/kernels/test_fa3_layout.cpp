// The FlashAttention-3 prefill kernel's shared memory and TMA maps (kernels/attention_fa3_layout.h,
// kernels/tma_map.h), checked without a GPU: its tiles sit on swizzle atoms with the barriers
// after them; a TMA load emulated from the map's geometry (box, strides, zeros out of bounds, the
// 128B swizzle on shared-memory addresses) puts each K and V element where the MMA descriptors of
// the kernel read it (PTX's canonical layouts, tests/kernels/wgmma_decode.h); and the maps' limits
// refuse, by field, layouts TMA cannot describe.
#include <cstdint>
#include <string>
#include <vector>

#include "kernels/attention_fa3_layout.h"
#include "kernels/tma_map.h"
#include "kernels/wgmma_layout.h"
#include "tests/catch.h"
#include "tests/kernels/tma_emulation.h"
#include "tests/kernels/wgmma_decode.h"

namespace moebench {
namespace {

struct Dims {
  int dk = 0, dv = 0;
};
constexpr Dims kInstances[] = {{64, 64}, {64, 128}, {128, 64}, {128, 128}, {192, 64}, {192, 128}};

TEST_CASE("fa3 layout: tiles on swizzle atoms, barriers after them, within an SM") {
  for (const Dims d : kInstances) {
    CAPTURE(d.dk, d.dv);
    const Fa3Smem L = fa3_smem(d.dk, d.dv);
    REQUIRE(L.bytes <= 227 * 1024);
    // expect_tx: a tile's bytes are its boxes' (64 dims x 64 keys of bf16 each).
    REQUIRE(L.k_bytes == fa3_panels(d.dk) * kFa3BlockN * 64 * 2);
    REQUIRE(L.v_bytes == fa3_panels(d.dv) * kFa3BlockN * 64 * 2);
    REQUIRE(L.stage0 == fa3_panels(d.dk) * kFa3BlockM * 128);  // the Q tile first
    int tiles_end = L.stage0;
    for (int s = 0; s < kFa3Stages; ++s) {
      for (int p = 0; p < fa3_panels(d.dk); ++p) {
        const Fa3Box b = fa3_box(L, false, s, p, 0, 0);
        REQUIRE(b.smem % kSwAtomBytes == 0);
        REQUIRE(b.smem >= tiles_end);  // after Q and the stages before
      }
      for (int p = 0; p < fa3_panels(d.dv); ++p) {
        const Fa3Box b = fa3_box(L, true, s, p, 0, 0);
        REQUIRE(b.smem % kSwAtomBytes == 0);
        REQUIRE(b.smem >= fa3_k_tile(L, s) + L.k_bytes);  // after the stage's K tile
      }
      tiles_end = fa3_v_tile(L, s) + L.v_bytes;
    }
    std::vector<int> bars;
    for (int s = 0; s < kFa3Stages; ++s) {
      bars.push_back(fa3_full_k(L, s));
      bars.push_back(fa3_full_v(L, s));
      bars.push_back(fa3_empty(L, s));
    }
    for (size_t i = 0; i < bars.size(); ++i) {
      REQUIRE(bars[i] % 8 == 0);
      REQUIRE(bars[i] >= tiles_end);
      REQUIRE(bars[i] + 8 + kSwAtomBytes <= L.bytes);  // room to align the base
      for (size_t j = 0; j < i; ++j) REQUIRE(bars[i] != bars[j]);
    }
  }
}

// A prefill call's k (v: false) or v tensor.
test::IdTensor prefill_tensor(int dim, int64_t head_stride, int64_t token_stride, int tokens) {
  PrefillAttentionArgs a;
  a.n_kv_heads = 2;
  a.dk = a.dv = dim;
  a.k_stride = a.v_stride = token_stride;
  a.total_k = tokens;
  PrefillHeadStrides hs;
  hs.k = hs.v = head_stride;
  return test::IdTensor{prefill_tma_tensor(a, hs, false)};
}

TEST_CASE("fa3 TMA boxes land where the kernel's MMA descriptors read K and V") {
  // A GQA call with head dims padded inside their instance (136 in 192, 72 in 128), a second kv
  // head, padded token rows, and a last tile that runs past the tensor's 150 tokens.
  const int dk = 136, dv = 72, kdk = 192, kdv = 128, kv_head = 1, tokens = 150;
  const test::IdTensor k = prefill_tensor(dk, dk + 8, 2 * (dk + 8) + 16, tokens);
  const test::IdTensor v = prefill_tensor(dv, dv, 2 * dv + 8, tokens);
  REQUIRE(tma_problem(k.t).empty());
  REQUIRE(tma_problem(v.t).empty());
  const Fa3Smem L = fa3_smem(kdk, kdv);
  for (const int row0 : {0, 64, 128}) {  // tiles t = 0, 1, 2 of a sequence starting at token 0
    const int stage = row0 / 64 % kFa3Stages;
    CAPTURE(row0, stage);
    test::IdSmem m;
    for (int p = 0; p < fa3_panels(kdk); ++p) {
      const Fa3Box b = fa3_box(L, false, stage, p, kv_head, row0);
      test::tma_load(m, static_cast<uint32_t>(b.smem), k, {b.c0, b.c1, b.c2});
    }
    for (int p = 0; p < fa3_panels(kdv); ++p) {
      const Fa3Box b = fa3_box(L, true, stage, p, kv_head, row0);
      test::tma_load(m, static_cast<uint32_t>(b.smem), v, {b.c0, b.c1, b.c2});
    }
    // S = Q Kᵀ (issue_scores): B is K-major, key i of the tile, head dim 16 ks + kk.
    const uint32_t k_tile = static_cast<uint32_t>(fa3_k_tile(L, stage));
    for (int ks = 0; ks < kdk / kMmaK; ++ks) {
      const uint64_t desc = smem_desc(k_major_slice(k_tile, kFa3BlockN, 0, ks));
      for (int i = 0; i < kFa3BlockN; ++i) {
        for (int kk = 0; kk < kMmaK; ++kk) {
          const int d = ks * kMmaK + kk, token = row0 + i;
          const uint32_t want = d < dk && token < tokens ? k.id(d, kv_head, token) : 0;
          INFO("K key " << i << " dim " << d);
          REQUIRE(m.at(k_major_byte(desc, i, kk)) == want);
        }
      }
    }
    // O += P V (issue_pv): B is N-major, head dim n, key 16 kk + j of the tile.
    const uint32_t v_tile = static_cast<uint32_t>(fa3_v_tile(L, stage));
    for (int kk = 0; kk < kFa3BlockN / kMmaK; ++kk) {
      const uint64_t desc = smem_desc_mn(mn_major_slice(v_tile, kk), mn_major_lbo(kFa3BlockN));
      for (int n = 0; n < kdv; ++n) {
        for (int j = 0; j < kMmaK; ++j) {
          const int token = row0 + kk * kMmaK + j;
          const uint32_t want = n < dv && token < tokens ? v.id(n, kv_head, token) : 0;
          INFO("V dim " << n << " key " << kk * kMmaK + j);
          REQUIRE(m.at(mn_major_byte(desc, n, j)) == want);
        }
      }
    }
  }
}

TEST_CASE("fa3 TMA maps: the engine's MLA operands fit, and the limits refuse by field") {
  // DeepSeek-V2-Lite prefill: k assembled as (tokens, 16 heads, 192); v read in place from
  // kv_b's output rows (16 heads of 128 nope + 128 v).
  PrefillAttentionArgs a;
  a.n_kv_heads = 16;
  a.dk = 192;
  a.dv = 128;
  a.k_stride = 16 * 192;
  a.v_stride = 16 * 256;
  a.total_k = 8 * 2048;
  PrefillHeadStrides hs;
  hs.k = 192;
  hs.v = 256;
  const TmaTensor3 kt = prefill_tma_tensor(a, hs, false), vt = prefill_tma_tensor(a, hs, true);
  REQUIRE(tma_problem(kt).empty());
  REQUIRE(tma_problem(vt).empty());
  const TmaGeometry g = tma_geometry(vt);
  CHECK(g.dims[0] == 128);
  CHECK(g.dims[1] == 16);
  CHECK(g.dims[2] == 8 * 2048);
  CHECK(g.strides[0] == 512);
  CHECK(g.strides[1] == 16 * 256 * 2);
  CHECK(g.box[0] == 64);
  CHECK(g.box[1] == 1);
  CHECK(g.box[2] == 64);

  const auto problem = [](const TmaTensor3& t) { return tma_problem(t); };
  TmaTensor3 t = kt;
  t.dims[2] = 0;
  CHECK(problem(t) == "token count 0 not in 1 .. 2^32");
  t = kt;
  t.strides[0] = 196;  // 392 bytes
  t.strides[1] = 16 * 196;
  CHECK(problem(t) == "head stride 392 bytes: not a multiple of 16 below 2^40");
  t = kt;
  t.strides[1] = 16 * 192 + 4;
  CHECK(problem(t) == "token stride 6152 bytes: not a multiple of 16 below 2^40");
  t = kt;
  t.strides[1] = 8 * 192;  // heads interleaved past the token's row
  CHECK(problem(t) == "token stride below heads x their stride (overlap)");
  t = kt;
  t.strides[0] = 128;
  CHECK(problem(t) == "head stride below the head dim count (overlap)");
  t = kt;
  t.box[0] = 32;
  CHECK(problem(t) == "the box's rows must be 128 bytes (the 128B swizzle)");
  t = kt;
  t.box[2] = 512;
  CHECK(problem(t) == "token box side 512 not in 1 .. 256");
}

}  // namespace
}  // namespace moebench
