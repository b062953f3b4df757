// cuda_prefill_attention_fa3: varlen (causal) flash attention in FlashAttention-3's whole layout
// (sm_90a). A block per (query tile of 128, head, sequence) of three warpgroups: a producer whose
// one thread loads K and V tiles of 64 keys by TMA into a two-stage ring of transaction barriers,
// and two consumers of 64 query rows each that
// - keep the next tile's S = Q Kᵀ and the last tile's O += P V in flight together while the
//   softmax runs (intra-warpgroup overlap), and
// - take turns issuing their MMAs through two named barriers (ping-pong), so one warpgroup's
//   softmax runs under the other's MMAs.
// The MMAs are the cp.async kernel's (attention_wgmma_tiles.cuh), the softmax and the store the
// mma.sync kernel's (attention_softmax.cuh); the shared-memory plan is attention_fa3_layout.h.
#include <cuda.h>
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <cmath>
#include <cstdint>

#include "kernels/attention.h"
#include "kernels/attention_fa3_layout.h"
#include "kernels/attention_prefill_block.cuh"
#include "kernels/attention_softmax.cuh"
#include "kernels/attention_wgmma_tiles.cuh"
#include "kernels/cp_async.cuh"
#include "kernels/cuda_check.h"
#include "kernels/kernel_setup.cuh"
#include "kernels/launch_check.h"
#include "kernels/tma_device.cuh"
#include "kernels/tma_map_encode.h"
#include "kernels/wgmma_probe.h"

