// The host side of the TMA loads: the geometry of a 3-D bf16 tensor map over token rows of
// (heads, head dims), checked against the driver's documented limits, and its encoding. Pure
// arithmetic here (the CPU tests check it); the encoding asks the driver (kernels/tma_map.cu).
#pragma once

#include <cstdint>
#include <string>

namespace moebench {

// Token rows of n_heads heads of `dim` bf16 values: value d of head h of token t at element
// t * token_stride + h * head_stride + d. Boxes of box_dim values x 1 head x box_rows tokens
// land in shared memory as box_rows rows of box_dim values, 128B-swizzled.
struct TmaRows {
  int64_t dim = 0, n_heads = 0, tokens = 0;
  int64_t head_stride = 0, token_stride = 0;  // elements
  int box_dim = 64, box_rows = 64;
};

// The driver's sizes for rows: globalDim, globalStrides (bytes) and boxDim, innermost first.
struct TmaGeometry {
  uint64_t dims[3] = {0, 0, 0};
  uint64_t strides[2] = {0, 0};
  uint32_t box[3] = {0, 0, 0};
};

// Empty when the driver's limits for a tiled, 128B-swizzled bf16 map hold for rows (every
// dimension 1 .. 2^32, byte strides multiples of 16 below 2^40, each stride spanning the one
// inside it, box sides 1 .. 256 with 128-byte box rows); else what fails, naming the field.
inline std::string tma_rows_problem(const TmaRows& r) {
  constexpr int64_t kBf16 = 2;
  constexpr int64_t kMaxDim = int64_t{1} << 32, kMaxStride = int64_t{1} << 40;
  const auto in = [](int64_t v, int64_t lo, int64_t hi) { return v >= lo && v <= hi; };
  if (!in(r.dim, 1, kMaxDim)) return "dim " + std::to_string(r.dim) + " not in 1 .. 2^32";
  if (!in(r.n_heads, 1, kMaxDim)) return "heads " + std::to_string(r.n_heads) + " not in 1 .. 2^32";
  if (!in(r.tokens, 1, kMaxDim)) return "tokens " + std::to_string(r.tokens) + " not in 1 .. 2^32";
  const int64_t hs = r.head_stride * kBf16, ts = r.token_stride * kBf16;
  if (hs % 16 != 0 || !in(hs, 16, kMaxStride - 1)) {
    return "head stride " + std::to_string(hs) + " bytes: not a multiple of 16 below 2^40";
  }
  if (ts % 16 != 0 || !in(ts, 16, kMaxStride - 1)) {
    return "token stride " + std::to_string(ts) + " bytes: not a multiple of 16 below 2^40";
  }
  if (r.head_stride < r.dim) return "head stride below dim (heads overlap)";
  if (r.token_stride < r.head_stride * r.n_heads) return "token stride below heads x head stride";
  if (r.box_dim * kBf16 != 128) return "box_dim must make 128-byte rows (the 128B swizzle)";
  if (!in(r.box_rows, 1, 256)) return "box_rows not in 1 .. 256";
  return {};
}

inline TmaGeometry tma_geometry(const TmaRows& r) {
  TmaGeometry g;
  g.dims[0] = static_cast<uint64_t>(r.dim);
  g.dims[1] = static_cast<uint64_t>(r.n_heads);
  g.dims[2] = static_cast<uint64_t>(r.tokens);
  g.strides[0] = static_cast<uint64_t>(r.head_stride) * 2;
  g.strides[1] = static_cast<uint64_t>(r.token_stride) * 2;
  g.box[0] = static_cast<uint32_t>(r.box_dim);
  g.box[1] = 1;
  g.box[2] = static_cast<uint32_t>(r.box_rows);
  return g;
}

}  // namespace moebench
