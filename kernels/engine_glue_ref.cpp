// CPU references of kernels/engine_glue.h, on f32 vectors holding bf16 values.
#include <cmath>
#include <vector>

#include "kernels/bf16.h"
#include "kernels/engine_glue.h"

namespace moebench {

void ref_bias_add(std::vector<float>& y, int64_t ld_y, int64_t rows, int64_t n,
                  const std::vector<float>& bias) {
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t i = 0; i < n; ++i) y[r * ld_y + i] = bf16_round(y[r * ld_y + i] + bias[i]);
  }
}

void ref_rmsnorm_strided(const std::vector<float>& x, int64_t ld_x, const std::vector<float>& w,
                         int64_t rows, int heads, int64_t dim, float eps, std::vector<float>& y,
                         int64_t ld_y) {
  for (int64_t r = 0; r < rows; ++r) {
    for (int h = 0; h < heads; ++h) {
      const int64_t xs = r * ld_x + h * dim, ys = r * ld_y + h * dim;
      double ss = 0.0;
      for (int64_t i = 0; i < dim; ++i) ss += static_cast<double>(x[xs + i]) * x[xs + i];
      const float inv = static_cast<float>(1.0 / std::sqrt(ss / static_cast<double>(dim) + eps));
      const std::vector<float> seg(x.begin() + xs, x.begin() + xs + dim);
      for (int64_t i = 0; i < dim; ++i) y[ys + i] = bf16_round(w[i] * (seg[i] * inv));
    }
  }
}

void ref_sigmoid_scale_rows(std::vector<float>& y, int64_t ld_y, int64_t rows, int64_t n,
                            const std::vector<float>& gate) {
  for (int64_t r = 0; r < rows; ++r) {
    const float s = 1.0f / (1.0f + std::exp(-gate[r]));
    for (int64_t i = 0; i < n; ++i) y[r * ld_y + i] = bf16_round(y[r * ld_y + i] * s);
  }
}

}  // namespace moebench
