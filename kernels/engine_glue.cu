// Engine glue kernels: bias add, strided RMSNorm, sigmoid row scaling (see engine_glue.h).
#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/bf16_device.cuh"
#include "kernels/cuda_check.h"
#include "kernels/engine_glue.h"
#include "kernels/launch_check.h"
#include "kernels/rmsnorm_device.cuh"

namespace moebench {
namespace {

// ----------------------------------------------------------------------------
// GPU kernels

// One block per row; threads stride the columns.
__global__ void bias_add_kernel(uint16_t* y, int64_t ld_y, int64_t n, const uint16_t* bias) {
  uint16_t* row = y + static_cast<int64_t>(blockIdx.x) * ld_y;
  for (int64_t i = threadIdx.x; i < n; i += blockDim.x) {
    bf16_store(row + i, bf16_load(row + i) + bf16_load(bias + i));
  }
}

// One block per (row, head) segment: blockIdx.x = row * heads + head.
__global__ void rmsnorm_strided_kernel(const uint16_t* x, int64_t ld_x, const uint16_t* w,
                                       int heads, int64_t dim, float eps, uint16_t* y,
                                       int64_t ld_y) {
  const int64_t row = blockIdx.x / heads, head = blockIdx.x % heads;
  const uint16_t* xr = x + row * ld_x + head * dim;
  // NOTE: block_sum's barrier orders every read of the sum before the first write: y may alias x.
  row_rms_scale(xr, dim, row_rms_inv(xr, dim, eps), w, y + row * ld_y + head * dim);
}

// blockIdx.x = token * heads + head; threads stride the width.
__global__ void copy_heads_kernel(CopyHeadsArgs a) {
  const int64_t t = blockIdx.x / a.heads, h = blockIdx.x % a.heads;
  const uint16_t* s = a.src + t * a.src_token_stride + h * a.src_head_stride;
  uint16_t* d = a.dst + t * a.dst_token_stride + h * a.dst_head_stride;
  for (int i = threadIdx.x; i < a.width; i += blockDim.x) d[i] = s[i];
}

__global__ void sigmoid_scale_kernel(uint16_t* y, int64_t ld_y, int64_t n, const float* gate) {
  uint16_t* row = y + static_cast<int64_t>(blockIdx.x) * ld_y;
  const float s = 1.0f / (1.0f + expf(-gate[blockIdx.x]));
  for (int64_t i = threadIdx.x; i < n; i += blockDim.x) bf16_store(row + i, bf16_load(row + i) * s);
}

int row_threads(int64_t n) { return n >= 512 ? 512 : static_cast<int>((n + 31) / 32 * 32); }

void check_rows(const char* fn, int64_t rows, int64_t n, int64_t ld, const void* p) {
  launch_require(rows >= 0 && rows <= INT32_MAX, fn, "rows must be in [0, 2^31), got ", rows);
  launch_require(n > 0, fn, "width must be > 0, got ", n);
  launch_require(ld >= n, fn, "row stride ", ld, " < width ", n);
  launch_require(rows == 0 || p != nullptr, fn, "null pointer");
}

}  // namespace

// ----------------------------------------------------------------------------
// Public entries

void cuda_bias_add(bf16_bits* y, int64_t ld_y, int64_t rows, int64_t n, const bf16_bits* bias,
                   cudaStream_t stream) {
  check_rows("cuda_bias_add", rows, n, ld_y, y);
  launch_require(bias != nullptr, "cuda_bias_add", "null bias");
  if (rows == 0) return;
  bias_add_kernel<<<static_cast<unsigned>(rows), row_threads(n), 0, stream>>>(y, ld_y, n, bias);
  KERNEL_CHECK();
}

void cuda_rmsnorm_strided(const bf16_bits* x, int64_t ld_x, const bf16_bits* w, int64_t rows,
                          int heads, int64_t dim, float eps, bf16_bits* y, int64_t ld_y,
                          cudaStream_t stream) {
  const char* fn = "cuda_rmsnorm_strided";
  launch_require(heads >= 1, fn, "heads must be >= 1, got ", heads);
  check_rows(fn, rows, heads * dim, ld_x, x);
  check_rows(fn, rows, heads * dim, ld_y, y);
  launch_require(rows * heads <= INT32_MAX, fn, "rows * heads too large: ", rows * heads);
  launch_require(w != nullptr && eps >= 0.0f, fn, "null w or eps < 0");
  if (rows == 0) return;
  const int threads = rmsnorm_row_threads(dim);
  rmsnorm_strided_kernel<<<static_cast<unsigned>(rows * heads), threads, 0, stream>>>(
      x, ld_x, w, heads, dim, eps, y, ld_y);
  KERNEL_CHECK();
}

void cuda_copy_heads(const CopyHeadsArgs& a, cudaStream_t stream) {
  const char* fn = "cuda_copy_heads";
  launch_require(a.tokens >= 0 && a.heads >= 1 && a.width >= 1, fn, "bad sizes: tokens ", a.tokens,
                 " heads ", a.heads, " width ", a.width);
  launch_require(a.tokens * a.heads <= INT32_MAX, fn, "tokens * heads too large");
  launch_require(a.tokens == 0 || (a.src != nullptr && a.dst != nullptr), fn, "null pointer");
  if (a.tokens == 0) return;
  const int threads = a.width >= 256 ? 256 : (a.width + 31) / 32 * 32;
  copy_heads_kernel<<<static_cast<unsigned>(a.tokens * a.heads), threads, 0, stream>>>(a);
  KERNEL_CHECK();
}

void cuda_sigmoid_scale_rows(bf16_bits* y, int64_t ld_y, int64_t rows, int64_t n, const float* gate,
                             cudaStream_t stream) {
  check_rows("cuda_sigmoid_scale_rows", rows, n, ld_y, y);
  launch_require(gate != nullptr, "cuda_sigmoid_scale_rows", "null gate");
  if (rows == 0) return;
  sigmoid_scale_kernel<<<static_cast<unsigned>(rows), row_threads(n), 0, stream>>>(y, ld_y, n,
                                                                                   gate);
  KERNEL_CHECK();
}

}  // namespace moebench
