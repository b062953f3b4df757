// CPU reference of cuda_rmsnorm / cuda_rmsnorm_residual: the engine's f32 RMSNorm, bf16 outputs.
#include <cmath>

#include "kernels/reference.h"

namespace moebench {

void ref_rmsnorm(const std::vector<float>& x, const std::vector<float>& w, int64_t rows,
                 int64_t dim, float eps, std::vector<float>& y) {
  y.resize(rows * dim);  // (rows, dim)
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x.data() + r * dim;
    float* yr = y.data() + r * dim;
    double ss = 0.0;  // NOTE: double like engine_cpu_ops; the GPU's f32 tree sum is within an ulp
    for (int64_t i = 0; i < dim; ++i) ss += static_cast<double>(xr[i]) * xr[i];
    const float variance = static_cast<float>(ss / static_cast<double>(dim));
    const float inv = 1.0f / std::sqrt(variance + eps);
    for (int64_t i = 0; i < dim; ++i) yr[i] = bf16_round(w[i] * (xr[i] * inv));
  }
}

void ref_rmsnorm_residual(std::vector<float>& residual, const std::vector<float>& x,
                          const std::vector<float>& w, int64_t rows, int64_t dim, float eps,
                          std::vector<float>& y) {
  for (int64_t i = 0; i < rows * dim; ++i) residual[i] = bf16_round(residual[i] + x[i]);
  ref_rmsnorm(residual, w, rows, dim, eps, y);
}

}  // namespace moebench
