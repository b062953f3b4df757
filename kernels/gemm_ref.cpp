// CPU reference of cuda_gemm (kernels/gemm.h): row-major views with leading dims and batch strides,
// double accumulation, alpha/beta epilogue, bf16 rounding unless the output is f32.
#include <climits>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernels/bf16.h"
#include "kernels/gemm.h"
#include "kernels/launch_check.h"
#include "kernels/reference.h"

namespace moebench {
namespace {

// Index one past the last element a (batch, rows, ld) view with cols columns touches.
int64_t view_end(int batch, int64_t stride, int64_t rows, int64_t ld, int64_t cols) {
  return (batch - 1) * stride + (rows - 1) * ld + cols;
}

void ref_gemm_sizes_check(const std::vector<float>& a, const std::vector<float>& b,
                          const std::vector<float>& c, const GemmArgs& g) {
  const char* fn = "ref_gemm";
  const int64_t b_rows = g.b_transposed ? g.n : g.k, b_cols = g.b_transposed ? g.k : g.n;
  const int64_t need_a = view_end(g.batch, g.stride_a, g.m, g.lda, g.a_swiglu ? 2 * g.k : g.k);
  const int64_t need_b = view_end(g.batch, g.stride_b, b_rows, g.ldb, b_cols);
  const int64_t need_c = view_end(g.batch, g.stride_c, g.m, g.ldc, g.n);
  launch_require(static_cast<int64_t>(a.size()) >= need_a, fn, "a has ", a.size(),
                 " values, the view needs ", need_a);
  launch_require(static_cast<int64_t>(b.size()) >= need_b, fn, "b has ", b.size(),
                 " values, the view needs ", need_b);
  launch_require(static_cast<int64_t>(c.size()) >= need_c, fn, "c has ", c.size(),
                 " values, the view needs ", need_c);
}

}  // namespace

void ref_gemm(const std::vector<float>& a, const std::vector<float>& b, std::vector<float>& c,
              const GemmArgs& g, const std::vector<float>* a_lo) {
  gemm_args_check(g, "ref_gemm", false);
  if (g.m == 0) return;
  ref_gemm_sizes_check(a, b, c, g);
  launch_require(a_lo == nullptr || (a_lo->size() >= a.size() && g.batch == 1 && g.c_f32),
                 "ref_gemm", "a_lo must be as large as a, with batch 1 and an f32 c");
  if (g.a_swiglu) {  // the activation rows first (ref_swiglu rounds them to bf16), then plain
    std::vector<float> act;
    ref_swiglu(a.data(), g.lda, a.data() + g.k, g.lda, g.m, g.k, act);
    GemmArgs plain = g;
    plain.a_swiglu = false;
    plain.lda = g.k;
    ref_gemm(act, b, c, plain, nullptr);
    return;
  }
  // B(j, p): element (output column j, reduction index p) of op(B).
  const int64_t b_step_j = g.b_transposed ? g.ldb : 1, b_step_p = g.b_transposed ? 1 : g.ldb;
  for (int bi = 0; bi < g.batch; ++bi) {
    const float* ab = a.data() + bi * g.stride_a;
    const float* bb = b.data() + bi * g.stride_b;
    float* cb = c.data() + bi * g.stride_c;
    for (int64_t i = 0; i < g.m; ++i) {
      for (int64_t j = 0; j < g.n; ++j) {
        double acc = 0.0;
        for (int64_t p = 0; p < g.k; ++p) {
          double av = ab[i * g.lda + p];
          if (a_lo != nullptr) av += (*a_lo)[i * g.lda + p];
          acc += av * bb[j * b_step_j + p * b_step_p];
        }
        float& out = cb[i * g.ldc + j];
        double v = static_cast<double>(g.alpha) * acc;
        if (g.beta != 0.0f) v += static_cast<double>(g.beta) * out;
        out = g.c_f32 ? static_cast<float>(v) : bf16_round(static_cast<float>(v));
      }
    }
  }
}

}  // namespace moebench
