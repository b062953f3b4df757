// The tensor-core partial kernel of cuda_decode_attention for MLA's absorbed latent (FlashMLA's
// idea on mma.sync): every head of a sequence reads the same 576-value cache row, so 16 heads are
// the M of m16n8k16 MMAs. At 16 heads and 1,088 multiply-adds a head per 1,152-byte row, the
// CUDA-core kernel does ~30 flops per cache byte, past what CUDA cores sustain at HBM speed; here
// S = Q Kᵀ and O += P V run on tensor cores and the row is read once for all of them.
// A block per (key chunk, head block of 16, sequence), 8 warps, tiles of 32 keys through a
// double-buffered cp.async pipeline gathered by the block table. S: warp w takes keys
// [8 (w % 4), +8) over half the head dims (w / 4), the halves summed through shared memory; every
// warp then runs the same online softmax (attention_softmax.cuh) on the whole 16 x 32 tile, and
// P V gives warp w head dims [64 w, 64 w + 64). The partials, their merge and the workspace are
// the CUDA-core kernel's (attention_decode_common.cuh).
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/attention_decode_common.cuh"
#include "kernels/attention_softmax.cuh"
#include "kernels/cp_async.cuh"
#include "kernels/cuda_check.h"
#include "kernels/kernel_setup.cuh"
#include "kernels/launch_check.h"
#include "kernels/mma_sync.cuh"
#include "kernels/pdl.cuh"

namespace moebench::decode_attn {
namespace {

constexpr int kMlaDk = 576, kMlaDv = 512;
constexpr int kHeads = 16;  // the MMAs' M: one head block
static_assert(kBlockHeads == kHeads, "a head block is one m16 tile (the counters count them)");
constexpr int kLd = kMlaDk + 8;  // smem row stride (bf16): 1168 bytes, an odd count of 16 bytes
constexpr int kRowChunks = kMlaDk / 8;    // 16-byte chunks of a row
constexpr int kSteps = kMlaDk / 16;       // k16 steps of S
constexpr int kHalfSteps = kSteps / 2;    // a warp's half
constexpr int kKeyTiles = kTile / 8;      // S's n8 tiles (4): one per warp of a half
constexpr int kDvWarp = kMlaDv / kWarps;  // head dims a warp accumulates (64)
constexpr int kPvTiles = kDvWarp / 8;     // its n8 tiles
static_assert(kKeyTiles * 2 == kWarps && kHalfSteps % 2 == 0, "S splits over the 8 warps");

// Shared memory (bytes): Q (16 rows), two K stages (kTile rows), S's two halves (f32 16 x kTile,
// in fragment order: score_half).
constexpr int kQBytes = kHeads * kLd * 2;
constexpr int kStageBytes = kTile * kLd * 2;
constexpr int kSBytes = 2 * kHeads * kTile * 4;
constexpr int kSmemBytes = kQBytes + 2 * kStageBytes + kSBytes;
static_assert(kQBytes % 16 == 0 && kStageBytes % 16 == 0, "16-byte aligned pieces");
static_assert(kSBytes == 2 * kKeyTiles * 32 * 16, "S's halves: a float4 a lane of each n8 tile");

#if !defined(__CUDA_ARCH__) || __CUDA_ARCH__ >= 800
// Keys [t0, t0 + kTile) of sequence s (those below end; zeros past it) from the paged cache into
// the stage at dst: warp w takes rows w, w + 8, ... (one block-table lookup a row), its lanes the
// row's 16-byte chunks.
__device__ __forceinline__ void load_keys(const DecodeAttentionArgs& a, int s, int t0, int end,
                                          uint32_t dst) {
  const int n = min(kTile, end - t0), lane = threadIdx.x % 32;
  for (int r = threadIdx.x / 32; r < kTile; r += kWarps) {
    const bool ok = r < n;
    const bf16_bits* row = a.k_cache;
    if (ok) {
      const int pos = t0 + r;
      const int page = __ldg(a.block_table + int64_t{s} * a.max_pages_per_seq + pos / a.page_size);
      row += (int64_t{page} * a.page_size + pos % a.page_size) * a.k_token_stride;
    }
    for (int c = lane; c < kRowChunks; c += 32) {
      cp_async16(dst + static_cast<uint32_t>((r * kLd + c * 8) * 2), ok ? row + c * 8 : row, ok);
    }
  }
}

// Warp w's half of S: keys nt = w % 4 (8 of them: rows g, g + 8, keys nt * 8 + 2 (lane % 4) +
// {0, 1}) over head-dim half w / 4, into that half of s_halves in fragment order: lane L for n8
// tile nt at float4 nt * 32 + L, which is what lane L of every warp reads back for that tile
// (conflict-free 16-byte accesses).
__device__ __forceinline__ void score_half(uint32_t q_s, uint32_t k_s, float4* s_halves) {
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  const int nt = warp % kKeyTiles, half = warp / kKeyTiles;
  float sp[4] = {0.0f, 0.0f, 0.0f, 0.0f};
#pragma unroll
  for (int j = 0; j < kHalfSteps; j += 2) {
    const int ks = half * kHalfSteps + j;
    uint32_t qa[4], qb[4], b[4];
    const uint32_t q_row = q_s + static_cast<uint32_t>((lane % 16) * kLd + lane / 16 * 8) * 2;
    ldmatrix_x4(qa, q_row + ks * 32);
    ldmatrix_x4(qb, q_row + (ks + 1) * 32);
    // Keys nt * 8 .. + 8 by head dims 16 ks .. 16 ks + 32: B fragments of steps ks and ks + 1.
    ldmatrix_x4(
        b, k_s + static_cast<uint32_t>(((nt * 8 + lane % 8) * kLd + ks * 16 + lane / 8 * 8) * 2));
    mma16816(sp, qa, b[0], b[1]);
    mma16816(sp, qb, b[2], b[3]);
  }
  s_halves[(half * kKeyTiles + nt) * 32 + lane] = make_float4(sp[0], sp[1], sp[2], sp[3]);
}
#endif

// The partials of (chunk, head block, sequence) = blockIdx (x, y, z), as decode_partial_kernel
// writes them, or the output itself when the keys fit one chunk.
__global__ void __launch_bounds__(kThreads, 2) decode_mma_partial_kernel(const DecodeParams p) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ < 800
  __trap();  // NOTE: bf16 mma.sync and cp.async need sm_80; the launcher refuses older builds
#else
  extern __shared__ __align__(16) unsigned char smem[];
  pdl_wait();
  pdl_trigger();
  const DecodeAttentionArgs& a = p.a;
  const int chunk = blockIdx.x, s = blockIdx.z, h0 = blockIdx.y * kHeads;
  const int len = decode_seq_len(a, s), begin = chunk * p.chunk_len;
  const bool direct = p.n_chunks == 1;  // no merge: write out here
  const int tid = threadIdx.x, warp = tid / 32, lane = tid % 32, g = lane / 4, c2 = lane % 4 * 2;
  if (decode_chunk_empty(p, s, chunk, h0, kHeads, len)) return;
  const int end = min(begin + p.chunk_len, len);
  const int n_tiles = (end - begin + kTile - 1) / kTile;
  const uint32_t q_s = static_cast<uint32_t>(__cvta_generic_to_shared(smem));
  const uint32_t k_s = q_s + kQBytes;
  float4* const s_halves = reinterpret_cast<float4*>(smem + kQBytes + 2 * kStageBytes);

