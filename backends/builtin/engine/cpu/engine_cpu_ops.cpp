// CPU reference ops: OpenBLAS products, RMSNorm, SiLU, softmax, RoPE / YaRN (HF f32 arithmetic).
#include "backends/builtin/engine/cpu/engine_cpu_ops.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <stdexcept>
#include <string>

#include "common/error.h"
#include "kernels/reference.h"

namespace moebench {

void ops_matmul_nt(int m, int n, int k, float alpha, const float* a, int lda, const float* b,
                   int ldb, float beta, float* c, int ldc) {
  if (m == 0 || n == 0) return;
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, alpha, a, lda, b, ldb, beta, c,
              ldc);
}

void ops_matmul_nn(int m, int n, int k, float alpha, const float* a, int lda, const float* b,
                   int ldb, float beta, float* c, int ldc) {
  if (m == 0 || n == 0) return;
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c,
              ldc);
}

void ops_linear(const float* x, int rows, const CpuLinear& l, float* y) {
  if (l.w == nullptr || l.out <= 0 || l.in <= 0) {
    throw std::logic_error("ops_linear: unbound weight (out=" + std::to_string(l.out) +
                           ", in=" + std::to_string(l.in) + ")");
  }
  ops_matmul_nt(rows, l.out, l.in, 1.0f, x, l.in, l.w, l.in, 0.0f, y, l.out);
  if (l.b != nullptr) {
    for (int r = 0; r < rows; ++r) {
      float* yr = y + static_cast<int64_t>(r) * l.out;
      for (int o = 0; o < l.out; ++o) yr[o] += l.b[o];
    }
  }
}

void ops_rmsnorm(const float* x, int64_t rows, int dim, const float* w, double eps, float* y) {
  ref_rmsnorm_f32(x, rows, dim, w, static_cast<float>(eps), y);
}

void ops_silu_mul(float* gate, const float* up, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float g = gate[i];
    gate[i] = g / (1.0f + std::exp(-g)) * up[i];
  }
}

void ops_softmax(float* x, int n) {
  float m = -INFINITY;
  for (int i = 0; i < n; ++i) m = std::max(m, x[i]);
  float sum = 0.0f;
  for (int i = 0; i < n; ++i) {
    x[i] = std::exp(x[i] - m);
    sum += x[i];
  }
  for (int i = 0; i < n; ++i) x[i] /= sum;
}

void rope_apply(float* x, int n_heads, int head_stride, int dim, const float* c, const float* s,
                RopePairing style) {
  float tmp[1024] = {};  // one head's rotated dims
  if (dim > 1024 || dim % 2 != 0) {
    throw std::logic_error("rope_apply: rotary dim " + std::to_string(dim) +
                           " must be even and <= 1024");
  }
  for (int h = 0; h < n_heads; ++h) {
    float* v = x + static_cast<int64_t>(h) * head_stride;
    ref_rope_rotate(v, dim, c, s, style, tmp);
    std::copy(tmp, tmp + dim, v);
  }
}

}  // namespace moebench
