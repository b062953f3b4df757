// The row tiles of a grouped GEMM over device offsets, shared by the persistent wgmma kernel and
// its host tests: each expert's rows cut into tiles of bm rows, experts in order, and the tile a
// walk index names (a binary search over the tiles' prefix). Pure functions of the offsets.
#pragma once

#include <cstdint>

#include "kernels/counter_rng.h"  // MOEBENCH_HOST_DEVICE

namespace moebench {

// Rows [lo, hi) of expert `expert`, column tile `col_tile`.
struct GroupedTile {
  int expert = -1;
  int64_t lo = 0, hi = 0;
  int64_t col_tile = 0;
};

// Rows of expert e clipped to the caller's bound: rows at or past max_rows are never computed.
inline MOEBENCH_HOST_DEVICE void grouped_expert_rows(const int32_t* offsets, int64_t max_rows,
                                                     int e, int64_t& lo, int64_t& hi) {
  lo = offsets[e] < max_rows ? offsets[e] : max_rows;
  hi = offsets[e + 1] < max_rows ? offsets[e + 1] : max_rows;
  if (hi < lo) hi = lo;
}

// Tiles of bm rows that rows [lo, hi) take.
inline MOEBENCH_HOST_DEVICE int grouped_expert_tiles(int64_t lo, int64_t hi, int bm) {
  return static_cast<int>((hi - lo + bm - 1) / bm);
}

// Walk index t: row tile t / col_tiles, found in first (n_experts + 1 values: first[e] = the
// first row tile of expert e, first[n_experts] = all of them) by binary search, whose answer is
// the last expert starting at or before it (empty experts share their successor's start), and
// column tile t % col_tiles. Needs t < first[n_experts] * col_tiles.
inline MOEBENCH_HOST_DEVICE GroupedTile grouped_tile_at(const int32_t* offsets, int64_t max_rows,
                                                        int n_experts, const int* first, int bm,
                                                        int64_t t, int64_t col_tiles) {
  GroupedTile tile;
  const int row_tile = static_cast<int>(t / col_tiles);
  tile.col_tile = t % col_tiles;
  int lo_e = 0, hi_e = n_experts;  // first[lo_e] <= row_tile < first[hi_e]
  while (hi_e - lo_e > 1) {
    const int mid = (lo_e + hi_e) / 2;
    if (first[mid] <= row_tile) {
      lo_e = mid;
    } else {
      hi_e = mid;
    }
  }
  tile.expert = lo_e;
  int64_t e_lo, e_hi;
  grouped_expert_rows(offsets, max_rows, lo_e, e_lo, e_hi);
  tile.lo = e_lo + static_cast<int64_t>(row_tile - first[lo_e]) * bm;
  tile.hi = tile.lo + bm < e_hi ? tile.lo + bm : e_hi;
  return tile;
}

}  // namespace moebench
