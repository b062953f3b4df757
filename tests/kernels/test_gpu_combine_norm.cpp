// cuda_moe_combine_rmsnorm_residual_f32 (the MoE combine fused into the next norm): its argument
// checks before any device work, and [gpu] the residual stream, the norm and its low part bit for
// bit as cuda_moe_combine then cuda_rmsnorm_residual_f32 leave them, and close to the CPU
// references of the two, with and without the shared experts' rows and a dropped slot.
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernels/bf16.h"
#include "kernels/moe_permute.h"
#include "kernels/ops.h"
#include "kernels/reference.h"
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
void check_combine_norm(int64_t n_tokens, int top_k, int64_t hidden, bool accumulate) {
  CAPTURE(n_tokens, top_k, hidden, accumulate);
  const int64_t slots = n_tokens * top_k;
  std::vector<int32_t> s2p(slots);
  for (int64_t s = 0; s < slots; ++s) s2p[s] = static_cast<int32_t>((s * 7 + 3) % slots);
  if (slots > 2) s2p[1] = -1;  // a dropped slot
  const std::vector<float> y_perm = test::random_bf16(slots * hidden, 71);
  const std::vector<float> weights = test::random_bf16(slots, 72, 0.0f, 1.0f);
  const std::vector<float> shared = test::random_bf16(n_tokens * hidden, 73);
  const std::vector<float> residual = test::random_bf16(n_tokens * hidden, 74, -4.0f, 4.0f);
  const std::vector<float> norm_w = test::random_bf16(hidden, 75, 0.5f, 1.5f);
  TestStream st;
  DeviceBuffer<bf16_bits> d_y_perm(bf16_from_f32(y_perm)), d_w(bf16_from_f32(norm_w));
  DeviceBuffer<int32_t> d_s2p(s2p);
  DeviceBuffer<float> d_weights(weights), res_fused(residual), res_split(residual);
  DeviceBuffer<bf16_bits> out_fused(bf16_from_f32(shared)), out_split(bf16_from_f32(shared));
  DeviceBuffer<bf16_bits> h_fused(n_tokens * hidden), h_split(n_tokens * hidden);
  DeviceBuffer<bf16_bits> lo_fused(n_tokens * hidden), lo_split(n_tokens * hidden);
  MoeCombineArgs cb;
  cb.y_perm = d_y_perm.data();
  cb.slot_to_perm = d_s2p.data();
  cb.weights = d_weights.data();
  cb.ld_out = hidden;
  cb.n_tokens = n_tokens;
  cb.top_k = top_k;
  cb.hidden = hidden;
  cb.accumulate = accumulate;
  MoeCombineArgs fused = cb, split = cb;
  fused.out = out_fused.data();
  split.out = out_split.data();
  cuda_moe_combine_rmsnorm_residual_f32(fused, res_fused.data(), d_w.data(), 1e-6f, h_fused.data(),
                                        lo_fused.data(), st.s);
  cuda_moe_combine(split, st.s);
  cuda_rmsnorm_residual_f32(res_split.data(), out_split.data(), false, d_w.data(), n_tokens, hidden,
                            1e-6f, h_split.data(), lo_split.data(), st.s);
  st.sync();
  CHECK(res_fused.download() == res_split.download());
  CHECK(h_fused.download() == h_split.download());
  CHECK(lo_fused.download() == lo_split.download());
  CHECK(out_fused.download() == bf16_from_f32(shared));  // read, never written
  // The CPU references of the two launches.
  std::vector<float> x = shared, want_res = residual, want_h, want_lo;
  ref_moe_combine(y_perm, s2p, weights, cb, x);
  ref_rmsnorm_residual_f32(want_res, x, false, norm_w, n_tokens, hidden, 1e-6f, want_h, &want_lo);
  const auto r = test::compare_close(bf16_to_f32(h_fused.download()), want_h, 2e-2, 2e-2);
  INFO(r.message);
  CHECK(r.ok);
}
#endif

TEST_CASE("cuda_moe_combine_rmsnorm_residual_f32 refuses bad arguments first", "[kernels]") {
#ifndef MOEBENCH_HAVE_CUDA
  MOEBENCH_SKIP("cuda_moe_combine_rmsnorm_residual_f32 exists only in CUDA builds");
#else
  bf16_bits buf[8] = {};
  int32_t s2p[2] = {};
  float weights[2] = {}, residual[8] = {};
  MoeCombineArgs cb;
  cb.y_perm = buf;
  cb.slot_to_perm = s2p;
  cb.weights = weights;
  cb.out = buf;
  cb.ld_out = 4;
  cb.n_tokens = 2;
  cb.top_k = 1;
  cb.hidden = 4;
  auto error_of = [&](const MoeCombineArgs& a, float* res) {
    try {
      cuda_moe_combine_rmsnorm_residual_f32(a, res, buf, 1e-6f, buf, nullptr, nullptr);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  MoeCombineArgs bad = cb;
  bad.top_k = 17;
  CHECK(error_of(bad, residual).find("top_k") != std::string::npos);
  bad = cb;
  bad.weights = nullptr;
  CHECK(error_of(bad, residual).find("null pointer") != std::string::npos);
  CHECK(error_of(cb, nullptr).find("residual is null") != std::string::npos);
#endif
}

TEST_CASE("the combine fused into the next norm leaves the two launches' bits", "[gpu]") {
  MOEBENCH_REQUIRE_GPU();
#ifdef MOEBENCH_HAVE_CUDA
  for (bool accumulate : {true, false}) {
    check_combine_norm(1, 6, 2048, accumulate);   // V2-Lite decode
    check_combine_norm(64, 8, 7168, accumulate);  // V3, 64 tokens
    check_combine_norm(5, 2, 40, accumulate);     // tiny, odd widths
  }
#endif
}

}  // namespace
}  // namespace moebench
