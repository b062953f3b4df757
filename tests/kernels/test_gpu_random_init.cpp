// cuda_random_init against ref_random_init over ragged sizes and every kind ([gpu], within one
// bf16 ulp), and ref_random_init itself against hand-computed values (CPU).
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <vector>

#include "kernels/bf16.h"
#include "kernels/random_init.h"
#include "tests/catch.h"
#include "tests/kernels/kernel_compare.h"

#ifdef MOEBENCH_HAVE_CUDA
#include <cuda_runtime_api.h>

#include "kernels/cuda_check.h"
#include "kernels/device_buffer.h"
#endif

namespace moebench {
namespace {

constexpr int kKinds[] = {kRandomInitNormal, kRandomInitOnes, kRandomInitBias,
                          kRandomInitScoreBias};

// Distance in bf16 ulps between two bf16-representable floats of the same sign (0 when equal).
int64_t bf16_ulps(float a, float b) {
  if (a == b) return 0;
  if (std::signbit(a) != std::signbit(b)) return INT64_MAX;
  return std::abs(int64_t{f32_to_bf16(a)} - int64_t{f32_to_bf16(b)});
}

}  // namespace

TEST_CASE("ref_random_init: uniform counters match hand-computed splitmix64", "[random_init]") {
  // splitmix64(0) = 0xe220a8397b1dcdaf (the published first output of the generator); value i of
  // key k is splitmix64(k ^ splitmix64(i)) >> 40, scaled by 2^-24 (computed with Python).
  CHECK(ref_random_uniform(0, 0) == 10946269 * 0x1p-24f);
  CHECK(ref_random_uniform(0, 1) == 6177195 * 0x1p-24f);
  CHECK(ref_random_uniform(12345, 7) == 1686885 * 0x1p-24f);
}

TEST_CASE("ref_random_init: Box-Muller pair, ones, bias and score bias by hand", "[random_init]") {
  std::vector<float> v;
  ref_random_init(kRandomInitNormal, 0, 0.02, 3, v);
  REQUIRE(v.size() == 3);
  const double u1 = 1.0 - 10946269 * 0x1p-24, u2 = 6177195 * 0x1p-24;
  const double r = 0.02 * std::sqrt(-2.0 * std::log(u1)), theta = 6.283185307179586 * u2;
  CHECK(bf16_ulps(v[0], bf16_round(static_cast<float>(r * std::cos(theta)))) <= 1);
  CHECK(bf16_ulps(v[1], bf16_round(static_cast<float>(r * std::sin(theta)))) <= 1);
  std::vector<float> bias;
  ref_random_init(kRandomInitBias, 0, 0.02, 3, bias);
  CHECK(bf16_ulps(bias[0], bf16_round(static_cast<float>(0.1 * r * std::cos(theta)))) <= 1);
  std::vector<float> five;  // an odd tail: value 2 is the cos half of pair (2, 3)
  ref_random_init(kRandomInitNormal, 0, 0.02, 5, five);
  CHECK(five[2] == v[2]);

  ref_random_init(kRandomInitOnes, 9, 0.02, 4, v);
  CHECK(v == std::vector<float>(4, 1.0f));
  ref_random_init(kRandomInitScoreBias, 0, 0.02, 2, v);
  CHECK(v[0] == bf16_round(0.01f * (10946269 * 0x1p-24f)));
  CHECK(v[1] == bf16_round(0.01f * (6177195 * 0x1p-24f)));
}

TEST_CASE("ref_random_init: normal values have the requested moments", "[random_init]") {
  std::vector<float> v;
  ref_random_init(kRandomInitNormal, 42, 0.02, 100001, v);
  double sum = 0, sq = 0;
  for (float x : v) {
    sum += x;
    sq += double(x) * x;
  }
  const double mean = sum / v.size(), sd = std::sqrt(sq / v.size() - mean * mean);
  CHECK(std::abs(mean) < 0.001);
  CHECK(std::abs(sd - 0.02) < 0.0005);
}

TEST_CASE("cuda_random_init matches the reference within one bf16 ulp", "[gpu]") {
  MOEBENCH_REQUIRE_GPU();
#ifdef MOEBENCH_HAVE_CUDA
  cudaStream_t stream = nullptr;
  CUDA_CHECK(cudaStreamCreate(&stream));
  for (int kind : kKinds) {
    for (int64_t n : {int64_t{1}, int64_t{2}, int64_t{33}, int64_t{4097}, int64_t{1} << 20}) {
      CAPTURE(kind, n);
      const uint64_t key = 0x1234567890abcdefull ^ static_cast<uint64_t>(n);
      std::vector<float> want;
      ref_random_init(kind, key, 0.02, n, want);
      DeviceBuffer<bf16_bits> d_out(static_cast<size_t>(n));
      cuda_random_init(d_out.data(), n, kind, key, 0.02, stream);
      CUDA_CHECK(cudaStreamSynchronize(stream));
      const std::vector<float> got = bf16_to_f32(d_out.download());
      int64_t worst = -1, worst_ulps = 0, n_off = 0;
      for (int64_t i = 0; i < n; ++i) {
        const int64_t u = bf16_ulps(got[i], want[i]);
        n_off += u > 0;
        if (u > worst_ulps) worst_ulps = u, worst = i;
      }
      INFO("values off: " << n_off << ", worst " << worst_ulps << " ulps at index " << worst
                          << (worst >= 0 ? ": got " + std::to_string(got[worst]) + ", want " +
                                               std::to_string(want[worst])
                                         : std::string()));
      REQUIRE(worst_ulps <= 1);
      CHECK(n_off * 100 <= n);  // an ulp off only at rare rounding ties
    }
  }
  CUDA_CHECK(cudaStreamDestroy(stream));
#endif
}

// Argument checks throw before any CUDA call, so this runs in any CUDA build, device or not.
TEST_CASE("cuda_random_init rejects bad arguments", "[random_init]") {
#ifdef MOEBENCH_HAVE_CUDA
  bf16_bits* const dst = nullptr;
  CHECK_THROWS_AS(cuda_random_init(dst, -1, 0, 0, 0.02, nullptr), std::invalid_argument);
  CHECK_THROWS_AS(cuda_random_init(dst, 4, 4, 0, 0.02, nullptr), std::invalid_argument);
  CHECK_THROWS_AS(cuda_random_init(dst, 4, 0, 0, 0.0, nullptr), std::invalid_argument);
  CHECK_THROWS_AS(cuda_random_init(dst, 4, 0, 0, NAN, nullptr), std::invalid_argument);
  CHECK_THROWS_AS(cuda_random_init(dst, 4, 0, 0, 0.02, nullptr), std::invalid_argument);
  cuda_random_init(dst, 0, 0, 0, 0.02, nullptr);  // empty: nothing to launch
#else
  MOEBENCH_SKIP("built without CUDA: cuda_random_init is not defined");
#endif
}

}  // namespace moebench
