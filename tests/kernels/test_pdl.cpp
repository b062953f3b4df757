// Programmatic dependent launch (kernels/pdl.h): the stream registry (host code, runs without a
// device), and [gpu] a chain of converted kernels (GEMV, norm, SwiGLU, GEMV ...) on a marked
// stream, eagerly and replayed from a CUDA graph, giving the unmarked stream's bits.
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "kernels/bf16.h"
#include "kernels/gemm.h"
#include "kernels/ops.h"
#include "kernels/pdl.h"
#include "tests/catch.h"
#include "tests/kernels/kernel_compare.h"

#ifdef MOEBENCH_HAVE_CUDA
#include <cuda_runtime_api.h>

#include "kernels/cuda_check.h"
#include "kernels/device_buffer.h"
#include "tests/kernels/gpu_test_stream.h"
#endif

namespace moebench {
namespace {

#ifdef MOEBENCH_HAVE_CUDA
cudaStream_t fake_stream(uintptr_t n) { return reinterpret_cast<cudaStream_t>(n * 16); }

// x -> 6 rounds of [GEMV (m rows), residual norm, SwiGLU of two halves, GEMV] into y, on s.
struct PdlChain {
  int64_t m = 4, h = 256, inter = 128;
  DeviceBuffer<bf16_bits> w_up, w_down, norm_w, x, gu, act, y;
  DeviceBuffer<float> residual;

  PdlChain()
      : w_up(bf16_from_f32(test::random_bf16(2 * inter * h, 81, -0.1f, 0.1f))),
        w_down(bf16_from_f32(test::random_bf16(h * inter, 82, -0.1f, 0.1f))),
        norm_w(bf16_from_f32(test::random_bf16(h, 83, 0.5f, 1.5f))),
        x(bf16_from_f32(test::random_bf16(m * h, 84))),
        gu(m * 2 * inter),
        act(m * inter),
        y(m * h),
        residual(m * h) {}

  void run(CublasContext& blas, cudaStream_t s) {
    for (int round = 0; round < 6; ++round) {
      cuda_rmsnorm_residual_f32(residual.data(), round == 0 ? x.data() : y.data(), round == 0,
                                norm_w.data(), m, h, 1e-6f, y.data(), nullptr, s);
      cuda_gemm(
          blas,
          gemm_args_dense(m, 2 * inter, h, y.data(), w_up.data(), gu.data(), GemmAlgo::skinny), s);
      cuda_swiglu(gu.data(), 2 * inter, gu.data() + inter, 2 * inter, m, inter, act.data(), s);
      cuda_gemm(blas,
                gemm_args_dense(m, h, inter, act.data(), w_down.data(), y.data(), GemmAlgo::skinny),
                s);
    }
  }
};
#endif

TEST_CASE("cuda_stream_set_pdl marks and unmarks streams", "[kernels]") {
#ifndef MOEBENCH_HAVE_CUDA
  MOEBENCH_SKIP("kernels/pdl.h exists only in CUDA builds");
#else
  const cudaStream_t a = fake_stream(1), b = fake_stream(2);
  CHECK_FALSE(cuda_stream_pdl(a));
  cuda_stream_set_pdl(a, true);
  cuda_stream_set_pdl(a, true);  // marking twice holds one slot
  CHECK(cuda_stream_pdl(a));
  CHECK_FALSE(cuda_stream_pdl(b));
  CHECK_FALSE(cuda_stream_pdl(nullptr));
  CHECK_THROWS_AS(cuda_stream_set_pdl(nullptr, true), std::invalid_argument);
  cuda_stream_set_pdl(a, false);
  CHECK_FALSE(cuda_stream_pdl(a));
  // 64 at once; the 65th is refused, and unmarking one frees its slot.
  for (uintptr_t i = 0; i < 64; ++i) cuda_stream_set_pdl(fake_stream(100 + i), true);
  CHECK_THROWS_AS(cuda_stream_set_pdl(b, true), std::length_error);
  cuda_stream_set_pdl(fake_stream(100), false);
  cuda_stream_set_pdl(b, true);
  CHECK(cuda_stream_pdl(b));
  cuda_stream_set_pdl(b, false);
  for (uintptr_t i = 1; i < 64; ++i) cuda_stream_set_pdl(fake_stream(100 + i), false);
  CHECK_FALSE(cuda_stream_pdl(fake_stream(163)));
#endif
}

TEST_CASE("a chain of kernels launched programmatically gives the plain launches' bits", "[gpu]") {
  MOEBENCH_REQUIRE_GPU();
#ifdef MOEBENCH_HAVE_CUDA
  // The tree builds sm_90 code: on a Hopper GPU the kernels keep their waits.
  int device = 0, major = 0;
  CUDA_CHECK(cudaGetDevice(&device));
  CUDA_CHECK(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device));
  CHECK(cuda_pdl_supported() == (major >= 9));
  CublasContext blas;
  PdlChain plain, early, graphed;
  TestStream s_plain, s_early, s_graph;
  cuda_stream_set_pdl(s_early.s, true);
  cuda_stream_set_pdl(s_graph.s, true);
  plain.run(blas, s_plain.s);
  early.run(blas, s_early.s);
  const TestGraph graph(s_graph.s, [&] { graphed.run(blas, s_graph.s); });
  graph.replay();
  s_plain.sync();
  s_early.sync();
  s_graph.sync();
  cuda_stream_set_pdl(s_early.s, false);
  cuda_stream_set_pdl(s_graph.s, false);
  const std::vector<bf16_bits> want = plain.y.download();
  CHECK(early.y.download() == want);
  CHECK(graphed.y.download() == want);
#endif
}

}  // namespace
}  // namespace moebench
