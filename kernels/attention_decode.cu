// cuda_decode_attention: flash-decoding over a paged KV cache. A partial kernel computes, per
// (key chunk, kv head, sequence), the f32 online softmax of all query heads of that kv head's group
// against the chunk's keys; a merge kernel combines the chunks. One K row read serves every head.
// With tensor_cores, MLA's latent takes the mma.sync partial kernel (attention_decode_mma.cu)
// instead; the split, the partials and the merge are shared (attention_decode_common.cuh).
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "kernels/attention.h"
#include "kernels/attention_decode_common.cuh"
#include "kernels/bf16_device.cuh"
#include "kernels/cuda_check.h"
#include "kernels/launch_check.h"
#include "kernels/pdl.cuh"

namespace moebench {
namespace {

using namespace decode_attn;

constexpr int kPvHeads = 4;      // heads per thread in the P·V update (one V load each)
constexpr int kPLd = kTile + 1;  // p_s row stride; NOTE: +1 so 2 heads in a warp differ in bank

// Shared-memory rows of bf16 padded so 8 lanes reading 16 bytes from 8 rows hit 8 bank groups.
int smem_ld(int d) { return d + ((d / 8) % 2 == 0 ? 8 : 16); }

// Byte offsets of the partial kernel's dynamic shared memory; every piece is 16-byte aligned.
struct DecodeSmem {
  int q, p, alpha, m, l, row, k, v, total;
};

__host__ __device__ inline DecodeSmem decode_smem_layout(int heads, int dk, int k_ld, int v_ld,
                                                         bool v_in_k) {
  DecodeSmem s;
  s.q = 0;                     // f32 (heads, dk) pre-scaled queries
  s.p = s.q + heads * dk * 4;  // f32 (kBlockHeads, kPLd) scores, then probs
  s.alpha = s.p + (kBlockHeads * kPLd * 4 + 15) / 16 * 16;  // f32 (kBlockHeads) rescale factors
  s.m = s.alpha + kBlockHeads * 4;                          // f32 (kBlockHeads) final running max
  s.l = s.m + kBlockHeads * 4;                              // f32 (kBlockHeads) final running sum
  s.row = s.l + kBlockHeads * 4;  // int64 (kTile) cache rows of the tile's keys
  s.k = s.row + kTile * 8;        // bf16 (kTile, k_ld)
  s.v = s.k + kTile * k_ld * 2;   // bf16 (kTile, v_ld) unless v_in_k
  s.total = s.v + (v_in_k ? 0 : kTile * v_ld * 2);
  return s;
}

// ----------------------------------------------------------------------------
// GPU kernels

// Copies the tile's n rows of `width` values at column offset col of cache into smem rows of ld.
__device__ __forceinline__ void load_tile(const uint16_t* cache, int64_t token_stride, int64_t col,
                                          int width, const int64_t* row_s, int n, uint16_t* dst,
                                          int ld) {
  const int vecs = width / 8;
  for (int i = threadIdx.x; i < n * vecs; i += kThreads) {
    const int t = i / vecs, c = i % vecs;
    const uint4* src = reinterpret_cast<const uint4*>(cache + row_s[t] * token_stride + col) + c;
    *reinterpret_cast<uint4*>(dst + t * ld + c * 8) = __ldg(src);
  }
}

// Scores of local heads h and h2 against the key of this lane (row kr of the K tile); q rows are
// pre-scaled f32.
__device__ __forceinline__ void score_two(const uint16_t* kr, const float* qa, const float* qb,
                                          int dk, float& sa, float& sb) {
  sa = 0.0f;
  sb = 0.0f;
#pragma unroll 2
  for (int c = 0; c < dk / 8; ++c) {
    float k[8];
    unpack8(reinterpret_cast<const uint4*>(kr)[c], k);
    const float4 a0 = reinterpret_cast<const float4*>(qa)[2 * c];
    const float4 a1 = reinterpret_cast<const float4*>(qa)[2 * c + 1];
    const float4 b0 = reinterpret_cast<const float4*>(qb)[2 * c];
    const float4 b1 = reinterpret_cast<const float4*>(qb)[2 * c + 1];
    sa += k[0] * a0.x + k[1] * a0.y + k[2] * a0.z + k[3] * a0.w + k[4] * a1.x + k[5] * a1.y +
          k[6] * a1.z + k[7] * a1.w;
    sb += k[0] * b0.x + k[1] * b0.y + k[2] * b0.z + k[3] * b0.w + k[4] * b1.x + k[5] * b1.y +
          k[6] * b1.z + k[7] * b1.w;
  }
}

// One block per (head, seq).
__global__ void __launch_bounds__(kMergeThreads) decode_merge_kernel(const DecodeParams p) {
  __shared__ float w_s[kMaxChunks];
  __shared__ float red[kMergeWarps];
  pdl_wait();
  pdl_trigger();
  const int s = blockIdx.y;
  const int n = ceil_div(decode_seq_len(p.a, s), p.chunk_len);  // chunks that hold keys
  merge_head(p, blockIdx.x, s, n, 0, threadIdx.x, w_s, red);
}

// One block per (chunk, kv head x head block, seq). Phases per tile of kTile keys: block-table
// rows -> K (and V) tile in smem -> scores (lane = key, warp = two heads) -> online softmax in the
// owning warp -> P·V (thread = 8 dims x kPvHeads heads, accumulators in registers).
__global__ void __launch_bounds__(kThreads) decode_partial_kernel(const DecodeParams p) {
  extern __shared__ __align__(16) unsigned char smem[];
  pdl_wait();
  pdl_trigger();
  const DecodeAttentionArgs& a = p.a;
  const int chunk = blockIdx.x, s = blockIdx.z;
  const int kvh = blockIdx.y / p.head_blocks, hblk = blockIdx.y % p.head_blocks;
  const int h0 = kvh * p.group + hblk * kBlockHeads;  // first (global) head of this block
  const int heads = min(kBlockHeads, p.group - hblk * kBlockHeads);
  const int len = decode_seq_len(a, s);
  const int begin = chunk * p.chunk_len;
  const bool direct = p.n_chunks == 1;  // no merge: write out here
  const int tid = threadIdx.x, warp = tid / 32, lane = tid % 32;
  if (decode_chunk_empty(p, s, chunk, h0, heads, len)) return;
  const int end = min(begin + p.chunk_len, len);
  const DecodeSmem L = decode_smem_layout(heads, a.dk, p.k_ld, p.v_ld, p.v_in_k);
  float* q_s = reinterpret_cast<float*>(smem + L.q);
  float* p_s = reinterpret_cast<float*>(smem + L.p);
  float* alpha_s = reinterpret_cast<float*>(smem + L.alpha);
  float* m_s = reinterpret_cast<float*>(smem + L.m);
  float* l_s = reinterpret_cast<float*>(smem + L.l);
  int64_t* row_s = reinterpret_cast<int64_t*>(smem + L.row);
  uint16_t* k_s = reinterpret_cast<uint16_t*>(smem + L.k);
  uint16_t* v_s = p.v_in_k ? k_s : reinterpret_cast<uint16_t*>(smem + L.v);
  const int v_ld = p.v_in_k ? p.k_ld : p.v_ld;

  const uint16_t* qg = a.q + s * a.q_stride + int64_t{h0} * a.dk;  // the block's heads, contiguous
  for (int i = tid; i < heads * a.dk; i += kThreads) q_s[i] = bf16_load(qg + i) * p.scale_log2;
  // NOTE: rows of heads past `heads` stay p = 0, alpha = 1, so P·V needs no head bound.
  for (int i = tid; i < kBlockHeads * kPLd; i += kThreads) p_s[i] = 0.0f;
  if (tid < kBlockHeads) alpha_s[tid] = 1.0f;

  float m_run[2] = {-INFINITY, -INFINITY}, l_run[2] = {0.0f, 0.0f};  // warp's heads 2w, 2w+1
  const int n_vec = a.dv / 8;
  const int vec = tid % n_vec, hg = tid / n_vec;  // P·V: dims [vec*8, +8) of heads hg*4 + r
  const bool pv_active = hg * kPvHeads < heads;
  float acc[kPvHeads][8] = {};

  for (int t0 = begin; t0 < end; t0 += kTile) {
    const int n = min(kTile, end - t0);
    __syncthreads();  // NOTE: the previous tile's readers of row_s / k_s / v_s / p_s are done
    if (tid < n) {
      const int pos = t0 + tid;
      const int page = a.block_table[int64_t{s} * a.max_pages_per_seq + pos / a.page_size];
      row_s[tid] = int64_t{page} * a.page_size + pos % a.page_size;
    }
    __syncthreads();
    load_tile(a.k_cache, a.k_token_stride, int64_t{kvh} * a.dk, a.dk, row_s, n, k_s, p.k_ld);
    if (!p.v_in_k) {
      load_tile(a.v_cache, a.v_token_stride, int64_t{kvh} * a.dv, a.dv, row_s, n, v_s, v_ld);
    }
    __syncthreads();
    if (2 * warp < heads) {  // warp-uniform: scores and online softmax of heads 2w, 2w+1
      const int ha = 2 * warp, hb = min(2 * warp + 1, heads - 1);
      float sc[2] = {-INFINITY, -INFINITY};
      if (lane < n)
        score_two(k_s + lane * p.k_ld, q_s + ha * a.dk, q_s + hb * a.dk, a.dk, sc[0], sc[1]);
#pragma unroll
      for (int r = 0; r < 2; ++r) {
        const float m_new = fmaxf(m_run[r], warp_max(sc[r]));  // finite: lane 0 holds a key
        const float pr = exp2f(sc[r] - m_new);
        const float alpha = exp2f(m_run[r] - m_new);
        const float sum = warp_sum(pr);
        l_run[r] = l_run[r] * alpha + sum;
        m_run[r] = m_new;
        const int h = ha + r;
        if (h < heads) {
          p_s[h * kPLd + lane] = pr;
          if (lane == 0) alpha_s[h] = alpha;
        }
      }
    }
    __syncthreads();
    if (pv_active) {
#pragma unroll
      for (int r = 0; r < kPvHeads; ++r) {
        const float al = alpha_s[hg * kPvHeads + r];
#pragma unroll
        for (int e = 0; e < 8; ++e) acc[r][e] *= al;
      }
      const float* pr = p_s + hg * kPvHeads * kPLd;
      for (int t = 0; t < n; ++t) {
        float v[8];
        unpack8(*reinterpret_cast<const uint4*>(v_s + t * v_ld + vec * 8), v);
#pragma unroll
        for (int r = 0; r < kPvHeads; ++r) {
          const float pt = pr[r * kPLd + t];
#pragma unroll
          for (int e = 0; e < 8; ++e) acc[r][e] = fmaf(pt, v[e], acc[r][e]);
        }
      }
    }
  }

  if (lane == 0) {
    for (int r = 0; r < 2; ++r) {
      const int h = 2 * warp + r;
      if (h < heads) {
        m_s[h] = m_run[r];
        l_s[h] = l_run[r];
      }
    }
  }
  __syncthreads();
  for (int r = 0; r < kPvHeads && pv_active; ++r) {
    const int h = hg * kPvHeads + r;
    if (h >= heads) break;
    const int64_t gh = int64_t{s} * a.n_heads + h0 + h;  // global (seq, head) index
    if (direct) {
      const float inv = 1.0f / l_s[h];
      uint16_t* o = a.out + s * a.out_stride + int64_t{h0 + h} * a.dv + vec * 8;
      for (int e = 0; e < 8; ++e) bf16_store(o + e, acc[r][e] * inv);
    } else {
      const int64_t part = gh * p.n_chunks + chunk;
      float4* dst = reinterpret_cast<float4*>(p.ws_acc + part * a.dv + vec * 8);
      dst[0] = make_float4(acc[r][0], acc[r][1], acc[r][2], acc[r][3]);
      dst[1] = make_float4(acc[r][4], acc[r][5], acc[r][6], acc[r][7]);
      if (vec == 0) {
        p.ws_ml[part * 2] = m_s[h];
        p.ws_ml[part * 2 + 1] = l_s[h];
      }
    }
  }
  if (!direct && p.counters != nullptr) merge_if_last(p, s, h0, heads, ceil_div(len, p.chunk_len));
}

// ----------------------------------------------------------------------------
// Launcher

// The partial kernel's static shared memory (merge_if_last's arrays, in every launch).
int decode_partial_static_smem() {
  static const int bytes = [] {
    cudaFuncAttributes attr{};
    CUDA_CHECK(cudaFuncGetAttributes(&attr, decode_partial_kernel));
    return static_cast<int>(attr.sharedSizeBytes);
  }();
  return bytes;
}

void decode_attention_launch(const DecodeParams& p, cudaStream_t stream) {
  const DecodeAttentionArgs& a = p.a;
  if (a.tensor_cores && decode_mma_takes(p)) {
    decode_mma_partial_launch(p, stream);
  } else {
    const int block_heads = std::min(p.group, kBlockHeads);
    const int smem = decode_smem_layout(block_heads, a.dk, p.k_ld, p.v_ld, p.v_in_k).total;
    // NOTE: a launch gets 48 KB of static and dynamic shared memory together without the opt-in.
    if (smem + decode_partial_static_smem() > 48 * 1024) {
      CUDA_CHECK(cudaFuncSetAttribute(decode_partial_kernel,
                                      cudaFuncAttributeMaxDynamicSharedMemorySize, smem));
    }
    const dim3 grid(static_cast<unsigned>(p.n_chunks),
                    static_cast<unsigned>(a.n_kv_heads * p.head_blocks),
                    static_cast<unsigned>(a.n_seqs));
    pdl_launch(decode_partial_kernel, grid, dim3(kThreads), smem, stream, p);
  }
  if (p.n_chunks == 1 || p.counters != nullptr) return;  // one chunk, or merged by the last block
  pdl_launch(decode_merge_kernel, dim3(a.n_heads, a.n_seqs), dim3(kMergeThreads), 0, stream, p);
}

bool aligned16(const void* ptr) { return reinterpret_cast<uintptr_t>(ptr) % 16 == 0; }

void decode_attention_check(const DecodeAttentionArgs& a) {
  const char* fn = "cuda_decode_attention";
  launch_require(a.n_seqs >= 0 && a.n_seqs <= 65535, fn, "n_seqs must be in [0, 65535], got ",
                 a.n_seqs);
  launch_require(a.n_heads > 0 && a.n_kv_heads > 0 && a.n_heads % a.n_kv_heads == 0, fn,
                 "n_heads (", a.n_heads, ") must be a positive multiple of n_kv_heads (",
                 a.n_kv_heads, ")");
  launch_require(a.dk > 0 && a.dk % 8 == 0 && a.dk <= kMaxDk, fn,
                 "dk must be a multiple of 8 in [8, ", kMaxDk, "], got ", a.dk);
  launch_require(a.dv > 0 && a.dv % 8 == 0 && a.dv <= kMaxDv, fn,
                 "dv must be a multiple of 8 in [8, ", kMaxDv, "], got ", a.dv);
  launch_require(a.page_size > 0 && a.max_pages_per_seq > 0, fn,
                 "page_size and max_pages_per_seq must be > 0, got ", a.page_size, ", ",
                 a.max_pages_per_seq);
  launch_require(a.max_seq_len > 0 && a.max_seq_len <= int64_t{a.max_pages_per_seq} * a.page_size,
                 fn, "max_seq_len must be in [1, max_pages_per_seq * page_size = ",
                 int64_t{a.max_pages_per_seq} * a.page_size, "], got ", a.max_seq_len);
  launch_require(a.q_stride >= int64_t{a.n_heads} * a.dk, fn, "q_stride ", a.q_stride,
                 " < n_heads * dk = ", int64_t{a.n_heads} * a.dk);
  launch_require(a.out_stride >= int64_t{a.n_heads} * a.dv, fn, "out_stride ", a.out_stride,
                 " < n_heads * dv = ", int64_t{a.n_heads} * a.dv);
  launch_require(a.k_token_stride >= int64_t{a.n_kv_heads} * a.dk && a.k_token_stride % 8 == 0, fn,
                 "k_token_stride must be a multiple of 8 >= n_kv_heads * dk = ",
                 int64_t{a.n_kv_heads} * a.dk, ", got ", a.k_token_stride);
  launch_require(a.v_token_stride >= int64_t{a.n_kv_heads} * a.dv && a.v_token_stride % 8 == 0, fn,
                 "v_token_stride must be a multiple of 8 >= n_kv_heads * dv = ",
                 int64_t{a.n_kv_heads} * a.dv, ", got ", a.v_token_stride);
  launch_require(std::isfinite(a.scale), fn, "scale must be finite, got ", a.scale);
  if (a.n_seqs == 0) return;
  launch_require(
      a.q != nullptr && a.out != nullptr && a.block_table != nullptr && a.seq_lens != nullptr, fn,
      "null pointer: q=", a.q, " out=", a.out, " block_table=", a.block_table,
      " seq_lens=", a.seq_lens);
  launch_require(
      a.k_cache != nullptr && aligned16(a.k_cache) && a.v_cache != nullptr && aligned16(a.v_cache),
      fn, "k_cache (", a.k_cache, ") and v_cache (", a.v_cache,
      ") must be non-null and 16-byte aligned");
}

// A checked call's parameters, without its workspace.
DecodeParams decode_params(const DecodeAttentionArgs& args) {
  DecodeParams p;
  p.a = args;
  p.group = args.n_heads / args.n_kv_heads;
  p.head_blocks = ceil_div(p.group, kBlockHeads);
  const DecodeSplit sp = decode_split(args.n_seqs, args.max_seq_len);
  p.chunk_len = sp.chunk_len;
  p.n_chunks = sp.n_chunks;
  p.k_ld = smem_ld(args.dk);
  p.v_ld = smem_ld(args.dv);
  // NOTE: with one kv head at offset 0 in both and equal strides, V's row is a prefix of K's.
  p.v_in_k = args.v_cache == args.k_cache && args.v_token_stride == args.k_token_stride &&
             args.n_kv_heads == 1 && args.dv <= args.dk;
  p.scale_log2 = args.scale * kLog2e;
  return p;
}

}  // namespace

// ----------------------------------------------------------------------------
// Public entries

int decode_attention_counters(int n_seqs, int n_heads, int n_kv_heads) {
  launch_require(n_seqs >= 0 && n_heads > 0 && n_kv_heads > 0 && n_heads % n_kv_heads == 0,
                 "decode_attention_counters",
                 "needs n_seqs >= 0 and n_heads a positive multiple "
                 "of n_kv_heads, got ",
                 n_seqs, ", ", n_heads, ", ", n_kv_heads);
  return n_seqs * n_kv_heads * ceil_div(n_heads / n_kv_heads, kBlockHeads);
}

size_t decode_attention_call_workspace_bytes(int n_seqs, int n_heads, int dv, int max_seq_len) {
  const char* fn = "decode_attention_call_workspace_bytes";
  launch_require(n_seqs >= 0 && n_heads > 0, fn, "n_seqs must be >= 0 and n_heads > 0, got ",
                 n_seqs, ", ", n_heads);
  launch_require(dv > 0 && dv % 8 == 0, fn, "dv must be a positive multiple of 8, got ", dv);
  launch_require(max_seq_len > 0, fn, "max_seq_len must be > 0, got ", max_seq_len);
  const DecodeSplit sp = decode_split(n_seqs, max_seq_len);
  if (sp.n_chunks == 1) return 0;
  const size_t parts = static_cast<size_t>(n_seqs) * n_heads * sp.n_chunks;
  return parts * (static_cast<size_t>(dv) + 2) * sizeof(float);  // acc, then (max, sum) pairs
}

size_t decode_attention_workspace_bytes(int n_seqs, int n_heads, int dv, int max_seq_len,
                                        int page_size) {
  const char* fn = "decode_attention_workspace_bytes";
  launch_require(n_seqs >= 0 && n_heads > 0, fn, "n_seqs must be >= 0 and n_heads > 0, got ",
                 n_seqs, ", ", n_heads);
  launch_require(dv > 0 && dv % 8 == 0, fn, "dv must be a positive multiple of 8, got ", dv);
  launch_require(max_seq_len > 0 && page_size > 0, fn,
                 "max_seq_len and page_size must be > 0, got ", max_seq_len, ", ", page_size);
  const int tiles = ceil_div(max_seq_len, kTile);
  if (tiles == 1) return 0;
  // NOTE: a call of n sequences splits into at most min(ceil(kTargetBlocks / n), its tiles)
  // chunks (chunk_len >= tiles / want tiles and >= one tile).
  size_t parts = 0;
  for (int n = 1; n <= n_seqs; ++n) {
    const int chunks = std::min(std::max(1, ceil_div(kTargetBlocks, n)), tiles);
    parts = std::max(parts, static_cast<size_t>(n) * chunks);
  }
  return parts * n_heads * (static_cast<size_t>(dv) + 2) * sizeof(float);
}

bool decode_attention_uses_tensor_cores(const DecodeAttentionArgs& args) {
  decode_attention_check(args);
  return args.tensor_cores && decode_mma_takes(decode_params(args));
}

void cuda_decode_attention(const DecodeAttentionArgs& args, cudaStream_t stream) {
  decode_attention_check(args);
  if (args.n_seqs == 0) return;
  const char* fn = "cuda_decode_attention";
  DecodeParams p = decode_params(args);
  launch_require(int64_t{args.n_kv_heads} * p.head_blocks <= 65535, fn,
                 "n_kv_heads * ceil(group / ", kBlockHeads, ") must be <= 65535, got ",
                 int64_t{args.n_kv_heads} * p.head_blocks);
  if (p.n_chunks > 1) {
    const size_t need =
        decode_attention_call_workspace_bytes(args.n_seqs, args.n_heads, args.dv, args.max_seq_len);
    launch_require(args.workspace != nullptr && aligned16(args.workspace), fn,
                   "workspace must be non-null and 16-byte aligned (", need, " bytes), got ",
                   args.workspace);
    launch_require(args.workspace_bytes == 0 || need <= args.workspace_bytes, fn, "this call's ",
                   args.n_seqs, " sequences of up to ", args.max_seq_len, " keys need ", need,
                   " workspace bytes, got ", args.workspace_bytes);
    p.ws_acc = static_cast<float*>(args.workspace);
    p.counters = args.merge_counters;
    p.ws_ml = p.ws_acc + static_cast<size_t>(args.n_seqs) * args.n_heads * p.n_chunks * args.dv;
  }
  decode_attention_launch(p, stream);
}

}  // namespace moebench
