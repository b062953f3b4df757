// [gpu] The SwiGLU fused into a dense skinny GEMM (GemmArgs::a_swiglu: an MLP's down projection
// reading its [gate | up] rows): bit-identical to cuda_swiglu then the skinny GEMM, close to
// ref_gemm, over decode's row counts and widths across the 512-value staging chunks; and
// cuda_gemm refusing it where cuBLAS would run.
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernels/bf16.h"
#include "kernels/gemm.h"
#include "kernels/ops.h"
#include "tests/catch.h"
#include "tests/kernels/kernel_compare.h"

#ifdef MOEBENCH_HAVE_CUDA
#include "kernels/cuda_check.h"
#include "kernels/device_buffer.h"
#include "tests/kernels/gpu_test_stream.h"
#endif

namespace moebench {
namespace {

#ifdef MOEBENCH_HAVE_CUDA
void check_gemm_swiglu(int64_t m, int64_t n, int64_t k) {
  CAPTURE(m, n, k);
  const std::vector<float> gu = test::random_bf16(m * 2 * k, 101, -3.0f, 3.0f);
  const std::vector<float> w = test::random_bf16(n * k, 102, -1.0f, 1.0f);
  TestStream st;
  DeviceBuffer<bf16_bits> d_gu(bf16_from_f32(gu)), d_w(bf16_from_f32(w)), d_act(m * k);
  DeviceBuffer<bf16_bits> d_fused(bf16_from_f32(std::vector<float>(m * n, NAN))), d_split(m * n);
  GemmArgs fused =
      gemm_args_dense(m, n, k, d_gu.data(), d_w.data(), d_fused.data(), GemmAlgo::skinny);
  fused.lda = 2 * k;
  fused.a_swiglu = true;
  cuda_gemm_skinny(fused, st.s);
  cuda_swiglu(d_gu.data(), 2 * k, d_gu.data() + k, 2 * k, m, k, d_act.data(), st.s);
  cuda_gemm_skinny(
      gemm_args_dense(m, n, k, d_act.data(), d_w.data(), d_split.data(), GemmAlgo::skinny), st.s);
  st.sync();
  const std::vector<bf16_bits> a = d_fused.download(), b = d_split.download();
  int64_t differ = 0;
  for (size_t i = 0; i < a.size(); ++i) differ += a[i] != b[i];
  CHECK(differ == 0);
  std::vector<float> want(m * n, 0.0f);
  GemmArgs ref = fused;
  ref_gemm(gu, w, want, ref);
  const auto r = test::compare_close(bf16_to_f32(a), want, 2e-2, 1e-2);
  INFO(r.message);
  CHECK(r.ok);
}
#endif

TEST_CASE("the SwiGLU fused into the skinny GEMM matches the two launches", "[gpu]") {
  MOEBENCH_REQUIRE_GPU();
#ifdef MOEBENCH_HAVE_CUDA
  for (int64_t m : {int64_t{1}, int64_t{3}, int64_t{4}, int64_t{16}}) {
    check_gemm_swiglu(m, 2048, 2816);  // V2-Lite's shared experts' down projection
    check_gemm_swiglu(m, 40, 24);      // one partial chunk
    check_gemm_swiglu(m, 33, 77);      // odd k: the scalar path
  }
  check_gemm_swiglu(1, 2048, 10944);  // V2-Lite's dense first layer
  // Up to 4 rows the columns a warp follow n: 1 below 4096 (above), 2, then 4 from 16384.
  check_gemm_swiglu(2, 5000, 600);
  check_gemm_swiglu(3, 16400, 264);
  // cuda_gemm runs it through the skinny kernel only.
  CublasContext blas;
  DeviceBuffer<bf16_bits> buf(5 * 16);
  GemmArgs g = gemm_args_dense(5, 8, 8, buf.data(), buf.data(), buf.data());
  g.lda = 16;
  g.a_swiglu = true;  // m 5 > 4: automatic would pick cuBLAS
  std::string error;
  try {
    cuda_gemm(blas, g, nullptr);
  } catch (const std::invalid_argument& e) {
    error = e.what();
  }
  CHECK(error.find("a_swiglu needs the skinny kernel") != std::string::npos);
#endif
}

}  // namespace
}  // namespace moebench
