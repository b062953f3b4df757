// CPU reference ops: OpenBLAS products, RMSNorm, SiLU, softmax, RoPE / YaRN (HF f32 arithmetic).
#include "backends/builtin/engine_cpu_ops.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <stdexcept>
#include <string>

#include "common/error.h"

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
  const float feps = static_cast<float>(eps);
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * dim;
    float* yr = y + r * dim;
    // NOTE: the mean of squares is summed in double; torch sums f32 pairwise, both are within an
    // ulp or two of the exact value, far below the 1e-4 parity bound.
    double ss = 0.0;
    for (int i = 0; i < dim; ++i) ss += static_cast<double>(xr[i]) * xr[i];
    const float variance = static_cast<float>(ss / dim);
    const float inv = 1.0f / std::sqrt(variance + feps);
    for (int i = 0; i < dim; ++i) {
      const float n = xr[i] * inv;
      yr[i] = w != nullptr ? w[i] * n : n;
    }
  }
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

double yarn_get_mscale(double scale, double mscale) {
  if (scale <= 1.0) return 1.0;
  return 0.1 * mscale * std::log(scale) + 1.0;
}

namespace {

// HF: base ** (torch.arange(0, dim, 2, dtype=float) / dim), all in f32.
std::vector<float> rope_pos_freqs(double theta, int dim) {
  std::vector<float> f(dim / 2);
  for (int i = 0; i < dim / 2; ++i) {
    const float e = static_cast<float>(2 * i) / static_cast<float>(dim);
    f[i] = std::pow(static_cast<float>(theta), e);
  }
  return f;
}

// HF find_correction_dim: the dim index whose wavelength makes `num_rotations` turns over the
// original context.
double yarn_correction_dim(double num_rotations, int dim, double base, double max_pos) {
  return (dim * std::log(max_pos / (num_rotations * 2 * std::numbers::pi))) / (2 * std::log(base));
}

RopeTable rope_init_yarn(const RopeConfig& rope, int dim) {
  if (rope.original_max_position <= 0) {
    throw InputError("rope: yarn needs original_max_position_embeddings > 0, got " +
                     std::to_string(rope.original_max_position));
  }
  const double factor = rope.factor;
  RopeTable t;
  t.dim = dim;
  double attention_factor = yarn_get_mscale(factor, 1.0);
  if (rope.mscale != 0.0 && rope.mscale_all_dim != 0.0) {
    attention_factor =
        yarn_get_mscale(factor, rope.mscale) / yarn_get_mscale(factor, rope.mscale_all_dim);
  }
  t.attention_factor = static_cast<float>(attention_factor);
  const double beta_fast = rope.beta_fast != 0.0 ? rope.beta_fast : 32.0;
  const double beta_slow = rope.beta_slow != 0.0 ? rope.beta_slow : 1.0;
  // truncate = true (the HF default): floor / ceil the correction range.
  double low =
      std::floor(yarn_correction_dim(beta_fast, dim, rope.theta, rope.original_max_position));
  double high =
      std::ceil(yarn_correction_dim(beta_slow, dim, rope.theta, rope.original_max_position));
  low = std::max(low, 0.0);
  high = std::min(high, static_cast<double>(dim - 1));
  if (low == high) high += 0.001;  // HF: prevent singularity
  const std::vector<float> pos_freqs = rope_pos_freqs(rope.theta, dim);
  t.inv_freq.resize(dim / 2);
  for (int i = 0; i < dim / 2; ++i) {
    const float extrapolation = 1.0f / pos_freqs[i];
    const float interpolation = 1.0f / (static_cast<float>(factor) * pos_freqs[i]);
    float ramp = (static_cast<float>(i) - static_cast<float>(low)) / static_cast<float>(high - low);
    ramp = std::clamp(ramp, 0.0f, 1.0f);
    const float extrapolation_factor = 1.0f - ramp;
    t.inv_freq[i] =
        interpolation * (1.0f - extrapolation_factor) + extrapolation * extrapolation_factor;
  }
  return t;
}

}  // namespace

RopeTable rope_init_table(const RopeConfig& rope, int dim) {
  if (dim <= 0 || dim % 2 != 0) {
    throw InputError("rope: rotary dim must be even and positive, got " + std::to_string(dim));
  }
  if (rope.type == "yarn") return rope_init_yarn(rope, dim);
  if (rope.type != "default") {
    throw InputError("rope: unsupported rope type '" + rope.type + "' (supported: default, yarn)");
  }
  RopeTable t;
  t.dim = dim;
  const std::vector<float> pos_freqs = rope_pos_freqs(rope.theta, dim);
  t.inv_freq.resize(dim / 2);
  for (int i = 0; i < dim / 2; ++i) t.inv_freq[i] = 1.0f / pos_freqs[i];
  return t;
}

void rope_angles(const RopeTable& t, int64_t pos, float* cos_out, float* sin_out) {
  // HF: freqs = inv_freq (f32) @ position (f32); cos = emb.cos() * attention_scaling, all f32.
  const float p = static_cast<float>(pos);
  for (int i = 0; i < t.dim / 2; ++i) {
    const float f = t.inv_freq[i] * p;
    cos_out[i] = std::cos(f) * t.attention_factor;
    sin_out[i] = std::sin(f) * t.attention_factor;
  }
}

void rope_apply(float* x, int n_heads, int head_stride, int dim, const float* c, const float* s,
                RopeStyle style) {
  const int half = dim / 2;
  float tmp[1024] = {};  // one head's rotated dims
  if (dim > 1024 || dim % 2 != 0) {
    throw std::logic_error("rope_apply: rotary dim " + std::to_string(dim) +
                           " must be even and <= 1024");
  }
  for (int h = 0; h < n_heads; ++h) {
    float* v = x + static_cast<int64_t>(h) * head_stride;
    for (int i = 0; i < half; ++i) {
      if (style == RopeStyle::half) {
        const float a = v[i], b = v[i + half];
        tmp[i] = a * c[i] - b * s[i];
        tmp[i + half] = b * c[i] + a * s[i];
      } else {
        const float a = v[2 * i], b = v[2 * i + 1];
        const float ra = a * c[i] - b * s[i];
        const float rb = b * c[i] + a * s[i];
        if (style == RopeStyle::interleaved) {
          tmp[i] = ra;
          tmp[i + half] = rb;
        } else {
          tmp[2 * i] = ra;
          tmp[2 * i + 1] = rb;
        }
      }
    }
    std::copy(tmp, tmp + dim, v);
  }
}

double mla_softmax_scale(const ModelConfig& config) {
  double scale = 1.0 / std::sqrt(static_cast<double>(config.q_head_dim()));
  if (config.rope.type != "default" && config.rope.mscale_all_dim != 0.0) {
    const double m = yarn_get_mscale(config.rope.factor, config.rope.mscale_all_dim);
    scale *= m * m;
  }
  return scale;
}

}  // namespace moebench
