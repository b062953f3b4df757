// RMSNorm's reduction on the device, one definition for cuda_rmsnorm_strided and the fused kernels
// that norm a row on the way to somewhere else, so every path rounds the same values.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/bf16_device.cuh"

namespace moebench {

// Threads a launcher gives a dim-wide row: the layout of its partial sums. NOTE: 1024 threads keep
// a 7168-wide row at 7 loads per thread; short rows get whole warps.
__host__ __device__ constexpr int rmsnorm_row_threads(int64_t dim) {
  return dim >= 1024 ? 1024 : static_cast<int>((dim + 31) / 32 * 32);
}

// 1 / sqrt(ss / dim + eps): a row's sum of squares to its norm's scale, for every path.
__device__ __forceinline__ float rms_inv(float ss, int64_t dim, float eps) {
  return 1.0f / sqrtf(ss / static_cast<float>(dim) + eps);
}

// block_sum of `lanes` values part[0, lanes) (shared memory, lanes a multiple of 32, <= 1024) in a
// block of any multiple of 32 threads: the shuffles block_sum runs in a block of `lanes` threads
// holding them, on the same values in the same lanes, so the same bits (a warp takes the lanes'
// warps in turn). Every thread gets the result and must call it; part is read after a barrier.
__device__ __forceinline__ float block_sum_lanes(const float* part, int lanes) {
  __shared__ float warp_sums[32];
  __shared__ float total;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int n_warps = static_cast<int>(blockDim.x) / 32, lane_warps = lanes / 32;
  __syncthreads();  // NOTE: part is written by other threads; the previous call's total is read
  for (int w = warp; w < lane_warps; w += n_warps) {
    float v = part[w * 32 + lane];
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    if (lane == 0) warp_sums[w] = v;
  }
  __syncthreads();
  if (warp == 0) {
    float v = lane < lane_warps ? warp_sums[lane] : 0.0f;
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    if (lane == 0) total = v;
  }
  __syncthreads();
  return total;
}

// 1 / sqrt(mean(x²) + eps) over x[0, dim), summed as rmsnorm_row_threads(dim) threads would
// (thread v takes v, v + that, ...; the rest add zeros), so a block of any size at least that
// gets the same bits. Every thread of the block must call it (block_sum syncs).
__device__ __forceinline__ float row_rms_inv(const uint16_t* x, int64_t dim, float eps) {
  const int lanes = rmsnorm_row_threads(dim);
  float ss = 0.0f;
  if (static_cast<int>(threadIdx.x) < lanes) {
    for (int64_t i = threadIdx.x; i < dim; i += lanes) {
      const float v = bf16_load(x + i);
      ss = fmaf(v, v, ss);
    }
  }
  return rms_inv(block_sum(ss), dim, eps);
}

// row_rms_inv's value in a block of any multiple of 32 threads, fewer than its lanes too: each
// thread sums lanes tid, tid + blockDim.x, ... of rmsnorm_row_threads(dim)'s layout into part
// (that many floats of shared memory), and block_sum_lanes adds them as block_sum does: the same
// bits. Every thread must call it; part is free again when it returns.
__device__ __forceinline__ float row_rms_inv_lanes(const uint16_t* x, int64_t dim, float eps,
                                                   float* part) {
  const int lanes = rmsnorm_row_threads(dim);
  for (int l = threadIdx.x; l < lanes; l += blockDim.x) {
    float ss = 0.0f;
    for (int64_t i = l; i < dim; i += lanes) {
      const float v = bf16_load(x + i);
      ss = fmaf(v, v, ss);
    }
    part[l] = ss;
  }
  return rms_inv(block_sum_lanes(part, lanes), dim, eps);
}

// The f32 norm of a residual-stream value v: w * (v * inv), as cuda_rmsnorm_residual_f32 forms it.
__device__ __forceinline__ float norm_f32_value(float v, float inv, float w) {
  return __fmul_rn(w, __fmul_rn(v, inv));
}
__device__ __forceinline__ float norm_f32_value(float v, float inv, const uint16_t* w) {
  return norm_f32_value(v, inv, bf16_load(w));
}

// What the bf16 rounding of an f32 norm n left: n - bf16(n), the y_lo beside y = bf16(n).
__device__ __forceinline__ float norm_lo(float n) { return __fsub_rn(n, bf16_round_dev(n)); }

// Whether every pointer is 16-byte aligned (the vector paths below).
__device__ __forceinline__ bool all_aligned16(const void* a, const void* b, const void* c = nullptr,
                                              const void* d = nullptr, const void* e = nullptr) {
  return ((reinterpret_cast<uintptr_t>(a) | reinterpret_cast<uintptr_t>(b) |
           reinterpret_cast<uintptr_t>(c) | reinterpret_cast<uintptr_t>(d) |
           reinterpret_cast<uintptr_t>(e)) &
          15) == 0;
}

// Lanes one thread takes at a time in residual_norm_rows: 1024 lanes in one round for a block of
// 128 threads.
inline constexpr int kNormLanesPerThread = 8;

// cuda_rmsnorm_residual_f32's rows (not the first layer's), up to kRows of them (rows of dim,
// packed), in a block of any multiple of 32 threads, without writing the stream:
// v = residual + x in f32, then hi = bf16(norm), lo = bf16(norm - hi). Each row's sum of squares
// takes rmsnorm_row_threads(dim) lanes' layout through part (rows * that many floats of shared
// memory), so the same bits as the kernel's 1024 threads. The rows' loads are in flight together.
// hi and lo (rows of ld_out) may be shared or global memory; every thread must call it.
template <int kRows>
__device__ __forceinline__ void residual_norm_rows(const float* __restrict__ residual,
                                                   const uint16_t* __restrict__ x,
                                                   const uint16_t* __restrict__ w, int rows,
                                                   int64_t dim, float eps, float* part,
                                                   uint16_t* __restrict__ hi,
                                                   uint16_t* __restrict__ lo, int64_t ld_out) {
  const int lanes = rmsnorm_row_threads(dim);
  const int per_round = static_cast<int>(blockDim.x) * kNormLanesPerThread;
  for (int l0 = 0; l0 < lanes; l0 += per_round) {
    float ss[kRows][kNormLanesPerThread];
#pragma unroll
    for (int r = 0; r < kRows; ++r) {
#pragma unroll
      for (int j = 0; j < kNormLanesPerThread; ++j) ss[r][j] = 0.0f;
    }
    // NOTE: element steps outside, the rows and the thread's lanes inside: each lane still sums
    // its elements in order (the same bits), with all of them in flight together.
    for (int64_t s = 0; s < dim; s += lanes) {
#pragma unroll
      for (int r = 0; r < kRows; ++r) {
#pragma unroll
        for (int j = 0; j < kNormLanesPerThread; ++j) {
          const int l = l0 + static_cast<int>(threadIdx.x) + j * static_cast<int>(blockDim.x);
          const int64_t i = s + l;
          if (r < rows && l < lanes && i < dim) {
            const float v = __fadd_rn(residual[r * dim + i], bf16_load(x + r * dim + i));
            ss[r][j] = fmaf(v, v, ss[r][j]);
          }
        }
      }
    }
#pragma unroll
    for (int r = 0; r < kRows; ++r) {
#pragma unroll
      for (int j = 0; j < kNormLanesPerThread; ++j) {
        const int l = l0 + static_cast<int>(threadIdx.x) + j * static_cast<int>(blockDim.x);
        if (r < rows && l < lanes) part[r * lanes + l] = ss[r][j];
      }
    }
  }
  float inv[kRows];
#pragma unroll
  for (int r = 0; r < kRows; ++r) {
    inv[r] = r < rows ? rms_inv(block_sum_lanes(part + r * lanes, lanes), dim, eps) : 0.0f;
  }
  // Element-wise from here: any order.
  if (dim % 8 == 0 && ld_out % 8 == 0 && all_aligned16(residual, x, w, hi, lo)) {
    for (int64_t i = threadIdx.x * int64_t{8}; i < dim; i += blockDim.x * int64_t{8}) {
      float wv[8];
      unpack8(*reinterpret_cast<const uint4*>(w + i), wv);
#pragma unroll
      for (int r = 0; r < kRows; ++r) {
        if (r >= rows) break;
        const float4 r0 = *reinterpret_cast<const float4*>(residual + r * dim + i);
        const float4 r1 = *reinterpret_cast<const float4*>(residual + r * dim + i + 4);
        const float rv[8] = {r0.x, r0.y, r0.z, r0.w, r1.x, r1.y, r1.z, r1.w};
        float xv[8], n[8], n_lo[8];
        unpack8(*reinterpret_cast<const uint4*>(x + r * dim + i), xv);
#pragma unroll
        for (int e = 0; e < 8; ++e) {
          n[e] = norm_f32_value(__fadd_rn(rv[e], xv[e]), inv[r], wv[e]);
          n_lo[e] = norm_lo(n[e]);
        }
        *reinterpret_cast<uint4*>(hi + r * ld_out + i) = pack8(n);
        *reinterpret_cast<uint4*>(lo + r * ld_out + i) = pack8(n_lo);
      }
    }
    return;
  }
  for (int r = 0; r < rows; ++r) {
    for (int64_t i = threadIdx.x; i < dim; i += blockDim.x) {
      const float n = norm_f32_value(__fadd_rn(residual[r * dim + i], bf16_load(x + r * dim + i)),
                                     inv[r], w + i);
      bf16_store(hi + r * ld_out + i, n);
      bf16_store(lo + r * ld_out + i, norm_lo(n));
    }
  }
}

// residual[i] += x[i] in f32 (__fadd_rn, as cuda_rmsnorm_residual_f32), i < dim, threads striding
// the block.
__device__ __forceinline__ void residual_add_row(float* residual, const uint16_t* x, int64_t dim) {
  if (dim % 8 == 0 && all_aligned16(residual, x)) {
    for (int64_t i = threadIdx.x * int64_t{8}; i < dim; i += blockDim.x * int64_t{8}) {
      float xv[8];
      unpack8(*reinterpret_cast<const uint4*>(x + i), xv);
      float4* out = reinterpret_cast<float4*>(residual + i);
      const float4 r0 = out[0], r1 = out[1];
      out[0] = make_float4(__fadd_rn(r0.x, xv[0]), __fadd_rn(r0.y, xv[1]), __fadd_rn(r0.z, xv[2]),
                           __fadd_rn(r0.w, xv[3]));
      out[1] = make_float4(__fadd_rn(r1.x, xv[4]), __fadd_rn(r1.y, xv[5]), __fadd_rn(r1.z, xv[6]),
                           __fadd_rn(r1.w, xv[7]));
    }
    return;
  }
  for (int64_t i = threadIdx.x; i < dim; i += blockDim.x) {
    residual[i] = __fadd_rn(residual[i], bf16_load(x + i));
  }
}

// y[i] = w[i] * (x[i] * inv) in bf16, i < dim, threads striding the block. Each element is read
// and written by one thread, so y may alias x.
__device__ __forceinline__ void row_rms_scale(const uint16_t* x, int64_t dim, float inv,
                                              const uint16_t* w, uint16_t* y) {
  for (int64_t i = threadIdx.x; i < dim; i += blockDim.x) {
    bf16_store(y + i, __fmul_rn(bf16_load(w + i), __fmul_rn(bf16_load(x + i), inv)));
  }
}

}  // namespace moebench
