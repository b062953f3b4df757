// The two warpgroup MMAs of the wgmma prefill attention kernels, issued without waiting: S = Q Kᵀ
// from 128B-swizzled, K-major shared memory, and O += P V with P in registers and V N-major. The
// cp.async kernel waits right after each; the FlashAttention-3 kernel keeps S of the next key tile
// and P V of the last one in flight together. Operand layouts: kernels/wgmma_layout.h.
#pragma once

#include <cstdint>

#include "kernels/wgmma_device.cuh"

namespace moebench {

constexpr int kAttnBlockN = 64;  // keys a tile: S is m64n64 per warpgroup

#if defined(MOEBENCH_WGMMA_DEVICE)
// Issues and commits s (64 x 64 per warpgroup) = Q (rows [q_row0, q_row0 + 64) of the Q tile of
// q_tile_rows rows at q) · K (the 64 keys at k)ᵀ over kDk head dims (zeros past dk), in k16 steps
// through the 64-dim panels. s is written when a wgmma_wait covers this group.
// NOTE: a fixed count: a runtime exit between the MMAs makes ptxas fence each one.
template <int kDk>
__device__ __forceinline__ void issue_scores(float (&s)[kAttnBlockN / 2], uint32_t q,
                                             int q_tile_rows, int q_row0, uint32_t k) {
#pragma unroll
  for (int i = 0; i < kAttnBlockN / 2; ++i) s[i] = 0.0f;
  fence_acc(s);  // NOTE: the zeros are written before the fence, not between it and the MMAs
  wgmma_fence();
#pragma unroll
  for (int ks = 0; ks < kDk / kMmaK; ++ks) {
    wgmma_ss_m64n64k16(s, smem_desc(k_major_slice(q, q_tile_rows, q_row0, ks)),
                       smem_desc(k_major_slice(k, kAttnBlockN, 0, ks)));
  }
  wgmma_commit();
}

// Issues and commits o (64 x kDv per warpgroup) += P (64 x 64 keys, bf16 A fragments) · V (64 keys
// at v, N-major: panels of 64 head dims kAttnBlockN * 128 bytes apart, the descriptor's leading
// byte offset). o and pa must stay untouched until a wgmma_wait covers this group.
template <int kDv>
__device__ __forceinline__ void issue_pv(float (&o)[kDv / 2],
                                         const uint32_t (&pa)[kAttnBlockN / kMmaK][4], uint32_t v) {
  fence_acc(o);  // NOTE: the rescaled o is written before the fence
  wgmma_fence();
#pragma unroll
  for (int kk = 0; kk < kAttnBlockN / kMmaK; ++kk) {
    const uint64_t desc = smem_desc_mn(mn_major_slice(v, kk), mn_major_lbo(kAttnBlockN));
    if constexpr (kDv == 128) {
      wgmma_rs_m64n128k16(o, pa[kk], desc);
    } else {
      static_assert(kDv == 64, "PV tiles of 64 or 128 head dims");
      wgmma_rs_m64n64k16(o, pa[kk], desc);
    }
  }
  wgmma_commit();
}

#endif  // MOEBENCH_WGMMA_DEVICE

}  // namespace moebench
