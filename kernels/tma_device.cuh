// Hopper's asynchronous data movement for the warp-specialized kernels (sm_90a): transaction
// barriers (mbarrier), TMA tile loads that complete on them, named barriers between warpgroups and
// the warpgroup register budget (setmaxnreg). Host side of the tensor maps: kernels/tma_map.h.
#pragma once

#include <cuda.h>

#include <cstdint>

#include "kernels/wgmma_device.cuh"  // MOEBENCH_WGMMA_DEVICE

namespace moebench {

#if defined(MOEBENCH_WGMMA_DEVICE)
// ---- mbarrier: arrival counts plus expected transaction bytes, phases told apart by parity ----

__device__ __forceinline__ void mbar_init(uint32_t bar, uint32_t count) {
  asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;\n" ::"r"(bar), "r"(count) : "memory");
}
// Makes initialized barriers visible to the async proxy (TMA) and the other threads; a block
// barrier must follow before any use.
__device__ __forceinline__ void mbar_init_fence() {
  asm volatile("fence.mbarrier_init.release.cluster;\n" ::: "memory");
}
__device__ __forceinline__ void mbar_arrive(uint32_t bar) {
  asm volatile("mbarrier.arrive.shared::cta.b64 _, [%0];\n" ::"r"(bar) : "memory");
}
// One arrival that also expects `bytes` more transaction bytes in the current phase.
__device__ __forceinline__ void mbar_arrive_expect_tx(uint32_t bar, uint32_t bytes) {
  asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;\n" ::"r"(bar), "r"(bytes)
               : "memory");
}
__device__ __forceinline__ bool mbar_try_wait(uint32_t bar, uint32_t parity) {
  uint32_t done = 0;
  asm volatile(
      "{\n"
      ".reg .pred p;\n"
      "mbarrier.try_wait.parity.shared::cta.b64 p, [%1], %2;\n"
      "selp.u32 %0, 1, 0, p;\n"
      "}\n"
      : "=r"(done)
      : "r"(bar), "r"(parity)
      : "memory");
  return done != 0;
}
__device__ __forceinline__ uint64_t global_timer_ns() {
  uint64_t t = 0;
  asm volatile("mov.u64 %0, %%globaltimer;\n" : "=l"(t));
  return t;
}

// Waits until the barrier's phase of parity `parity` has completed.
__device__ __forceinline__ void mbar_wait(uint32_t bar, uint32_t parity) {
  while (!mbar_try_wait(bar, parity)) {
  }
}

// 10 s: no tile load or MMA takes this long. The timer runs on while a debugger holds the kernel:
// build with -DMOEBENCH_MBAR_HANG_NS=0 to wait without a limit.
#ifndef MOEBENCH_MBAR_HANG_NS
#define MOEBENCH_MBAR_HANG_NS 10000000000ull
#endif
constexpr uint64_t kMbarHangNs = MOEBENCH_MBAR_HANG_NS;

// mbar_wait that traps past kMbarHangNs: a pipeline bug (a lost arrival, wrong transaction bytes)
// fails the kernel, and the test that ran it, instead of hanging the device.
// NOTE: only where no wgmma is in flight: ptxas waits for in-flight MMAs before a trap (C7517),
// and a call (a printf) serializes them (C7510).
__device__ __forceinline__ void mbar_wait_or_trap(uint32_t bar, uint32_t parity) {
  if (mbar_try_wait(bar, parity)) return;
  const uint64_t t0 = global_timer_ns();
  while (!mbar_try_wait(bar, parity)) {
    if (kMbarHangNs > 0 && global_timer_ns() - t0 > kMbarHangNs) __trap();
  }
}

// ---- TMA ----

__device__ __forceinline__ void tma_prefetch_map(const CUtensorMap* map) {
  asm volatile("prefetch.tensormap [%0];\n" ::"l"(reinterpret_cast<uint64_t>(map)) : "memory");
}
// The box of the 3-D tensor map at coordinates (c0, c1, c2) (innermost first) into shared memory
// at dst (1024-aligned for a 128B swizzle); completes its bytes on barrier bar.
__device__ __forceinline__ void tma_load_3d(uint32_t dst, const CUtensorMap* map, uint32_t bar,
                                            int c0, int c1, int c2) {
  asm volatile(
      "cp.async.bulk.tensor.3d.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1, {%3, "
      "%4, %5}], [%2];\n" ::"r"(dst),
      "l"(reinterpret_cast<uint64_t>(map)), "r"(bar), "r"(c0), "r"(c1), "r"(c2)
      : "memory");
}

// ---- named barriers (0 is __syncthreads) and the register budget ----

__device__ __forceinline__ void named_sync(int id, int threads) {
  asm volatile("bar.sync %0, %1;\n" ::"r"(id), "r"(threads) : "memory");
}
__device__ __forceinline__ void named_arrive(int id, int threads) {
  asm volatile("bar.arrive %0, %1;\n" ::"r"(id), "r"(threads) : "memory");
}
// The calling warpgroup's registers a thread, lowered or raised (all its threads, together).
template <int kRegs>
__device__ __forceinline__ void warpgroup_regs_lower() {
  asm volatile("setmaxnreg.dec.sync.aligned.u32 %0;\n" ::"n"(kRegs));
}
template <int kRegs>
__device__ __forceinline__ void warpgroup_regs_raise() {
  asm volatile("setmaxnreg.inc.sync.aligned.u32 %0;\n" ::"n"(kRegs));
}
#endif  // MOEBENCH_WGMMA_DEVICE

}  // namespace moebench
