// CPU reference ops of the built-in engine: Linear via OpenBLAS, RMSNorm, SiLU, softmax and
// rotary embeddings (default and YaRN), each written to match HF transformers' f32 arithmetic.
#pragma once

#include <cstdint>
#include <vector>

#include "backends/builtin/checkpoint/model_config.h"
#include "backends/builtin/engine/rope_table.h"

namespace moebench {

// A Linear layer as HF stores it: y = x · wᵀ + b.
struct CpuLinear {
  const float* w = nullptr;  // (out, in)
  const float* b = nullptr;  // (out) or null
  int out = 0;
  int in = 0;
};

// y (rows, l.out) = x (rows, l.in) · wᵀ + b, one cblas_sgemm.
void ops_linear(const float* x, int rows, const CpuLinear& l, float* y);

// C (m, n) = alpha · A (m, k) · B (n, k)ᵀ + beta · C, with leading dimensions (row strides).
void ops_matmul_nt(int m, int n, int k, float alpha, const float* a, int lda, const float* b,
                   int ldb, float beta, float* c, int ldc);
// C (m, n) = alpha · A (m, k) · B (k, n) + beta · C.
void ops_matmul_nn(int m, int n, int k, float alpha, const float* a, int lda, const float* b,
                   int ldb, float beta, float* c, int ldc);

// HF RMSNorm in f32: y = w * (x * rsqrt(mean(x²) + eps)), per row of `dim` values. `x` and `y`
// may alias. `w` (dim) may be null (unit weight).
void ops_rmsnorm(const float* x, int64_t rows, int dim, const float* w, double eps, float* y);

// gate[i] = silu(gate[i]) * up[i] for n values (the SwiGLU product).
void ops_silu_mul(float* gate, const float* up, int64_t n);

// In-place softmax of one row of n values (max-subtracted, f32 like torch).
void ops_softmax(float* x, int n);

// Rotates n_heads vectors in place: head h occupies x[h * head_stride .. + t.dim).
void rope_apply(float* x, int n_heads, int head_stride, int dim, const float* cos_row,
                const float* sin_row, RopePairing style);

}  // namespace moebench
