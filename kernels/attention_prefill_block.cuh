// Which queries and keys one prefill attention block takes, shared by the prefill kernels: grid
// (query tiles, heads, sequences), the longest causal tiles launched first; and the register-tile
// kernels' parameters.
#pragma once

#include <cuda_runtime.h>

#include "kernels/attention.h"

namespace moebench {

struct PrefillBlock {
  int seq = 0, head = 0;
  int q0 = 0, len_q = 0;  // the sequence's first query row and query count
  int k0 = 0, len_k = 0;  // its first key row and key count (len_k >= len_q)
  int m0 = 0, rows = 0;   // the block's first query in the sequence and its query count
  int kv_head = 0;
  int shift = 0;  // key position of the sequence's first query
  int k_end = 0;  // keys the block's queries can see
};

// The register-tile kernels' parameters (wgmma, FA3): the call, its head strides resolved, its
// scale in the exp2 domain.
struct PrefillCall {
  PrefillAttentionArgs a;
  PrefillHeadStrides hs;
  float scale_log2 = 0;
};

inline PrefillCall prefill_call(const PrefillAttentionArgs& args, const PrefillHeadStrides& hs) {
  constexpr float kLog2e = 1.4426950408889634f;
  PrefillCall c;
  c.a = args;
  c.hs = hs;
  c.scale_log2 = args.scale * kLog2e;
  return c;
}

// The block's tile of block_m queries; false when the tile lies past the sequence's queries.
__device__ __forceinline__ bool prefill_block(const PrefillAttentionArgs& a, int block_m,
                                              PrefillBlock& b) {
  b.seq = blockIdx.z;
  b.head = blockIdx.y;
  const int tile = gridDim.x - 1 - blockIdx.x;  // NOTE: the longest causal tiles start first
  b.q0 = a.cu_q[b.seq];
  b.len_q = a.cu_q[b.seq + 1] - b.q0;
  b.k0 = a.cu_k[b.seq];
  b.len_k = a.cu_k[b.seq + 1] - b.k0;
  b.m0 = tile * block_m;
  if (b.m0 >= b.len_q) return false;
  b.rows = min(block_m, b.len_q - b.m0);
  b.kv_head = b.head / (a.n_heads / a.n_kv_heads);
  b.shift = b.len_k - b.len_q;
  b.k_end = a.causal ? min(b.len_k, b.shift + b.m0 + b.rows) : b.len_k;
  return true;
}

}  // namespace moebench
