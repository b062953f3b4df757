// The warp-level tensor-core pieces (sm_80+) of the mma.sync kernels: ldmatrix loads of 8x8 bf16
// tiles from shared memory (plain and transposed) and the m16n8k16 bf16 MMA with f32 accumulators.
#pragma once

#include <cstdint>

namespace moebench {

#if !defined(__CUDA_ARCH__) || __CUDA_ARCH__ >= 800
// Four 8x8 b16 matrices: lanes 8 i .. 8 i + 7 give matrix i's row addresses; r[i] is its fragment.
__device__ __forceinline__ void ldmatrix_x4(uint32_t (&r)[4], uint32_t addr) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(addr));
}
// The same, each matrix transposed.
__device__ __forceinline__ void ldmatrix_x4_trans(uint32_t (&r)[4], uint32_t addr) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(addr));
}

// d[0..3] (16 x 8, f32) += a (16 x 16, bf16 row-major fragment) · b (16 x 8, bf16 col-major
// fragment).
__device__ __forceinline__ void mma16816(float* d, const uint32_t (&a)[4], uint32_t b0,
                                         uint32_t b1) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, "
      "{%8, %9}, {%0, %1, %2, %3};\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}
#endif

}  // namespace moebench
