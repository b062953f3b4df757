// cuda_prefill_attention_mma: varlen (causal) flash attention in the FlashAttention-2 layout. A
// block per (query tile of 64, head, sequence), 4 warps of 16 query rows; Q, the scores S, the
// probabilities P and the output O live in registers (mma.sync m16n8k16 bf16 fragments, f32
// accumulators: S's accumulators are P's A operand), K and V tiles of 64 keys come through a
// double-buffered cp.async pipeline into shared memory and are read with ldmatrix.
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <climits>
#include <cmath>
#include <cstdint>

#include "kernels/attention.h"
#include "kernels/attention_prefill_block.cuh"
#include "kernels/attention_softmax.cuh"
#include "kernels/cp_async.cuh"
#include "kernels/cuda_check.h"
#include "kernels/kernel_setup.cuh"
#include "kernels/launch_check.h"
#include "kernels/mma_sync.cuh"

namespace moebench {
namespace {

constexpr int kBlockM = 64;  // queries per block
constexpr int kBlockN = 64;  // keys per tile
constexpr int kWarp = 32;
constexpr int kThreads = kBlockM / 16 * kWarp;  // a warp owns 16 query rows
constexpr int kVec = 8;                         // bf16 per 16-byte copy
constexpr int kNTiles = kBlockN / 8;            // S's n8 accumulator tiles a warp holds
constexpr float kLog2e = 1.4426950408889634f;

// Shared memory (bf16): the Q tile, then K and V tiles twice (double buffer). Rows of dim + 8 so
// ldmatrix's 8 rows fall in 8 different 16-byte bank groups.
struct MmaSmem {
  int dkp = 0, dvp = 0;     // head dims padded to 16
  int ld_k = 0, ld_v = 0;   // row strides (elements): dkp + 8, dvp + 8
  int q = 0, k = 0, v = 0;  // byte offsets; K buffer b at k + b * k_bytes
  int k_bytes = 0, v_bytes = 0, bytes = 0;
};

__host__ __device__ constexpr MmaSmem mma_smem(int dk, int dv) {
  MmaSmem L;
  L.dkp = (dk + 15) / 16 * 16;
  L.dvp = (dv + 15) / 16 * 16;
  L.ld_k = L.dkp + 8;
  L.ld_v = L.dvp + 8;
  L.k_bytes = kBlockN * L.ld_k * 2;
  L.v_bytes = kBlockN * L.ld_v * 2;
  L.q = 0;
  L.k = L.q + kBlockM * L.ld_k * 2;
  L.v = L.k + 2 * L.k_bytes;
  L.bytes = L.v + 2 * L.v_bytes;
  return L;
}

struct MmaParams {
  PrefillAttentionArgs a;
  MmaSmem L;
  PrefillHeadStrides hs;  // head strides, packed ones resolved
  float scale_log2 = 0;
};

// ----------------------------------------------------------------------------
// GPU helpers

#if !defined(__CUDA_ARCH__) || __CUDA_ARCH__ >= 800
// Tile rows [0, n_rows) x columns [0, dim) of src (row stride `stride`) into the smem tile at dst
// (kBlockN or kBlockM rows of ld), zero-filled past them up to dimp; the whole block, async.
__device__ __forceinline__ void load_tile_async(uint32_t dst, int ld, const bf16_bits* src,
                                                int64_t stride, int n_rows, int dim, int dimp) {
  const int chunks = dimp / kVec;
  for (int i = threadIdx.x; i < kBlockN * chunks; i += kThreads) {
    const int r = i / chunks, c = i % chunks * kVec;
    const bool ok = r < n_rows && c < dim;
    cp_async16(dst + static_cast<uint32_t>((r * ld + c) * 2), ok ? src + r * stride + c : src, ok);
  }
}
#endif

// ----------------------------------------------------------------------------
// GPU kernel

// kDk, kDv: the largest padded head dims this instance holds in registers (loops stop at the
// call's dkp, dvp). Lane l of a warp holds rows g = l / 4 and g + 8 of the warp's 16, columns
// 2 (l % 4) + {0, 1} of each n8 tile (the m16n8 accumulator layout).
template <int kDk, int kDv>
__global__ void __launch_bounds__(kThreads, 2) prefill_attention_mma_kernel(const MmaParams prm) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ < 800
  __trap();  // NOTE: bf16 mma.sync and cp.async need sm_80; the launcher refuses older builds
#else
  extern __shared__ __align__(128) unsigned char smem[];
  const PrefillAttentionArgs& a = prm.a;
  const MmaSmem& L = prm.L;
  PrefillBlock blk;
  if (!prefill_block(a, kBlockM, blk)) return;
  const int head = blk.head, q0 = blk.q0, len_q = blk.len_q, k0 = blk.k0, len_k = blk.len_k;
  const int m0 = blk.m0, rows = blk.rows, kv_head = blk.kv_head, shift = blk.shift;
  const int k_end = blk.k_end;
  const int n_tiles = (k_end + kBlockN - 1) / kBlockN;
  const uint32_t base = static_cast<uint32_t>(__cvta_generic_to_shared(smem));
  const bf16_bits* kg = a.k + static_cast<int64_t>(k0) * a.k_stride + kv_head * prm.hs.k;
  const bf16_bits* vg = a.v + static_cast<int64_t>(k0) * a.v_stride + kv_head * prm.hs.v;
  auto load_kv = [&](int t) {  // tile t's keys into buffer t % 2
    const int n0 = t * kBlockN, n = min(kBlockN, len_k - n0);
    load_tile_async(base + L.k + (t % 2) * L.k_bytes, L.ld_k, kg + n0 * a.k_stride, a.k_stride, n,
                    a.dk, L.dkp);
    load_tile_async(base + L.v + (t % 2) * L.v_bytes, L.ld_v, vg + n0 * a.v_stride, a.v_stride, n,
                    a.dv, L.dvp);
  };
  load_tile_async(base + L.q, L.ld_k,
                  a.q + static_cast<int64_t>(q0 + m0) * a.q_stride + head * prm.hs.q, a.q_stride,
                  rows, a.dk, L.dkp);
  cp_async_commit();
  if (n_tiles > 0) load_kv(0);
  cp_async_commit();

