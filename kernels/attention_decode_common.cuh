// The pieces both decode attention partial kernels share (CUDA cores: attention_decode.cu; tensor
// cores for the MLA latent: attention_decode_mma.cu): the constants, the key split, the launch
// parameters and the merge of the chunks' partials, one body for the merge kernel and the partial
// kernels' last blocks so every path merges with the same bits.
#pragma once

#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "kernels/attention.h"
#include "kernels/bf16_device.cuh"

namespace moebench::decode_attn {

constexpr int kTile = 32;      // keys per tile; chunks are whole tiles
constexpr int kThreads = 256;  // a partial kernel block
constexpr int kWarps = kThreads / 32;
constexpr int kBlockHeads = 2 * kWarps;  // query heads a partial block takes (a head block)
constexpr int kMaxDk = 576, kMaxDv = 512;
constexpr int kMergeThreads = 128;
constexpr int kMergeWarps = kMergeThreads / 32;
static_assert(kThreads % kMergeThreads == 0, "the partial kernel's last block merges by groups");
constexpr int kMaxChunks = 512;
// NOTE: ~2 partial blocks per SM on an H100 (132 SMs) when the batch has one kv head; the split
// is sized from host values only so a captured graph replays for any seq_lens <= max_seq_len.
constexpr int kTargetBlocks = 264;
static_assert(kTargetBlocks <= kMaxChunks, "the merge keeps one weight per chunk in smem");
constexpr float kLog2e = 1.4426950408889634f;

struct DecodeSplit {
  int chunk_len = 0;  // keys per chunk, a multiple of kTile
  int n_chunks = 0;   // ceil(max_seq_len / chunk_len) <= kMaxChunks
};

__host__ __device__ constexpr int ceil_div(int a, int b) { return (a + b - 1) / b; }

inline DecodeSplit decode_split(int n_seqs, int max_seq_len) {
  const int tiles = ceil_div(max_seq_len, kTile);
  const int want_chunks = std::max(1, ceil_div(kTargetBlocks, std::max(n_seqs, 1)));
  DecodeSplit sp;
  sp.chunk_len = std::max(1, ceil_div(tiles, want_chunks)) * kTile;
  sp.n_chunks = ceil_div(max_seq_len, sp.chunk_len);
  return sp;
}

struct DecodeParams {
  DecodeAttentionArgs a;
  int group = 0;        // n_heads / n_kv_heads
  int head_blocks = 0;  // ceil(group / kBlockHeads): blocks sharing one kv head
  int chunk_len = 0, n_chunks = 0;
  int k_ld = 0, v_ld = 0;   // shared-memory row strides of the K and V tiles (bf16)
  bool v_in_k = false;      // V is the first dv values of the K row (MLA latent): reuse the K tile
  float scale_log2 = 0;     // scale * log2(e): scores live in the exp2 domain
  float* ws_acc = nullptr;  // (n_seqs, n_heads, n_chunks, dv) unnormalized P·V, null if 1 chunk
  float* ws_ml = nullptr;   // (n_seqs, n_heads, n_chunks, 2) running max (log2) and sum
  int32_t* counters = nullptr;  // a.merge_counters when the partial blocks merge (n_chunks > 1)
};

// ----------------------------------------------------------------------------
// GPU pieces

__device__ __forceinline__ float warp_max(float v) {
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}

__device__ __forceinline__ float warp_sum(float v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

__device__ __forceinline__ int decode_seq_len(const DecodeAttentionArgs& a, int s) {
  return min(max(a.seq_lens[s], 0), a.max_seq_len);
}

// Max and sum over the kMergeThreads threads of group g of the block (warps 4 g .. 4 g + 3): each
// warp's, then the group's 4 through red (red[4 g + warp]) with the other lanes' identity, the
// same tree for any group. Every thread of the block calls them (they sync the block).
__device__ __forceinline__ float group_max(float v, int g, float* red) {
  v = warp_max(v);
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32 % kMergeWarps;
  __syncthreads();  // NOTE: red may still be read by a previous call
  if (lane == 0) red[g * kMergeWarps + warp] = v;
  __syncthreads();
  return warp_max(lane < kMergeWarps ? red[g * kMergeWarps + lane] : -INFINITY);
}

__device__ __forceinline__ float group_sum(float v, int g, float* red) {
  v = warp_sum(v);
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32 % kMergeWarps;
  __syncthreads();
  if (lane == 0) red[g * kMergeWarps + warp] = v;
  __syncthreads();
  return warp_sum(lane < kMergeWarps ? red[g * kMergeWarps + lane] : 0.0f);
}

// Head h of sequence s (h < 0: none, the group only joins the barriers) from its n chunks'
// partials: out = sum_c w_c acc_c / sum_c w_c l_c with w_c = 2^(m_c - max m), by the kMergeThreads
// threads of group g (gt = the thread's index in it), w_s its kMaxChunks weights. One body for the
// merge kernel and the partial kernel's last block, so both give the same bits. Loads bypass L1: in
// the partial kernel other blocks wrote the partials.
__device__ __forceinline__ void merge_head(const DecodeParams& p, int h, int s, int n, int g,
                                           int gt, float* w_s, float* red) {
  const DecodeAttentionArgs& a = p.a;
  const bool on = h >= 0 && n > 0;
  const int64_t base = (int64_t{s} * a.n_heads + (h >= 0 ? h : 0)) * p.n_chunks;
  float m = -INFINITY;
  if (on) {
    for (int c = gt; c < n; c += kMergeThreads) m = fmaxf(m, __ldcg(p.ws_ml + (base + c) * 2));
  }
  m = group_max(m, g, red);
  float l = 0.0f;
  if (on) {
    for (int c = gt; c < n; c += kMergeThreads) {
      const float w = exp2f(__ldcg(p.ws_ml + (base + c) * 2) - m);
      w_s[c] = w;
      l += w * __ldcg(p.ws_ml + (base + c) * 2 + 1);
    }
  }
  l = group_sum(l, g, red);  // NOTE: its __syncthreads also publishes w_s
  if (h < 0) return;
  uint16_t* o = a.out + s * a.out_stride + int64_t{h} * a.dv;
  if (n == 0) {  // a sequence with no keys gets a zero row
    for (int d = gt; d < a.dv; d += kMergeThreads) bf16_store(o + d, 0.0f);
    return;
  }
  const float inv = 1.0f / l;
  const float4* acc = reinterpret_cast<const float4*>(p.ws_acc + base * a.dv);
  for (int d4 = gt; d4 < a.dv / 4; d4 += kMergeThreads) {
    float4 x = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
    for (int c = 0; c < n; ++c) {
      const float4 y = __ldcg(acc + c * (a.dv / 4) + d4);
      const float w = w_s[c];
      x.x += w * y.x;
      x.y += w * y.y;
      x.z += w * y.z;
      x.w += w * y.w;
    }
    bf16_store(o + d4 * 4, x.x * inv);
    bf16_store(o + d4 * 4 + 1, x.y * inv);
    bf16_store(o + d4 * 4 + 2, x.z * inv);
    bf16_store(o + d4 * 4 + 3, x.w * inv);
  }
}

// The partial kernel's end when its blocks merge (p.counters): the n blocks of one (sequence, head
// block) that hold keys each count themselves once their partials are out; the last one merges the
// block's heads, two at a time (one per group of kMergeThreads threads), and resets the counter.
// NOTE: the classic last-block pattern: writes, __threadfence, then the atomic; the last block's
// fence and L2 loads (merge_head) see every other block's partials.
__device__ __forceinline__ void merge_if_last(const DecodeParams& p, int s, int h0, int heads,
                                              int n) {
  __shared__ bool last_s;
  __shared__ float w_s[kThreads / kMergeThreads][kMaxChunks];
  __shared__ float red[kThreads / 32];
  __threadfence();
  __syncthreads();
  if (threadIdx.x == 0) {
    int32_t* counter = p.counters + int64_t{s} * gridDim.y + blockIdx.y;
    last_s = atomicAdd(counter, 1) == n - 1;
    if (last_s) atomicExch(counter, 0);  // every block of the pair has counted: ready for the next
  }
  __syncthreads();
  if (!last_s) return;  // block-uniform
  __threadfence();
  const int g = threadIdx.x / kMergeThreads, gt = threadIdx.x % kMergeThreads;
  for (int hp = 0; hp < heads; hp += kThreads / kMergeThreads) {
    const int h = hp + g;
    merge_head(p, h < heads ? h0 + h : -1, s, n, g, gt, w_s[g], red);
  }
}

// True when the block's chunk starts at or past sequence s's keys (len): the block has nothing to
// compute. A sequence with no keys gets zero rows for the block's heads [h0, h0 + heads): here,
// by the one-chunk call or chunk 0 of merging blocks, unless the merge kernel writes them.
__device__ __forceinline__ bool decode_chunk_empty(const DecodeParams& p, int s, int chunk, int h0,
                                                   int heads, int len) {
  if (chunk * p.chunk_len < len) return false;
  const DecodeAttentionArgs& a = p.a;
  if (p.n_chunks == 1 || (p.counters != nullptr && chunk == 0)) {
    for (int i = threadIdx.x; i < heads * a.dv; i += blockDim.x) {
      bf16_store(a.out + s * a.out_stride + int64_t{h0} * a.dv + i, 0.0f);
    }
  }
  return true;
}

// The tensor-core partial kernel (attention_decode_mma.cu): true when it takes this call (the
// MLA latent: one kv head, V the first dv values of the K row, dk 576 and dv 512, head groups of
// whole head blocks), and its launch (then the merge kernel when the blocks do not merge).
bool decode_mma_takes(const DecodeParams& p);
void decode_mma_partial_launch(const DecodeParams& p, cudaStream_t stream);

}  // namespace moebench::decode_attn