namespace moebench {
namespace {

static_assert(kFa3BlockN == kAttnBlockN, "a TMA box of keys is one S tile");
static_assert(fa3_smem(192, 128).bytes <= 227 * 1024, "fits an H100/H200 SM");

// ----------------------------------------------------------------------------
// GPU kernel

#if defined(MOEBENCH_WGMMA_DEVICE)
constexpr int kNTiles = kFa3BlockN / 8;  // n8 tiles of S
constexpr int kProducerRegs = 24;        // one thread issuing TMA
constexpr int kConsumerRegs = 240;       // 128 x 24 + 256 x 240 <= 64K registers an SM
// Named barriers (0 is __syncthreads): consumer c's turn to issue MMAs, and its Q tile landed.
constexpr int kTurnBar = 1;    // + c, 256 threads: both consumers
constexpr int kQReadyBar = 3;  // + c, 128 threads

// The producer thread: tile t's K and V boxes (one a 64-dim panel) into stage t % kFa3Stages once
// both consumers released the tile that used it before; each tensor completes on its own barrier,
// so S can start before V lands.
template <int kDk, int kDv>
__device__ void produce(uint32_t base, const CUtensorMap* k_map, const CUtensorMap* v_map,
                        const PrefillBlock& blk, int n_tiles) {
  constexpr Fa3Smem L = fa3_smem(kDk, kDv);
  tma_prefetch_map(k_map);
  tma_prefetch_map(v_map);
  for (int t = 0; t < n_tiles; ++t) {
    const int stage = t % kFa3Stages, use = t / kFa3Stages;
    if (use > 0) mbar_wait_or_trap(base + fa3_empty(L, stage), (use - 1) & 1);
    const int row = blk.k0 + t * kFa3BlockN;
    const uint32_t full_k = base + fa3_full_k(L, stage), full_v = base + fa3_full_v(L, stage);
    mbar_arrive_expect_tx(full_k, L.k_bytes);
#pragma unroll
    for (int p = 0; p < fa3_panels(kDk); ++p) {
      const Fa3Box b = fa3_box(L, false, stage, p, blk.kv_head, row);
      tma_load_3d(base + b.smem, k_map, full_k, b.c0, b.c1, b.c2);
    }
    mbar_arrive_expect_tx(full_v, L.v_bytes);
#pragma unroll
    for (int p = 0; p < fa3_panels(kDv); ++p) {
      const Fa3Box b = fa3_box(L, true, stage, p, blk.kv_head, row);
      tma_load_3d(base + b.smem, v_map, full_v, b.c0, b.c1, b.c2);
    }
  }
}

// Consumer c's 64 rows of the Q tile (zeros past the block's rows and dk) by cp.async, visible to
// its MMAs when this returns.
template <int kDk>
__device__ __forceinline__ void load_q(uint32_t base, const PrefillCall& prm,
                                       const PrefillBlock& blk, int c) {
  const PrefillAttentionArgs& a = prm.a;
  const bf16_bits* qg =
      a.q + static_cast<int64_t>(blk.q0 + blk.m0) * a.q_stride + blk.head * prm.hs.q;
  constexpr int kChunks = kDk / 8;
  for (int i = threadIdx.x % kWarpgroup; i < kWgM * kChunks; i += kWarpgroup) {
    const int r = c * kWgM + i / kChunks, ch = i % kChunks;
    const bool ok = r < blk.rows && ch * 8 < a.dk;
    cp_async16(base + panel_offset(r, ch, kFa3BlockM), ok ? qg + r * a.q_stride + ch * 8 : qg, ok);
  }
  cp_async_commit();
  cp_async_wait<0>();
  fence_proxy_async();
  named_sync(kQReadyBar + c, kWarpgroup);
}

// Consumer c (of `consumers`): every key tile of the block, FlashAttention-3's Algorithm 2. At tile
// t it issues S_t and P_{t-1} V_{t-1}, waits for S_t only, runs the softmax of S_t under the P V
// MMAs, then waits for them, releases tile t - 1's stage and rescales O. With two consumers each
// issues its MMAs in turn (ping-pong): consumer 1 opens consumer 0's first turn, and gives a turn
// back after each of its tiles but the last, so every arrival meets one wait.
// NOTE: both consumers run every tile of the block (rows a tile hides from are masked), so their
// turns stay paired; a block of <= 64 rows has one consumer and no turns.
template <int kDk, int kDv>
__device__ void consume(uint32_t base, const PrefillCall& prm, const PrefillBlock& blk, int n_tiles,
                        int c, int consumers) {
  constexpr Fa3Smem L = fa3_smem(kDk, kDv);
  const PrefillAttentionArgs& a = prm.a;
  const bool turns = consumers > 1;
  const int lane = threadIdx.x % 32, g = lane / 4, c2 = lane % 4 * 2;
  const int w0 = c * kWgM + threadIdx.x % kWarpgroup / 32 * 16;  // the warp's first row
  const int q_pos = blk.shift + blk.m0 + w0 + g;
  if (turns && c == 1) named_arrive(kTurnBar, 2 * kWarpgroup);  // NOTE: before its own Q load
  load_q<kDk>(base, prm, blk, c);

  // Consumer c's turn to issue MMAs, and the other's after tile t.
  const auto take_turn = [&] {
    if (turns) named_sync(kTurnBar + c, 2 * kWarpgroup);
  };
  const auto give_turn = [&](int t) {
    if (turns && (c == 0 || t + 1 < n_tiles)) named_arrive(kTurnBar + (1 - c), 2 * kWarpgroup);
  };
  float o[kDv / 2] = {};
  float s[kFa3BlockN / 2];
  uint32_t pa[kFa3BlockN / kMmaK][4];  // P of the last tile: the A operand of its P V
  SoftmaxRows run;
  float alpha[2];
  mbar_wait_or_trap(base + fa3_full_k(L, 0), 0);
  take_turn();
  issue_scores<kDk>(s, base, kFa3BlockM, c * kWgM, base + fa3_k_tile(L, 0));
  give_turn(0);
  wgmma_wait<0>();
  fence_acc(s);
  softmax_tile<kNTiles>(s, c2, q_pos, blk.len_k, a.causal, prm.scale_log2, run, alpha, pa);
  // NOTE: o is 0: tile 0 needs no rescale. Every later tile has a P V to overlap.
  for (int t = 1; t < n_tiles; ++t) {
    const int stage = t % kFa3Stages, prev = (t - 1) % kFa3Stages;
    mbar_wait_or_trap(base + fa3_full_k(L, stage), t / kFa3Stages & 1);
    mbar_wait_or_trap(base + fa3_full_v(L, prev), (t - 1) / kFa3Stages & 1);
    take_turn();
    issue_scores<kDk>(s, base, kFa3BlockM, c * kWgM, base + fa3_k_tile(L, stage));
    issue_pv<kDv>(o, pa, base + fa3_v_tile(L, prev));
    give_turn(t);
    wgmma_wait<1>();  // S_t; P_{t-1} V_{t-1} runs on under the softmax
    fence_acc(s);
    softmax_tile_p<kNTiles>(s, t * kFa3BlockN + c2, q_pos, blk.len_k, a.causal, prm.scale_log2, run,
                            alpha);
    wgmma_wait<0>();
    fence_acc(o);
    __syncwarp();
    if (lane == 0) mbar_arrive(base + fa3_empty(L, prev));
    rescale_rows<kDv / 8>(o, alpha, kDv);
    pack_p<kNTiles>(s, pa);  // NOTE: after the wait: pa fed the P V that just ended
  }
  const int last = (n_tiles - 1) % kFa3Stages;
  mbar_wait_or_trap(base + fa3_full_v(L, last), (n_tiles - 1) / kFa3Stages & 1);
  issue_pv<kDv>(o, pa, base + fa3_v_tile(L, last));
  wgmma_wait<0>();
  fence_acc(o);
  store_rows<kDv / 8>(o, run, a, blk.head * prm.hs.out, blk.q0, blk.m0 + w0 + g, blk.len_q, c2);
}
#endif  // MOEBENCH_WGMMA_DEVICE

// kDk, kDv: multiples of 64 covering the call's dk and dv.
// NOTE: every block has >= 1 key tile (its first query sees key 0), and the barriers are set up
// before the block barrier, the only one all three warpgroups pass.
template <int kDk, int kDv>
__global__ void __launch_bounds__(kFa3Threads, 1)
    prefill_attention_fa3_kernel(const PrefillCall prm, const __grid_constant__ CUtensorMap k_map,
                                 const __grid_constant__ CUtensorMap v_map) {
#if !defined(MOEBENCH_WGMMA_DEVICE)
  __trap();
#else
  constexpr Fa3Smem L = fa3_smem(kDk, kDv);
  extern __shared__ unsigned char smem_raw[];
  const uint32_t raw = static_cast<uint32_t>(__cvta_generic_to_shared(smem_raw));
  const uint32_t base = (raw + kSwAtomBytes - 1) & ~uint32_t{kSwAtomBytes - 1};
  PrefillBlock blk;
  if (!prefill_block(prm.a, kFa3BlockM, blk)) return;
  // NOTE: keys past total_k would load as zeros, silently: a total_k below cu_k's fails instead.
  if (blk.k0 + blk.len_k > prm.a.total_k) __trap();
  const int n_tiles = (blk.k_end + kFa3BlockN - 1) / kFa3BlockN;
  const int consumers = blk.rows > kWgM ? 2 : 1;
  if (threadIdx.x == 0) {
    for (int s = 0; s < kFa3Stages; ++s) {
      mbar_init(base + fa3_full_k(L, s), 1);
      mbar_init(base + fa3_full_v(L, s), 1);
      mbar_init(base + fa3_empty(L, s), consumers * kWarpgroup / 32);  // a warp of each
    }
    mbar_init_fence();
  }
  __syncthreads();
  const int wg = threadIdx.x / kWarpgroup;
  if (wg == 0) {
    warpgroup_regs_lower<kProducerRegs>();
    if (threadIdx.x == 0) produce<kDk, kDv>(base, &k_map, &v_map, blk, n_tiles);
    return;
  }
  warpgroup_regs_raise<kConsumerRegs>();
  if (wg - 1 < consumers) consume<kDk, kDv>(base, prm, blk, n_tiles, wg - 1, consumers);
#endif
}

// ----------------------------------------------------------------------------
// Launcher

template <int kDk, int kDv>
void fa3_launch(const PrefillCall& prm, const CUtensorMap& k_map, const CUtensorMap& v_map,
                cudaStream_t stream) {
  constexpr int kBytes = fa3_smem(kDk, kDv).bytes;
  once_per_device([] {
    CUDA_CHECK(cudaFuncSetAttribute(prefill_attention_fa3_kernel<kDk, kDv>,
                                    cudaFuncAttributeMaxDynamicSharedMemorySize, kBytes));
  });
  const PrefillAttentionArgs& a = prm.a;
  const dim3 grid((a.max_q + kFa3BlockM - 1) / kFa3BlockM, a.n_heads, a.n_seqs);
  prefill_attention_fa3_kernel<kDk, kDv><<<grid, kFa3Threads, kBytes, stream>>>(prm, k_map, v_map);
  KERNEL_CHECK();
}

}  // namespace

void cuda_prefill_attention_fa3(const PrefillAttentionArgs& args, cudaStream_t stream) {
  const char* fn = "cuda_prefill_attention_fa3";
  const PrefillHeadStrides hs = prefill_attention_check(args, fn);
  launch_require(wgmma_code_present(), fn,
                 "this device or build has no sm_90a code (wgmma and TMA need a Hopper GPU and a "
                 "build with -DCMAKE_CUDA_ARCHITECTURES=90a)");
  if (args.n_seqs == 0 || args.max_q == 0) return;
  launch_require(args.total_k > 0, fn, "total_k (the key rows of k and v, cu_k's last value) ",
                 args.total_k, ": TMA needs the tensors' extent");
  const TmaTensor3 kt = prefill_tma_tensor(args, hs, false),
                   vt = prefill_tma_tensor(args, hs, true);
  if (args.dk > 192 || args.dv > 128) return cuda_prefill_attention_mma(args, stream);
  // NOTE: layouts TMA cannot describe (tma_problem) take the cp.async wgmma kernel.
  if (!tma_problem(kt).empty() || !tma_problem(vt).empty()) {
    return cuda_prefill_attention_wgmma(args, stream);
  }
  const PrefillCall prm = prefill_call(args, hs);
  const CUtensorMap k_map = tma_encode(args.k, kt, fn, "k");
  const CUtensorMap v_map = tma_encode(args.v, vt, fn, "v");
  // NOTE: the instance of dk and dv rounded up to 64 each: every box holds some of the tensor
  // (none wholly past dk or dv, whose zero fill the kernel would otherwise rely on).
  const int panels_k = (args.dk + 63) / 64, panels_v = (args.dv + 63) / 64;
  switch (panels_k * 10 + panels_v) {
    case 11:
      return fa3_launch<64, 64>(prm, k_map, v_map, stream);
    case 12:
      return fa3_launch<64, 128>(prm, k_map, v_map, stream);
    case 21:
      return fa3_launch<128, 64>(prm, k_map, v_map, stream);
    case 22:
      return fa3_launch<128, 128>(prm, k_map, v_map, stream);
    case 31:
      return fa3_launch<192, 64>(prm, k_map, v_map, stream);
    default:
      return fa3_launch<192, 128>(prm, k_map, v_map, stream);
  }
}

}  // namespace moebench