  const bf16_bits* qg = a.q + s * a.q_stride + int64_t{h0} * a.dk;  // the block's heads, dk apart
  for (int i = tid; i < kHeads * kRowChunks; i += kThreads) {
    const int r = i / kRowChunks, c = i % kRowChunks;
    cp_async16(q_s + static_cast<uint32_t>((r * kLd + c * 8) * 2), qg + r * a.dk + c * 8, true);
  }
  load_keys(a, s, begin, end, k_s);
  cp_async_commit();

  SoftmaxRows run;
  float o[kPvTiles * 4] = {};  // heads g, g + 8 by the warp's head dims (n8 tile j at 4 j)
  for (int t = 0; t < n_tiles; ++t) {
    const int t0 = begin + t * kTile;
    if (t + 1 < n_tiles) load_keys(a, s, t0 + kTile, end, k_s + (t + 1) % 2 * kStageBytes);
    cp_async_commit();
    cp_async_wait<1>();  // Q and tile t landed
    __syncthreads();
    const uint32_t kb = k_s + t % 2 * kStageBytes;
    score_half(q_s, kb, s_halves);
    __syncthreads();
    float sc[kKeyTiles * 4];  // the whole tile's S in the accumulator layout: both halves
#pragma unroll
    for (int j = 0; j < kKeyTiles; ++j) {
      const float4 lo = s_halves[j * 32 + lane], hi = s_halves[(kKeyTiles + j) * 32 + lane];
      sc[4 * j] = lo.x + hi.x;
      sc[4 * j + 1] = lo.y + hi.y;
      sc[4 * j + 2] = lo.z + hi.z;
      sc[4 * j + 3] = lo.w + hi.w;
    }
    float alpha[2];
    uint32_t pa[kTile / 16][4];
    softmax_tile<kKeyTiles>(sc, t0 + c2, 0, end, false, p.scale_log2, run, alpha, pa);
    rescale_rows<kPvTiles>(o, alpha, kDvWarp);
    // O += P V: V is the first 512 values of each key row; ldmatrix.trans turns its rows (key, d)
    // into B's columns (d); x4 = two n8 head-dim tiles by 16 keys.
#pragma unroll
    for (int kk = 0; kk < kTile / 16; ++kk) {
#pragma unroll
      for (int dp = 0; dp < kPvTiles / 2; ++dp) {
        uint32_t b[4];
        const int key = kk * 16 + lane % 8 + lane / 8 % 2 * 8;
        const int d = warp * kDvWarp + dp * 16 + lane / 16 * 8;
        ldmatrix_x4_trans(b, kb + static_cast<uint32_t>((key * kLd + d) * 2));
        mma16816(&o[8 * dp], pa[kk], b[0], b[1]);
        mma16816(&o[8 * dp + 4], pa[kk], b[2], b[3]);
      }
    }
    __syncthreads();  // every warp is done with stage t % 2 and the S halves
  }
  cp_async_wait<0>();

#pragma unroll
  for (int h = 0; h < 2; ++h) {
    const int head = h0 + g + 8 * h;
    if (direct) {
      const float inv = run.l[h] > 0.0f ? 1.0f / run.l[h] : 0.0f;
      bf16_bits* out = a.out + s * a.out_stride + int64_t{head} * a.dv + warp * kDvWarp;
#pragma unroll
      for (int j = 0; j < kPvTiles; ++j) {
        *reinterpret_cast<uint32_t*>(out + j * 8 + c2) =
            pack_bf16(o[4 * j + 2 * h] * inv, o[4 * j + 2 * h + 1] * inv);
      }
    } else {
      const int64_t part = (int64_t{s} * a.n_heads + head) * p.n_chunks + chunk;
      float* acc = p.ws_acc + part * a.dv + warp * kDvWarp;
#pragma unroll
      for (int j = 0; j < kPvTiles; ++j) {
        *reinterpret_cast<float2*>(acc + j * 8 + c2) =
            make_float2(o[4 * j + 2 * h], o[4 * j + 2 * h + 1]);
      }
      if (warp == 0 && lane % 4 == 0) {
        p.ws_ml[part * 2] = run.m[h];
        p.ws_ml[part * 2 + 1] = run.l[h];
      }
    }
  }
  if (!direct && p.counters != nullptr) merge_if_last(p, s, h0, kHeads, ceil_div(len, p.chunk_len));
#endif
}

bool aligned(const void* ptr, uintptr_t bytes) {
  return reinterpret_cast<uintptr_t>(ptr) % bytes == 0;
}

}  // namespace

