// Small row ops the CUDA engine needs between the big kernels: bias add, RMSNorm over a strided
// part of each row (MLA's latent), and qwen2_moe's sigmoid-gated shared expert scaling.
// Compiles without CUDA headers; defined only in CUDA builds. All pointers are device pointers.
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/bf16.h"
#include "kernels/cuda_stream.h"

namespace moebench {

// y (rows, n) += bias (n), row stride ld_y, f32 add, one bf16 rounding.
void cuda_bias_add(bf16_bits* y, int64_t ld_y, int64_t rows, int64_t n, const bf16_bits* bias,
                   cudaStream_t stream);

// RMSNorm of `heads` consecutive segments of `dim` values at the start of each of `rows` rows
// (row strides ld_x / ld_y): segment h of row r is x[r * ld_x + h * dim ..+ dim), normed with
// w (dim), f32 math like cuda_rmsnorm. heads = 1 norms one prefix per row (MLA's latent);
// heads = n_heads norms each head (qwen3's q/k norm). x and y may alias.
void cuda_rmsnorm_strided(const bf16_bits* x, int64_t ld_x, const bf16_bits* w, int64_t rows,
                          int heads, int64_t dim, float eps, bf16_bits* y, int64_t ld_y,
                          cudaStream_t stream);

// dst[t, h, 0:width] = src[t, h, 0:width] for t < tokens, h < heads, where (t, h) sits at
// t * token_stride + h * head_stride of each side (a strided head slice copy).
struct CopyHeadsArgs {
  const bf16_bits* src = nullptr;
  int64_t src_token_stride = 0, src_head_stride = 0;
  bf16_bits* dst = nullptr;
  int64_t dst_token_stride = 0, dst_head_stride = 0;
  int64_t tokens = 0;
  int heads = 0;
  int width = 0;
};
void cuda_copy_heads(const CopyHeadsArgs& args, cudaStream_t stream);

// y[r, :] *= sigmoid(gate[r]) for y (rows, n) with row stride ld_y; gate f32 (rows).
void cuda_sigmoid_scale_rows(bf16_bits* y, int64_t ld_y, int64_t rows, int64_t n, const float* gate,
                             cudaStream_t stream);

// CPU references on f32 vectors holding bf16 values; outputs rounded to bf16.
void ref_bias_add(std::vector<float>& y, int64_t ld_y, int64_t rows, int64_t n,
                  const std::vector<float>& bias);
void ref_rmsnorm_strided(const std::vector<float>& x, int64_t ld_x, const std::vector<float>& w,
                         int64_t rows, int heads, int64_t dim, float eps, std::vector<float>& y,
                         int64_t ld_y);
void ref_sigmoid_scale_rows(std::vector<float>& y, int64_t ld_y, int64_t rows, int64_t n,
                            const std::vector<float>& gate);

}  // namespace moebench
