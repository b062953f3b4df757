// cp.async (sm_80+): 16-byte global-to-shared copies that bypass the registers, their commit
// groups and waits. Shared by the tensor-core kernels that stage tiles through shared memory.
#pragma once

#include <cstdint>

namespace moebench {

#if !defined(__CUDA_ARCH__) || __CUDA_ARCH__ >= 800
// 16 bytes from src to shared byte address dst, bypassing L1; valid false writes 16 zero bytes and
// reads nothing (src must still be a valid address: pass any in-bounds one).
__device__ __forceinline__ void cp_async16(uint32_t dst, const void* src, bool valid) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(dst), "l"(src),
               "r"(valid ? 16 : 0));
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n"); }
// Waits until at most kPending of this thread's committed groups are still in flight.
template <int kPending>
__device__ __forceinline__ void cp_async_wait() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(kPending) : "memory");
}
#endif

}  // namespace moebench