bool decode_mma_takes(const DecodeParams& p) {
  const DecodeAttentionArgs& a = p.a;
  // NOTE: 16-byte copies of q's rows and 4-byte stores of out's pairs.
  return a.n_kv_heads == 1 && p.v_in_k && a.dk == kMlaDk && a.dv == kMlaDv &&
         p.group % kHeads == 0 && aligned(a.q, 16) && a.q_stride % 8 == 0 && aligned(a.out, 4) &&
         a.out_stride % 2 == 0;
}

void decode_mma_partial_launch(const DecodeParams& p, cudaStream_t stream) {
  once_per_device([] {
    require_bf16_tensor_cores(reinterpret_cast<const void*>(decode_mma_partial_kernel),
                              "cuda_decode_attention (tensor_cores)");
    CUDA_CHECK(cudaFuncSetAttribute(decode_mma_partial_kernel,
                                    cudaFuncAttributeMaxDynamicSharedMemorySize, kSmemBytes));
  });
  const DecodeAttentionArgs& a = p.a;
  const dim3 grid(static_cast<unsigned>(p.n_chunks), static_cast<unsigned>(p.head_blocks),
                  static_cast<unsigned>(a.n_seqs));
  pdl_launch(decode_mma_partial_kernel, grid, dim3(kThreads), kSmemBytes, stream, p);
  KERNEL_CHECK();
}

}  // namespace moebench::decode_attn
