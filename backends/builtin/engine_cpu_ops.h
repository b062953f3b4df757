// CPU reference ops of the built-in engine: Linear via OpenBLAS, RMSNorm, SiLU, softmax and
// rotary embeddings (default and YaRN), each written to match HF transformers' f32 arithmetic.
#pragma once

#include <cstdint>
#include <vector>

#include "backends/builtin/model_config.h"

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

// Rotary embedding parameters of one model: HF `rope_init_fn` output.
struct RopeTable {
  int dim = 0;                    // rotated dims per head (even)
  std::vector<float> inv_freq;    // (dim / 2), f32 like the HF buffer
  float attention_factor = 1.0f;  // multiplied into cos and sin (YaRN)
};

// Default RoPE (1 / theta^(2i/dim)) or YaRN (HF `_compute_yarn_parameters`, truncate = true).
// Throws InputError for other rope types.
RopeTable rope_init_table(const RopeConfig& rope, int dim);

// How the rotated dims are paired.
enum class RopeStyle {
  half,  // (x[i], x[i + dim/2]) pairs: rotate_half (qwen, mixtral, olmoe, deepseek w/o interleave)
  interleaved,  // (x[2i], x[2i+1]) pairs, output de-interleaved: HF deepseek_v3 rope_interleave
  pairs         // (x[2i], x[2i+1]) pairs, output in place: HF deepseek_v2 complex (view_as_complex)
};

// cos/sin rows for one position: (dim / 2) each, already times attention_factor.
void rope_angles(const RopeTable& t, int64_t pos, float* cos_out, float* sin_out);

// Rotates n_heads vectors in place: head h occupies x[h * head_stride .. + t.dim).
void rope_apply(float* x, int n_heads, int head_stride, int dim, const float* cos_row,
                const float* sin_row, RopeStyle style);

// DeepSeek (v2/v3) attention softmax scale: qk_head_dim^-0.5 · mscale(factor, mscale_all_dim)²
// when the rope type is not default and mscale_all_dim is set (HF yarn_apply_mscale).
double mla_softmax_scale(const ModelConfig& config);

// HF yarn_get_mscale: 0.1 · mscale · ln(scale) + 1 for scale > 1, else 1.
double yarn_get_mscale(double scale, double mscale);

}  // namespace moebench
