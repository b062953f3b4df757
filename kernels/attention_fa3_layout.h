// Where the FlashAttention-3 prefill kernel (kernels/attention_prefill_fa3.cu) keeps its tiles and
// barriers in shared memory, and how its TMA maps see k and v. Pure arithmetic, shared with the
// CPU test that checks it against the TMA boxes and the swizzle atoms
// (tests/kernels/test_wgmma_layout.cpp).
#pragma once

#include "kernels/attention.h"
#include "kernels/tma_map.h"
#include "kernels/wgmma_layout.h"

namespace moebench {

constexpr int kFa3Consumers = 2;                // warpgroups multiplying: 64 query rows each
constexpr int kFa3BlockM = kFa3Consumers * 64;  // queries a block
constexpr int kFa3BlockN = 64;                  // keys a tile (a TMA box's rows)
constexpr int kFa3Stages = 2;                   // K/V tiles in flight
constexpr int kFa3Threads = (kFa3Consumers + 1) * 128;  // a producer warpgroup first

// Bytes from a 1024-aligned base: the Q tile (kFa3BlockM rows), then kFa3Stages stages of a K tile
// and a V tile (kFa3BlockN rows each), then the barriers: full_k, full_v and empty, kFa3Stages
// each, 8 bytes apart. Every tile is panels of 64 head dims: panel p of a tile of `rows` rows at
// p * rows * 128, one TMA box (64 dims x rows) landing on whole swizzle atoms.
struct Fa3Smem {
  int stage0 = 0, stage_bytes = 0;  // the first stage (the Q tile is at 0), a stage's bytes
  int k_bytes = 0, v_bytes = 0;  // a stage's K tile, then its V tile: the TMA bytes a tile expects
  int bars = 0;                  // full_k[kFa3Stages], full_v[kFa3Stages], empty[kFa3Stages]
  int bytes = 0;                 // all, with the slack to align the base to 1024
};

inline MOEBENCH_HOST_DEVICE constexpr int fa3_panels(int dim) { return dim / kSwRowElems; }

inline MOEBENCH_HOST_DEVICE constexpr Fa3Smem fa3_smem(int dk, int dv) {
  Fa3Smem L;
  L.stage0 = fa3_panels(dk) * kFa3BlockM * kSwRowBytes;
  L.k_bytes = fa3_panels(dk) * kFa3BlockN * kSwRowBytes;
  L.v_bytes = fa3_panels(dv) * kFa3BlockN * kSwRowBytes;
  L.stage_bytes = L.k_bytes + L.v_bytes;
  L.bars = L.stage0 + kFa3Stages * L.stage_bytes;
  L.bytes = L.bars + 3 * kFa3Stages * 8 + kSwAtomBytes;
  return L;
}

// The barriers' byte offsets.
inline MOEBENCH_HOST_DEVICE constexpr int fa3_full_k(const Fa3Smem& L, int stage) {
  return L.bars + stage * 8;
}
inline MOEBENCH_HOST_DEVICE constexpr int fa3_full_v(const Fa3Smem& L, int stage) {
  return L.bars + (kFa3Stages + stage) * 8;
}
inline MOEBENCH_HOST_DEVICE constexpr int fa3_empty(const Fa3Smem& L, int stage) {
  return L.bars + (2 * kFa3Stages + stage) * 8;
}
inline MOEBENCH_HOST_DEVICE constexpr int fa3_k_tile(const Fa3Smem& L, int stage) {
  return L.stage0 + stage * L.stage_bytes;
}
inline MOEBENCH_HOST_DEVICE constexpr int fa3_v_tile(const Fa3Smem& L, int stage) {
  return fa3_k_tile(L, stage) + L.k_bytes;
}

// Where the producer puts box `panel` (64 head dims) of a K (v: false) or V tile of 64 keys from
// token row0 of kv head kv_head: its byte offset in shared memory and its tensor-map coordinates,
// innermost first (head dim, kv head, token).
struct Fa3Box {
  int smem = 0;
  int c0 = 0, c1 = 0, c2 = 0;
};
inline MOEBENCH_HOST_DEVICE constexpr Fa3Box fa3_box(const Fa3Smem& L, bool v, int stage, int panel,
                                                     int kv_head, int row0) {
  Fa3Box b;
  b.smem = (v ? fa3_v_tile(L, stage) : fa3_k_tile(L, stage)) + panel * kFa3BlockN * kSwRowBytes;
  b.c0 = panel * kSwRowElems;
  b.c1 = kv_head;
  b.c2 = row0;
  return b;
}

// The token rows of k (v: false) or v (true) as the kernel's TMA maps see them: (head dim, kv
// head, token), boxes of 64 head dims x 1 kv head x 64 keys; head strides resolved
// (prefill_attention_check).
inline TmaTensor3 prefill_tma_tensor(const PrefillAttentionArgs& a, const PrefillHeadStrides& hs,
                                     bool v) {
  TmaTensor3 t;
  t.dims[0] = v ? a.dv : a.dk;
  t.dims[1] = a.n_kv_heads;
  t.dims[2] = a.total_k;
  t.strides[0] = v ? hs.v : hs.k;
  t.strides[1] = v ? a.v_stride : a.k_stride;
  t.box[0] = kSwRowElems;
  t.box[1] = 1;
  t.box[2] = kFa3BlockN;
  t.names[0] = "head dim";
  t.names[1] = "head";
  t.names[2] = "token";
  return t;
}

}  // namespace moebench
