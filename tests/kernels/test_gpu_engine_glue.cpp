// [gpu] tests of kernels/engine_glue.h against their CPU references over ragged, strided rows,
// plus CPU checks of the references themselves.
#include <cmath>
#include <functional>
#include <vector>

#include "kernels/bf16.h"
#include "kernels/engine_glue.h"
#include "tests/catch.h"
#include "tests/kernels/kernel_compare.h"

#ifdef MOEBENCH_HAVE_CUDA
#include "kernels/device_buffer.h"
#endif

namespace moebench {
namespace {

void require_close(const std::vector<float>& got, const std::vector<float>& want) {
  const auto r = test::compare_close(got, want, 1e-2, 1e-2);
  INFO(r.message);
  REQUIRE(r.ok);
}

TEST_CASE("glue references compute by hand-checked values", "[kernels]") {
  std::vector<float> y = {1.0f, 2.0f, 9.0f, 3.0f, 4.0f, 9.0f};  // 2 rows of 2, ld 3
  ref_bias_add(y, 3, 2, 2, {0.5f, -1.0f});
  CHECK(y == std::vector<float>{1.5f, 1.0f, 9.0f, 3.5f, 3.0f, 9.0f});
  std::vector<float> x = {3.0f, 4.0f, 7.0f};  // one row, dim 2, ld 3: rms = sqrt(12.5)
  std::vector<float> out(3, 0.0f);
  ref_rmsnorm_strided(x, 3, {1.0f, 2.0f}, 1, 1, 2, 0.0f, out, 3);
  CHECK(std::abs(out[0] - bf16_round(3.0f / std::sqrt(12.5f))) < 1e-6f);
  CHECK(std::abs(out[1] - bf16_round(8.0f / std::sqrt(12.5f))) < 1e-6f);
  CHECK(out[2] == 0.0f);
  std::vector<float> s = {2.0f, 4.0f};
  ref_sigmoid_scale_rows(s, 2, 1, 2, {0.0f});
  CHECK(s == std::vector<float>{1.0f, 2.0f});
}

#ifdef MOEBENCH_HAVE_CUDA
std::vector<float> run_on_gpu(const std::vector<float>& host,
                              const std::function<void(bf16_bits*)>& fn) {
  DeviceBuffer<bf16_bits> d(bf16_from_f32(host));
  fn(d.data());
  CUDA_CHECK(cudaDeviceSynchronize());
  return bf16_to_f32(d.download());
}
#endif

TEST_CASE("engine glue kernels match their references", "[gpu]") {
  MOEBENCH_REQUIRE_GPU();
#ifdef MOEBENCH_HAVE_CUDA
  for (int64_t rows : {1, 33, 300}) {
    for (int64_t n : {8, 40, 512, 1000}) {
      CAPTURE(rows, n);
      const int64_t ld = n + 24;
      const std::vector<float> base = test::random_bf16(rows * ld, 7);
      const std::vector<float> bias = test::random_bf16(n, 8);
      std::vector<float> want = base;
      ref_bias_add(want, ld, rows, n, bias);
      DeviceBuffer<bf16_bits> db(bf16_from_f32(bias));
      require_close(
          run_on_gpu(base,
                     [&](bf16_bits* p) { cuda_bias_add(p, ld, rows, n, db.data(), nullptr); }),
          want);

      const std::vector<float> w = test::random_bf16(n, 9);
      DeviceBuffer<bf16_bits> dw(bf16_from_f32(w));
      for (int heads : {1, 3}) {
        const int64_t dim = n / 8 * (heads == 1 ? 8 : 2);  // heads * dim <= n
        want = base;
        ref_rmsnorm_strided(base, ld, w, rows, heads, dim, 1e-6f, want, ld);
        require_close(run_on_gpu(base,
                                 [&](bf16_bits* p) {
                                   cuda_rmsnorm_strided(p, ld, dw.data(), rows, heads, dim, 1e-6f,
                                                        p, ld, nullptr);
                                 }),
                      want);
      }

      // Copy a (rows, 2 heads, 8) slice at head stride n / 2 + 4 into a packed (rows, 2, 8).
      CopyHeadsArgs c;
      c.src_token_stride = ld;
      c.src_head_stride = n / 2 + 4;
      c.dst_token_stride = 16;
      c.dst_head_stride = 8;
      c.tokens = rows;
      c.heads = 2;
      c.width = 8;
      DeviceBuffer<bf16_bits> src(bf16_from_f32(base));
      DeviceBuffer<bf16_bits> dst(static_cast<size_t>(rows) * 16);
      c.src = src.data();
      c.dst = dst.data();
      cuda_copy_heads(c, nullptr);
      CUDA_CHECK(cudaDeviceSynchronize());
      std::vector<float> want_copy(rows * 16);
      for (int64_t t = 0; t < rows; ++t) {
        for (int h = 0; h < 2; ++h) {
          for (int i = 0; i < 8; ++i) {
            want_copy[t * 16 + h * 8 + i] = base[t * ld + h * c.src_head_stride + i];
          }
        }
      }
      CHECK(bf16_to_f32(dst.download()) == want_copy);

      const std::vector<float> gate = test::random_bf16(rows, 10, -4.0f, 4.0f);
      DeviceBuffer<float> dg(gate);
      want = base;
      ref_sigmoid_scale_rows(want, ld, rows, n, gate);
      require_close(run_on_gpu(base,
                               [&](bf16_bits* p) {
                                 cuda_sigmoid_scale_rows(p, ld, rows, n, dg.data(), nullptr);
                               }),
                    want);
    }
  }
#endif
}

}  // namespace
}  // namespace moebench
