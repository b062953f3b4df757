// cuda_rmsnorm / cuda_rmsnorm_residual / cuda_rmsnorm_residual_f32: one block per row, f32 sum of
// squares, bf16 in and out; the residual variants add x into the residual stream first
// (x += attn(...) then norm), which the _f32 one keeps in f32; and the MoE combine fused into that
// norm (cuda_moe_combine_rmsnorm_residual_f32).
#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/bf16_device.cuh"
#include "kernels/cuda_check.h"
#include "kernels/launch_check.h"
#include "kernels/moe_permute.h"
#include "kernels/ops.h"
#include "kernels/pdl.cuh"
#include "kernels/rmsnorm_device.cuh"

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
    ss = fmaf(v, v, ss);
  }
  const float inv = rms_inv(block_sum(ss), dim, eps);
  for (int64_t i = threadIdx.x; i < dim; i += blockDim.x) {
    // NOTE: same thread, same index as the first pass, so reading residual / x here is race free
    // even when y aliases x.
    const float v = kResidual ? bf16_load(residual + base + i) : bf16_load(x + base + i);
    bf16_store(y + base + i, __fmul_rn(bf16_load(w + i), __fmul_rn(v, inv)));
  }
}

// Row t's top_k (slot row, weight) pairs of a combine, staged in shared memory by the block.
struct CombineRow {
  int32_t row[kMoeMaxTopK];
  float weight[kMoeMaxTopK];
};

// x[i] of a combine's row t: bf16(out[t][i] (accumulate) or 0, plus each weight * y_perm row in j
// order with fmaf), moe_combine_kernel's sum element by element.
__device__ __forceinline__ float combine_value(const MoeCombineArgs& cb, const CombineRow& c,
                                               int64_t t, int64_t i) {
  float acc = cb.accumulate ? bf16_load(cb.out + t * cb.ld_out + i) : 0.0f;
  for (int j = 0; j < cb.top_k; ++j) {
    if (c.row[j] < 0) continue;
    acc = fmaf(c.weight[j], bf16_load(cb.y_perm + static_cast<int64_t>(c.row[j]) * cb.hidden + i),
               acc);
  }
  return bf16_round_dev(acc);
}

// The f32 residual stream: residual = x (kInit) or residual + x, kept in f32, then
// y = w * (residual * rsqrt(mean(residual²) + eps)) in bf16. kCombine: x is the combine's sum.
template <bool kInit, bool kCombine = false>
__global__ void rmsnorm_residual_f32_kernel(const uint16_t* x, float* residual, const uint16_t* w,
                                            int64_t dim, float eps, uint16_t* y, uint16_t* y_lo,
                                            MoeCombineArgs cb) {
  __shared__ CombineRow combine;
  pdl_wait();
  pdl_trigger();
  const int64_t base = static_cast<int64_t>(blockIdx.x) * dim;
  if constexpr (kCombine) {
    const int64_t t = blockIdx.x;
    if (threadIdx.x < cb.top_k) {
      combine.row[threadIdx.x] = cb.slot_to_perm[t * cb.top_k + threadIdx.x];
      combine.weight[threadIdx.x] = cb.weights[t * cb.top_k + threadIdx.x];
    }
    __syncthreads();
  }
  float ss = 0.0f;
  for (int64_t i = threadIdx.x; i < dim; i += blockDim.x) {
    float v;
    if constexpr (kCombine) {
      v = combine_value(cb, combine, blockIdx.x, i);
    } else {
      v = bf16_load(x + base + i);
    }
    if constexpr (!kInit) v = __fadd_rn(residual[base + i], v);
    residual[base + i] = v;
    ss = fmaf(v, v, ss);
  }
  const float inv = rms_inv(block_sum(ss), dim, eps);
  for (int64_t i = threadIdx.x; i < dim; i += blockDim.x) {
    // NOTE: same thread, same index as the first pass: race free when y aliases x.
    const float n = norm_f32_value(residual[base + i], inv, w + i);
    bf16_store(y + base + i, n);
    if (y_lo != nullptr) bf16_store(y_lo + base + i, norm_lo(n));
  }
}

// ----------------------------------------------------------------------------
// Launcher

void rmsnorm_launch(const uint16_t* x, uint16_t* residual, const uint16_t* w, int64_t rows,
                    int64_t dim, float eps, uint16_t* y, cudaStream_t stream) {
  const int threads = rmsnorm_row_threads(dim);
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
  const int threads = rmsnorm_row_threads(dim);
  const dim3 grid(static_cast<unsigned>(rows));
  if (init) {
    pdl_launch(rmsnorm_residual_f32_kernel<true>, grid, threads, 0, stream, x, residual, w, dim,
               eps, y, y_lo, MoeCombineArgs{});
  } else {
    pdl_launch(rmsnorm_residual_f32_kernel<false>, grid, threads, 0, stream, x, residual, w, dim,
               eps, y, y_lo, MoeCombineArgs{});
  }
}

void cuda_moe_combine_rmsnorm_residual_f32(const MoeCombineArgs& cb, float* residual,
                                           const bf16_bits* w, float eps, bf16_bits* y,
                                           bf16_bits* y_lo, cudaStream_t stream) {
  const char* fn = "cuda_moe_combine_rmsnorm_residual_f32";
  launch_require(cb.top_k > 0 && cb.top_k <= kMoeMaxTopK, fn, "top_k must be in [1, ", kMoeMaxTopK,
                 "], got ", cb.top_k);
  launch_require(
      cb.n_tokens == 0 || (cb.y_perm != nullptr && cb.slot_to_perm != nullptr &&
                           cb.weights != nullptr && (cb.out != nullptr || !cb.accumulate)),
      fn, "null pointer: y_perm=", cb.y_perm, " slot_to_perm=", cb.slot_to_perm,
      " weights=", cb.weights, " out=", cb.out);
  launch_require(!cb.accumulate || cb.ld_out >= cb.hidden, fn, "ld_out ", cb.ld_out, " < hidden ",
                 cb.hidden);
  // x is not read: the combine's args stand in for it (any non-null pointer passes the check).
  rmsnorm_check(fn, cb.y_perm, w, cb.n_tokens, cb.hidden, eps, y);
  if (cb.n_tokens == 0) return;
  launch_require(residual != nullptr, fn, "residual is null");
  const int threads = rmsnorm_row_threads(cb.hidden);
  pdl_launch(rmsnorm_residual_f32_kernel<false, true>, dim3(static_cast<unsigned>(cb.n_tokens)),
             dim3(threads), 0, stream, static_cast<const uint16_t*>(nullptr), residual, w,
             cb.hidden, eps, y, y_lo, cb);
}

}  // namespace moebench
