// CPU-only tests of kernels/: bf16 rounding, the comparison helper and each CPU reference against
// hand-computed values. These run everywhere, with or without CUDA.
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "kernels/bf16.h"
#include "kernels/reference.h"
#include "tests/catch.h"
#include "tests/kernels/kernel_compare.h"

namespace moebench {
namespace {

constexpr float kPi = 3.14159265358979f;

TEST_CASE("bf16 rounds to nearest even and keeps specials", "[kernels]") {
  CHECK(f32_to_bf16(1.0f) == 0x3f80);
  CHECK(bf16_to_f32(f32_to_bf16(-2.5f)) == -2.5f);
  // 1 + 2^-8 is halfway between 1 and 1 + 2^-7: ties go to the even mantissa (1.0).
  CHECK(bf16_round(1.0f + std::ldexp(1.0f, -8)) == 1.0f);
  // 1 + 3 * 2^-8 is halfway between 1 + 2^-7 and 1 + 2^-6: ties go to 1 + 2^-6.
  CHECK(bf16_round(1.0f + 3 * std::ldexp(1.0f, -8)) == 1.0f + std::ldexp(1.0f, -6));
  CHECK(std::isnan(bf16_round(std::numeric_limits<float>::quiet_NaN())));
  CHECK(bf16_round(INFINITY) == INFINITY);
  CHECK(bf16_round(-INFINITY) == -INFINITY);
  CHECK(bf16_round(3.4e38f) == INFINITY);  // above the largest bf16, rounds up to inf
}

TEST_CASE("compare_close flags tolerance, NaN and Inf mismatches", "[kernels]") {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  CHECK(test::compare_close({1.0f, nan, INFINITY}, {1.005f, nan, INFINITY}).ok);
  const auto r = test::compare_close({1.0f, 2.0f, 3.0f}, {1.0f, 2.5f, 3.01f});
  CHECK_FALSE(r.ok);
  CHECK(r.worst == 1);
  CHECK(r.n_bad == 1);
  CHECK_FALSE(test::compare_close({nan}, {0.0f}).ok);
  CHECK_FALSE(test::compare_close({INFINITY}, {-INFINITY}).ok);
  CHECK_FALSE(test::compare_close({1.0f}, {1.0f, 2.0f}).ok);
}

TEST_CASE("ref_embedding_gather copies rows and zeroes bad ids", "[kernels]") {
  const std::vector<float> table = {1, 2, 3, 4, 5, 6};  // (3, 2)
  std::vector<float> out;
  CHECK(ref_embedding_gather({2, 0, -1, 3}, table, 3, 2, out) == 2);
  CHECK(out == std::vector<float>{5, 6, 1, 2, 0, 0, 0, 0});
  // A previous step's sampled ids, by negative index: -1 - 1 is prev[1] = 0; prev has no [2].
  const std::vector<int32_t> prev = {2, 0};
  CHECK(ref_embedding_gather({-2, 1, -3, -1}, table, 3, 2, out, &prev) == 1);
  CHECK(out == std::vector<float>{1, 2, 3, 4, 0, 0, 5, 6});
}

TEST_CASE("ref_rmsnorm matches a hand-computed row", "[kernels]") {
  std::vector<float> y;
  ref_rmsnorm({3.0f, 4.0f}, {1.0f, 2.0f}, 1, 2, 0.0f, y);
  const float inv = 1.0f / std::sqrt(12.5f);  // mean(9, 16) = 12.5
  CHECK(y[0] == bf16_round(3.0f * inv));
  CHECK(y[1] == bf16_round(2.0f * (4.0f * inv)));
  std::vector<float> residual = {1.0f, 1.0f};
  ref_rmsnorm_residual(residual, {2.0f, 3.0f}, {1.0f, 2.0f}, 1, 2, 0.0f, y);
  CHECK(residual == std::vector<float>{3.0f, 4.0f});
  CHECK(y[1] == bf16_round(2.0f * (4.0f * inv)));
}

TEST_CASE("ref_rmsnorm_residual_f32 keeps what a bf16 residual stream rounds away", "[kernels]") {
  // 256 + 1 needs 9 significant bits: the bf16 stream (8) stays at 256, the f32 one holds 257.
  std::vector<float> bf16_stream = {256.0f, 0.0f}, f32_stream = {256.0f, 0.0f}, y;
  ref_rmsnorm_residual(bf16_stream, {1.0f, 1.0f}, {1.0f, 1.0f}, 1, 2, 0.0f, y);
  CHECK(bf16_stream[0] == 256.0f);
  ref_rmsnorm_residual_f32(f32_stream, {1.0f, 1.0f}, false, {1.0f, 1.0f}, 1, 2, 0.0f, y);
  CHECK(f32_stream == std::vector<float>{257.0f, 1.0f});
  const float inv = 1.0f / std::sqrt((257.0f * 257.0f + 1.0f) / 2.0f);
  CHECK(y[0] == bf16_round(257.0f * inv));
  ref_rmsnorm_residual_f32(f32_stream, {3.0f, 4.0f}, true, {1.0f, 1.0f}, 1, 2, 0.0f, y);  // init
  CHECK(f32_stream == std::vector<float>{3.0f, 4.0f});
  // y + y_lo carries the f32 norm to ~16 bits where y alone keeps 8: 3 / sqrt(12.5) is not a
  // bf16 value.
  std::vector<float> lo;
  ref_rmsnorm_residual_f32(f32_stream, {3.0f, 4.0f}, true, {1.0f, 1.0f}, 1, 2, 0.0f, y, &lo);
  const float n = 3.0f * (1.0f / std::sqrt(12.5f));
  CHECK(y[0] == bf16_round(n));
  CHECK(std::abs(y[0] - n) > std::abs(n) / 65536);
  CHECK(std::abs(y[0] + lo[0] - n) <= std::abs(n) / 65536);
}

TEST_CASE("ref_swiglu computes silu(gate) * up with row strides", "[kernels]") {
  const std::vector<float> gu = {0.0f, 1.0f, 5.0f, 2.0f};  // (1, 2 * 2): [gate | up]
  std::vector<float> out;
  ref_swiglu(gu.data(), 4, gu.data() + 2, 4, 1, 2, out);
  CHECK(out[0] == 0.0f);
  CHECK(std::abs(out[1] - 2.0f / (1.0f + std::exp(-1.0f))) < 1e-2f);
}

// x = [1, 2, 3, 4], pair 0 turned by 90 degrees, pair 1 by 180 (inv_freq {pi/2, pi}, pos 1).
std::vector<float> rope_hand_case(RopePairing pairing) {
  std::vector<float> x = {9, 1, 2, 3, 4, 9};  // (1 token, 1 head, stride 6), rotated at 1..4
  RopeArgs a;
  a.n_tokens = 1;
  a.token_stride = 6;
  a.n_heads = 1;
  a.head_stride = 6;
  a.rot_offset = 1;
  a.dim = 4;
  a.pairing = pairing;
  ref_rope_apply(x, {1}, {kPi / 2, kPi}, a);
  for (float& v : x) v = std::round(v * 1000.0f) / 1000.0f;  // cos(pi/2) is -4e-8 in f32
  return x;
}

TEST_CASE("ref_rope_apply pairs dims like HF for all three styles", "[kernels]") {
  // half: pairs (x0, x2), (x1, x3) -> [-3, -2, 1, -4]
  CHECK(rope_hand_case(RopePairing::half) == std::vector<float>{9, -3, -2, 1, -4, 9});
  // deepseek-v3: pairs (x0, x1), (x2, x3), real parts first then imaginary -> [-2, -3, 1, -4]
  CHECK(rope_hand_case(RopePairing::interleaved) == std::vector<float>{9, -2, -3, 1, -4, 9});
  // deepseek-v2: same pairs written back in place -> [-2, 1, -3, -4]
  CHECK(rope_hand_case(RopePairing::pairs) == std::vector<float>{9, -2, 1, -3, -4, 9});
}

TEST_CASE("ref_rope_apply scales by attention_factor and leaves pos 0 unrotated", "[kernels]") {
  std::vector<float> x = {1, 2, 3, 4};
  RopeArgs a;
  a.n_tokens = 1;
  a.token_stride = 4;
  a.n_heads = 2;
  a.head_stride = 2;
  a.dim = 2;
  a.attention_factor = 2.0f;
  ref_rope_apply(x, {0}, {1.0f}, a);
  CHECK(x == std::vector<float>{2, 4, 6, 8});
}

}  // namespace
}  // namespace moebench