  const int warp = threadIdx.x / kWarp, lane = threadIdx.x % kWarp, g = lane / 4, c2 = lane % 4 * 2;
  const int w0 = warp * 16;  // the warp's first row in the tile
  const bool warp_active = w0 < rows;
  const int warp_key_limit = a.causal ? shift + m0 + w0 + 15 : INT_MAX;
  cp_async_wait<1>();  // the Q tile
  __syncthreads();
  uint32_t qf[kDk / 16][4];  // the warp's Q rows as A fragments
#pragma unroll
  for (int ks = 0; ks < kDk / 16; ++ks) {
    if (ks * 16 >= L.dkp) break;
    ldmatrix_x4(qf[ks], base + L.q +
                            static_cast<uint32_t>(
                                ((w0 + lane % 16) * L.ld_k + ks * 16 + lane / 16 * 8) * 2));
  }
  float o[kDv / 2] = {};  // n8 tile j at 4 j (attention_softmax.cuh's layout)
  SoftmaxRows run;

  for (int t = 0; t < n_tiles; ++t) {
    if (t + 1 < n_tiles) load_kv(t + 1);  // NOTE: into the buffer the previous tile released
    cp_async_commit();
    cp_async_wait<1>();  // tile t landed
    __syncthreads();
    const int n0 = t * kBlockN;
    if (warp_active && n0 <= warp_key_limit) {
      const uint32_t kb = base + L.k + (t % 2) * L.k_bytes;
      const uint32_t vb = base + L.v + (t % 2) * L.v_bytes;
      float s[kNTiles * 4] = {};
      // S = Q K^T: K's rows (key, d) are B's columns; x4 = two n8 key tiles by 16 d.
#pragma unroll
      for (int ks = 0; ks < kDk / 16; ++ks) {
        if (ks * 16 >= L.dkp) break;
#pragma unroll
        for (int np = 0; np < kNTiles / 2; ++np) {
          uint32_t b[4];
          const int key = np * 16 + lane % 8 + lane / 16 * 8, d = ks * 16 + lane / 8 % 2 * 8;
          ldmatrix_x4(b, kb + static_cast<uint32_t>((key * L.ld_k + d) * 2));
          mma16816(&s[8 * np], qf[ks], b[0], b[1]);
          mma16816(&s[8 * np + 4], qf[ks], b[2], b[3]);
        }
      }
      float alpha[2];
      uint32_t pa[kBlockN / 16][4];  // P as A fragments: S's accumulator layout, bf16
      softmax_tile<kNTiles>(s, n0 + c2, shift + m0 + w0 + g, len_k, a.causal, prm.scale_log2, run,
                            alpha, pa);
      rescale_rows<kDv / 8>(o, alpha, L.dvp);
      // O += P V: V's rows (key, d) transposed by ldmatrix into B's columns (d); x4 = two n8 d
      // tiles by 16 keys.
#pragma unroll
      for (int kk = 0; kk < kBlockN / 16; ++kk) {
#pragma unroll
        for (int dp = 0; dp < kDv / 16; ++dp) {
          if (dp * 16 >= L.dvp) break;
          uint32_t b[4];
          const int key = kk * 16 + lane % 8 + lane / 8 % 2 * 8, d = dp * 16 + lane / 16 * 8;
          ldmatrix_x4_trans(b, vb + static_cast<uint32_t>((key * L.ld_v + d) * 2));
          mma16816(&o[8 * dp], pa[kk], b[0], b[1]);
          mma16816(&o[8 * dp + 4], pa[kk], b[2], b[3]);
        }
      }
    }
    __syncthreads();  // every warp is done with buffer t % 2 before tile t + 2 loads into it
  }
  cp_async_wait<0>();
  if (!warp_active) return;
  store_rows<kDv / 8>(o, run, a, head * prm.hs.out, q0, m0 + w0 + g, len_q, c2);
#endif
}

// ----------------------------------------------------------------------------
// Launcher

template <int kDk, int kDv>
void mma_launch(const MmaParams& prm, cudaStream_t stream) {
  once_per_device([] {
    require_bf16_tensor_cores(reinterpret_cast<const void*>(prefill_attention_mma_kernel<kDk, kDv>),
                              "cuda_prefill_attention_mma");
    CUDA_CHECK(cudaFuncSetAttribute(prefill_attention_mma_kernel<kDk, kDv>,
                                    cudaFuncAttributeMaxDynamicSharedMemorySize,
                                    mma_smem(kDk, kDv).bytes));
  });
  const PrefillAttentionArgs& a = prm.a;
  const dim3 grid((a.max_q + kBlockM - 1) / kBlockM, a.n_heads, a.n_seqs);
  prefill_attention_mma_kernel<kDk, kDv><<<grid, kThreads, prm.L.bytes, stream>>>(prm);
  KERNEL_CHECK();
}

}  // namespace

void cuda_prefill_attention_mma(const PrefillAttentionArgs& args, cudaStream_t stream) {
  const PrefillHeadStrides hs = prefill_attention_check(args, "cuda_prefill_attention_mma");
  if (args.n_seqs == 0 || args.max_q == 0) return;
  MmaParams prm;
  prm.a = args;
  prm.L = mma_smem(args.dk, args.dv);
  prm.hs = hs;
  prm.scale_log2 = args.scale * kLog2e;
  const int dkp = prm.L.dkp, dvp = prm.L.dvp;
  // NOTE: register tiles sized for the largest head dims of each instance: DeepSeek's MLA
  // (192 / 128), the 128 of most GQA models, and small ones; others take the smem kernel.
  if (dkp <= 64 && dvp <= 64) {
    mma_launch<64, 64>(prm, stream);
  } else if (dkp <= 128 && dvp <= 128) {
    mma_launch<128, 128>(prm, stream);
  } else if (dkp <= 192 && dvp <= 128) {
    mma_launch<192, 128>(prm, stream);
  } else {
    cuda_prefill_attention(args, stream);
  }
}

}  // namespace moebench
