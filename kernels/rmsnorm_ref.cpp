// RMSNorm on the CPU: the f32 core the CPU engine runs, and the references of cuda_rmsnorm,
// cuda_rmsnorm_residual and cuda_rmsnorm_residual_f32 (the same with bf16 outputs).
#include <cmath>

#include "kernels/reference.h"

namespace moebench {

void ref_rmsnorm_f32(const float* x, int64_t rows, int64_t dim, const float* w, float eps,
                     float* y) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * dim;
    float* yr = y + r * dim;
    // NOTE: the mean of squares is summed in double; torch sums f32 pairwise and the GPU an f32
    // tree: all are within an ulp or two of the exact value, far below the 1e-4 parity bound.
    double ss = 0.0;
    for (int64_t i = 0; i < dim; ++i) ss += static_cast<double>(xr[i]) * xr[i];
    const float variance = static_cast<float>(ss / static_cast<double>(dim));
    const float inv = 1.0f / std::sqrt(variance + eps);
    for (int64_t i = 0; i < dim; ++i) {
      const float n = xr[i] * inv;
      yr[i] = w != nullptr ? w[i] * n : n;
    }
  }
}

void ref_rmsnorm(const std::vector<float>& x, const std::vector<float>& w, int64_t rows,
                 int64_t dim, float eps, std::vector<float>& y) {
  y.resize(rows * dim);  // (rows, dim)
  ref_rmsnorm_f32(x.data(), rows, dim, w.data(), eps, y.data());
  for (float& v : y) v = bf16_round(v);
}

void ref_rmsnorm_residual_f32(std::vector<float>& residual, const std::vector<float>& x, bool init,
                              const std::vector<float>& w, int64_t rows, int64_t dim, float eps,
                              std::vector<float>& y, std::vector<float>* y_lo) {
  residual.resize(rows * dim);
  for (int64_t i = 0; i < rows * dim; ++i) residual[i] = init ? x[i] : residual[i] + x[i];
  std::vector<float> n(rows * dim);  // (rows, dim) the f32 norm
  ref_rmsnorm_f32(residual.data(), rows, dim, w.data(), eps, n.data());
  y.resize(rows * dim);
  for (int64_t i = 0; i < rows * dim; ++i) y[i] = bf16_round(n[i]);
  if (y_lo != nullptr) {
    y_lo->resize(rows * dim);
    for (int64_t i = 0; i < rows * dim; ++i) (*y_lo)[i] = bf16_round(n[i] - y[i]);
  }
}

void ref_rmsnorm_residual(std::vector<float>& residual, const std::vector<float>& x,
                          const std::vector<float>& w, int64_t rows, int64_t dim, float eps,
                          std::vector<float>& y) {
  for (int64_t i = 0; i < rows * dim; ++i) residual[i] = bf16_round(residual[i] + x[i]);
  ref_rmsnorm(residual, w, rows, dim, eps, y);
}

}  // namespace moebench
