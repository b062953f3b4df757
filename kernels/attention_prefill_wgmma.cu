// cuda_prefill_attention_wgmma: varlen (causal) flash attention on Hopper's warpgroup MMA (wgmma,
// sm_90a), in FlashAttention-3's layout without its producer warpgroup. A block per (query tile of
// 128, head, sequence), two warpgroups of 64 query rows. S = Q Kᵀ runs from shared memory (Q and K
// 128B-swizzled, K-major), P stays in registers as the A operand of O += P V (V N-major: its rows
// as they lie in memory, no transpose), and K/V tiles of 64 keys come through a cp.async pipeline.
// The online softmax and the output store are the mma.sync kernel's (attention_softmax.cuh): the
// accumulators share its per-warp layout.
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <climits>
#include <cmath>
#include <cstdint>

#include "kernels/attention.h"
#include "kernels/attention_prefill_block.cuh"
#include "kernels/attention_softmax.cuh"
#include "kernels/attention_wgmma_tiles.cuh"
#include "kernels/cp_async.cuh"
#include "kernels/cuda_check.h"
#include "kernels/kernel_setup.cuh"
#include "kernels/launch_check.h"
#include "kernels/wgmma_device.cuh"
#include "kernels/wgmma_probe.h"

namespace moebench {
namespace {

constexpr int kWgs = 2;               // warpgroups a block
constexpr int kBlockM = kWgs * kWgM;  // queries a block
constexpr int kBlockN = kAttnBlockN;  // keys a tile: S is m64n64 per warpgroup
constexpr int kThreads = kWgs * kWarpgroup;
constexpr int kStages = 2;  // K/V tiles in flight: tile t + 1 loads while tile t multiplies

// Shared memory (bytes from a 1024-aligned base): the Q tile, then kStages (K tile, V tile) pairs.
// Every tile is split into panels of 64 head dims (one 128-byte swizzle row a token): panel p of
// a tile of `rows` tokens starts at p * rows * 128, so each panel is whole swizzle atoms.
struct WgSmem {
  int kv = 0;                      // the first stage (Q starts at 0)
  int k_bytes = 0, v_bytes = 0;    // a stage's K tile, then its V tile
  int stage_bytes = 0, bytes = 0;  // bytes: with the alignment slack
};

template <int kDk, int kDv>
__host__ __device__ constexpr WgSmem wg_smem() {
  WgSmem L;
  L.kv = kDk / kSwRowElems * kBlockM * kSwRowBytes;
  L.k_bytes = kDk / kSwRowElems * kBlockN * kSwRowBytes;
  L.v_bytes = kDv / kSwRowElems * kBlockN * kSwRowBytes;
  L.stage_bytes = L.k_bytes + L.v_bytes;
  L.bytes = L.kv + kStages * L.stage_bytes + kSwAtomBytes;
  return L;
}
static_assert(wg_smem<192, 128>().bytes <= 227 * 1024, "fits an H100/H200 SM");

// ----------------------------------------------------------------------------
// GPU kernel

#if defined(MOEBENCH_WGMMA_DEVICE)
constexpr int kVec = 8;  // bf16 per 16-byte copy
constexpr int kNTiles = kBlockN / 8;

// Rows [0, n_rows) x columns [0, dim) of src (row stride `stride`) into the panelled, swizzled
// tile of tile_rows rows at dst, columns up to dimp (a multiple of 8); zeros past n_rows and dim.
// The whole block, async.
__device__ __forceinline__ void load_tile_sw(uint32_t dst, int tile_rows, const bf16_bits* src,
                                             int64_t stride, int n_rows, int dim, int dimp) {
  const int chunks = dimp / kVec;
  for (int i = threadIdx.x; i < tile_rows * chunks; i += kThreads) {
    const int r = i / chunks, c = i % chunks;
    const bool ok = r < n_rows && c * kVec < dim;
    cp_async16(dst + panel_offset(r, c, tile_rows), ok ? src + r * stride + c * kVec : src, ok);
  }
}

#endif  // MOEBENCH_WGMMA_DEVICE

// kDk, kDv: multiples of 64 covering the call's dk and dv. Warpgroup w multiplies query rows
// [64 w, 64 w + 64) of the tile; a warpgroup whose rows cannot see a key tile (causal) skips it.
// NOTE: tile t + 1 loads into the other stage while tile t multiplies; the block barrier after a
// tile's MMAs (both warpgroups waited on them) frees its stage for tile t + 2.
template <int kDk, int kDv>
__global__ void __launch_bounds__(kThreads, 1)
    prefill_attention_wgmma_kernel(const PrefillCall prm) {
#if !defined(MOEBENCH_WGMMA_DEVICE)
  __trap();
#else
  constexpr WgSmem L = wg_smem<kDk, kDv>();
  extern __shared__ unsigned char smem_raw[];
  const uint32_t raw = static_cast<uint32_t>(__cvta_generic_to_shared(smem_raw));
  const uint32_t base = (raw + kSwAtomBytes - 1) & ~uint32_t{kSwAtomBytes - 1};
  const PrefillAttentionArgs& a = prm.a;
  PrefillBlock blk;
  if (!prefill_block(a, kBlockM, blk)) return;
  const int head = blk.head, q0 = blk.q0, len_q = blk.len_q, len_k = blk.len_k;
  const int m0 = blk.m0, rows = blk.rows, shift = blk.shift;
  const int n_tiles = (blk.k_end + kBlockN - 1) / kBlockN;
  const bf16_bits* kg = a.k + static_cast<int64_t>(blk.k0) * a.k_stride + blk.kv_head * prm.hs.k;
  const bf16_bits* vg = a.v + static_cast<int64_t>(blk.k0) * a.v_stride + blk.kv_head * prm.hs.v;
  auto load_kv = [&](int t) {  // tile t's keys into stage t % kStages
    const uint32_t stage = base + L.kv + t % kStages * L.stage_bytes;
    const int n0 = t * kBlockN, n = min(kBlockN, len_k - n0);
    load_tile_sw(stage, kBlockN, kg + n0 * a.k_stride, a.k_stride, n, a.dk, kDk);
    load_tile_sw(stage + L.k_bytes, kBlockN, vg + n0 * a.v_stride, a.v_stride, n, a.dv, kDv);
  };
  load_tile_sw(base, kBlockM, a.q + static_cast<int64_t>(q0 + m0) * a.q_stride + head * prm.hs.q,
               a.q_stride, rows, a.dk, kDk);
  if (n_tiles > 0) load_kv(0);
  cp_async_commit();

  const int wg = threadIdx.x / kWarpgroup, lane = threadIdx.x % 32, g = lane / 4, c2 = lane % 4 * 2;
  const int w0 = threadIdx.x / 32 * 16;  // the warp's first row in the tile
  const bool wg_active = wg * kWgM < rows;
  const int wg_key_limit = a.causal ? shift + m0 + wg * kWgM + kWgM - 1 : INT_MAX;
  float o[kDv / 2] = {};
  SoftmaxRows run;

  for (int t = 0; t < n_tiles; ++t) {
    if (t + 1 < n_tiles) load_kv(t + 1);  // NOTE: into the stage tile t - 1 released
    cp_async_commit();
    cp_async_wait<1>();  // Q and tile t landed
    fence_proxy_async();
    __syncthreads();
    const int n0 = t * kBlockN;
    if (wg_active && n0 <= wg_key_limit) {  // NOTE: uniform over the warpgroup, as wgmma needs
      const uint32_t kb = base + L.kv + t % kStages * L.stage_bytes;
      float s[kBlockN / 2];
      issue_scores<kDk>(s, base, kBlockM, wg * kWgM, kb);
      wgmma_wait<0>();
      fence_acc(s);
      float alpha[2];
      uint32_t pa[kBlockN / kMmaK][4];  // P as A fragments: S's accumulator layout, bf16
      softmax_tile<kNTiles>(s, n0 + c2, shift + m0 + w0 + g, len_k, a.causal, prm.scale_log2, run,
                            alpha, pa);
      rescale_rows<kDv / 8>(o, alpha, kDv);
      issue_pv<kDv>(o, pa, kb + L.k_bytes);
      wgmma_wait<0>();
      fence_acc(o);
    }
    __syncthreads();  // both warpgroups are done with stage t % kStages
  }
  cp_async_wait<0>();
  if (!wg_active) return;
  store_rows<kDv / 8>(o, run, a, head * prm.hs.out, q0, m0 + w0 + g, len_q, c2);
#endif
}

// ----------------------------------------------------------------------------
// Launcher

template <int kDk, int kDv>
void wgmma_launch(const PrefillCall& prm, cudaStream_t stream) {
  constexpr int kBytes = wg_smem<kDk, kDv>().bytes;
  once_per_device([] {
    CUDA_CHECK(cudaFuncSetAttribute(prefill_attention_wgmma_kernel<kDk, kDv>,
                                    cudaFuncAttributeMaxDynamicSharedMemorySize, kBytes));
  });
  const PrefillAttentionArgs& a = prm.a;
  const dim3 grid((a.max_q + kBlockM - 1) / kBlockM, a.n_heads, a.n_seqs);
  prefill_attention_wgmma_kernel<kDk, kDv><<<grid, kThreads, kBytes, stream>>>(prm);
  KERNEL_CHECK();
}

}  // namespace

bool cuda_prefill_attention_wgmma_available() { return wgmma_code_present(); }

void cuda_prefill_attention_wgmma(const PrefillAttentionArgs& args, cudaStream_t stream) {
  const char* fn = "cuda_prefill_attention_wgmma";
  const PrefillHeadStrides hs = prefill_attention_check(args, fn);
  launch_require(wgmma_code_present(), fn,
                 "this device or build has no sm_90a code (wgmma needs a Hopper GPU and a build "
                 "with -DCMAKE_CUDA_ARCHITECTURES=90a)");
  if (args.n_seqs == 0 || args.max_q == 0) return;
  const PrefillCall prm = prefill_call(args, hs);
  // NOTE: DeepSeek's MLA heads (192 / 128), the 128 of most GQA models and small ones; larger
  // head dims take the mma.sync kernel (which hands what it cannot hold to the smem one).
  if (args.dk <= 64 && args.dv <= 64) {
    wgmma_launch<64, 64>(prm, stream);
  } else if (args.dk <= 128 && args.dv <= 128) {
    wgmma_launch<128, 128>(prm, stream);
  } else if (args.dk <= 192 && args.dv <= 128) {
    wgmma_launch<192, 128>(prm, stream);
  } else {
    cuda_prefill_attention_mma(args, stream);
  }
}

}  // namespace moebench
