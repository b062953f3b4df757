// cuda_rmsnorm / cuda_rmsnorm_residual / cuda_rmsnorm_residual_f32: one block per row, f32 sum of
// squares, bf16 in and out; the residual variants add x into the residual stream first
// (x += attn(...) then norm), which the _f32 one keeps in f32.
#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/bf16_device.cuh"
#include "kernels/cuda_check.h"
#include "kernels/launch_check.h"
#include "kernels/ops.h"
#include "kernels/pdl.cuh"

namespace moebench {
namespace {

// ----------------------------------------------------------------------------
// GPU kernels

// y (rows, dim) = w * (v * rsqrt(mean(v²) + eps)) with v = x, or with kResidual
// v = residual = bf16(residual + x) written back first.
template <bool kResidual>
__global__ void rmsnorm_kernel(const uint16_t* x, uint16_t* residual, const uint16_t* w,
                               int64_t dim, float eps, uint16_t* y) {
  const int64_t base = static_cast<int64_t>(blockIdx.x) * dim;
  float ss = 0.0f;
  for (int64_t i = threadIdx.x; i < dim; i += blockDim.x) {
    float v = bf16_load(x + base + i);
    if constexpr (kResidual) {
      v = bf16_round_dev(bf16_load(residual + base + i) + v);
      bf16_store(residual + base + i, v);
    }
    ss += v * v;
  }
  ss = block_sum(ss);
  const float inv = 1.0f / sqrtf(ss / static_cast<float>(dim) + eps);
  for (int64_t i = threadIdx.x; i < dim; i += blockDim.x) {
    // NOTE: same thread, same index as the first pass, so reading residual / x here is race free
    // even when y aliases x.
    const float v = kResidual ? bf16_load(residual + base + i) : bf16_load(x + base + i);
    bf16_store(y + base + i, __fmul_rn(bf16_load(w + i), __fmul_rn(v, inv)));
  }
}

// The f32 residual stream: residual = x (kInit) or residual + x, kept in f32, then
// y = w * (residual * rsqrt(mean(residual²) + eps)) in bf16.
template <bool kInit>
__global__ void rmsnorm_residual_f32_kernel(const uint16_t* x, float* residual, const uint16_t* w,
                                            int64_t dim, float eps, uint16_t* y, uint16_t* y_lo) {
  pdl_wait();
  pdl_trigger();
  const int64_t base = static_cast<int64_t>(blockIdx.x) * dim;
  float ss = 0.0f;
  for (int64_t i = threadIdx.x; i < dim; i += blockDim.x) {
    float v = bf16_load(x + base + i);
    if constexpr (!kInit) v = __fadd_rn(residual[base + i], v);
    residual[base + i] = v;
    ss += v * v;
  }
  ss = block_sum(ss);
  const float inv = 1.0f / sqrtf(ss / static_cast<float>(dim) + eps);
  for (int64_t i = threadIdx.x; i < dim; i += blockDim.x) {
    // NOTE: same thread, same index as the first pass: race free when y aliases x.
    const float n = __fmul_rn(bf16_load(w + i), __fmul_rn(residual[base + i], inv));
    bf16_store(y + base + i, n);
    if (y_lo != nullptr) bf16_store(y_lo + base + i, __fsub_rn(n, bf16_round_dev(n)));
  }
}

// ----------------------------------------------------------------------------
// Launcher

int rmsnorm_threads(int64_t dim) {
  // NOTE: 1024 threads keep a 7168-wide row at 7 loads per thread; short rows get one warp each.
  return dim >= 1024 ? 1024 : static_cast<int>((dim + 31) / 32 * 32);
}

void rmsnorm_launch(const uint16_t* x, uint16_t* residual, const uint16_t* w, int64_t rows,
                    int64_t dim, float eps, uint16_t* y, cudaStream_t stream) {
  const int threads = rmsnorm_threads(dim);
  const dim3 grid(static_cast<unsigned>(rows));
  if (residual != nullptr) {
    rmsnorm_kernel<true><<<grid, threads, 0, stream>>>(x, residual, w, dim, eps, y);
  } else {
    rmsnorm_kernel<false><<<grid, threads, 0, stream>>>(x, nullptr, w, dim, eps, y);
  }
  KERNEL_CHECK();
}

void rmsnorm_check(const char* fn, const void* x, const void* w, int64_t rows, int64_t dim,
                   float eps, const void* y) {
  launch_require(rows >= 0 && rows <= INT32_MAX, fn, "rows must be in [0, 2^31), got ", rows);
  launch_require(dim > 0, fn, "dim must be > 0, got ", dim);
  launch_require(eps >= 0.0f, fn, "eps must be >= 0, got ", eps);
  launch_require(rows == 0 || (x != nullptr && w != nullptr && y != nullptr), fn,
                 "null pointer: x=", x, " w=", w, " y=", y);
}

}  // namespace

// ----------------------------------------------------------------------------
// Public entries

void cuda_rmsnorm(const bf16_bits* x, const bf16_bits* w, int64_t rows, int64_t dim, float eps,
                  bf16_bits* y, cudaStream_t stream) {
  rmsnorm_check("cuda_rmsnorm", x, w, rows, dim, eps, y);
  if (rows == 0) return;
  rmsnorm_launch(x, nullptr, w, rows, dim, eps, y, stream);
}

void cuda_rmsnorm_residual(bf16_bits* residual, const bf16_bits* x, const bf16_bits* w,
                           int64_t rows, int64_t dim, float eps, bf16_bits* y,
                           cudaStream_t stream) {
  const char* fn = "cuda_rmsnorm_residual";
  rmsnorm_check(fn, x, w, rows, dim, eps, y);
  if (rows == 0) return;
  launch_require(residual != nullptr, fn, "residual is null");
  launch_require(y != residual, fn, "y must not alias residual (", y, ")");
  rmsnorm_launch(x, residual, w, rows, dim, eps, y, stream);
}

void cuda_rmsnorm_residual_f32(float* residual, const bf16_bits* x, bool init, const bf16_bits* w,
                               int64_t rows, int64_t dim, float eps, bf16_bits* y, bf16_bits* y_lo,
                               cudaStream_t stream) {
  const char* fn = "cuda_rmsnorm_residual_f32";
  rmsnorm_check(fn, x, w, rows, dim, eps, y);
  if (rows == 0) return;
  launch_require(residual != nullptr, fn, "residual is null");
  const int threads = rmsnorm_threads(dim);
  const dim3 grid(static_cast<unsigned>(rows));
  if (init) {
    pdl_launch(rmsnorm_residual_f32_kernel<true>, grid, threads, 0, stream, x, residual, w, dim,
               eps, y, y_lo);
  } else {
    pdl_launch(rmsnorm_residual_f32_kernel<false>, grid, threads, 0, stream, x, residual, w, dim,
               eps, y, y_lo);
  }
}

}  // namespace moebench
