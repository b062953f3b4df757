// [gpu] tests: each launcher in kernels/ops.h against its CPU reference over ragged shapes (1, 33,
// 4097). They skip visibly without a CUDA build or device.
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "kernels/bf16.h"
#include "kernels/ops.h"
#include "kernels/reference.h"
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

const std::vector<int64_t> kRagged = {1, 33, 4097};

#ifdef MOEBENCH_HAVE_CUDA
using Bf16Buffer = DeviceBuffer<bf16_bits>;

std::vector<float> download_f32(const Bf16Buffer& b) { return bf16_to_f32(b.download()); }

void require_close(const std::vector<float>& got, const std::vector<float>& want) {
  const auto r = test::compare_close(got, want, 1e-2, 1e-2);
  INFO(r.message);
  REQUIRE(r.ok);
}

void check_embedding(int64_t n_tokens, int64_t hidden, bool with_prev = false) {
  CAPTURE(n_tokens, hidden, with_prev);
  const int64_t vocab = 50;
  const std::vector<float> table = test::random_bf16(vocab * hidden, 1);  // (vocab, hidden)
  std::vector<int32_t> ids(n_tokens);                                     // (n_tokens)
  for (int64_t t = 0; t < n_tokens; ++t) ids[t] = static_cast<int32_t>((t * 7) % vocab);
  if (n_tokens >= 33) {
    ids[3] = -1;
    ids[n_tokens - 1] = static_cast<int32_t>(vocab);
  }
  // A previous step's ids fed by negative index (-1 - i reads prev[i]; -6 is past prev's end).
  const std::vector<int32_t> prev = {7, 0, 49, 3, static_cast<int32_t>(vocab)};
  if (with_prev) {
    for (int64_t t = 0; t < n_tokens; t += 2) ids[t] = static_cast<int32_t>(-1 - (t / 2) % 6);
  }
  std::vector<float> want;
  const int64_t want_bad =
      ref_embedding_gather(ids, table, vocab, hidden, want, with_prev ? &prev : nullptr);
  TestStream st;
  DeviceBuffer<int32_t> d_ids(ids), d_bad(std::vector<int32_t>{0}), d_prev(prev);
  Bf16Buffer d_table(bf16_from_f32(table)), d_out(n_tokens * hidden);
  cuda_embedding_gather(d_ids.data(), n_tokens, d_table.data(), vocab, hidden, d_out.data(),
                        d_bad.data(), st.s, with_prev ? d_prev.data() : nullptr,
                        with_prev ? static_cast<int64_t>(prev.size()) : 0);
  st.sync();
  CHECK(d_bad.download()[0] == want_bad);
  require_close(download_f32(d_out), want);
}

void check_rmsnorm(int64_t rows, int64_t dim, bool residual) {
  CAPTURE(rows, dim, residual);
  std::vector<float> x = test::random_bf16(rows * dim, 2);             // (rows, dim)
  const std::vector<float> w = test::random_bf16(dim, 3, 0.5f, 1.5f);  // (dim)
  std::vector<float> res = test::random_bf16(rows * dim, 4);           // (rows, dim)
  if (rows >= 33) x[(rows - 1) * dim] = INFINITY;  // one poisoned row: masks must agree
  const float eps = 1e-6f;
  std::vector<float> want, want_res = res;
  TestStream st;
  Bf16Buffer d_x(bf16_from_f32(x)), d_w(bf16_from_f32(w)), d_res(bf16_from_f32(res));
  Bf16Buffer d_y(rows * dim);
  if (residual) {
    ref_rmsnorm_residual(want_res, x, w, rows, dim, eps, want);
    cuda_rmsnorm_residual(d_res.data(), d_x.data(), d_w.data(), rows, dim, eps, d_y.data(), st.s);
  } else {
    ref_rmsnorm(x, w, rows, dim, eps, want);
    cuda_rmsnorm(d_x.data(), d_w.data(), rows, dim, eps, d_y.data(), st.s);
  }
  st.sync();
  require_close(download_f32(d_y), want);
  require_close(download_f32(d_res), want_res);
}

// The f32 residual stream: `steps` layers of residual += x from an embedding (init), as the engine
// runs it, against the reference; the stream and each norm output checked.
void check_rmsnorm_f32(int64_t rows, int64_t dim) {
  CAPTURE(rows, dim);
  const std::vector<float> w = test::random_bf16(dim, 3, 0.5f, 1.5f);  // (dim)
  const float eps = 1e-6f;
  TestStream st;
  Bf16Buffer d_w(bf16_from_f32(w)), d_y(rows * dim), d_lo(rows * dim);
  DeviceBuffer<float> d_res(static_cast<size_t>(rows * dim));
  std::vector<float> want_res, want, want_lo;
  for (int step = 0; step < 3; ++step) {
    const std::vector<float> x = test::random_bf16(rows * dim, 10 + step);  // (rows, dim)
    Bf16Buffer d_x(bf16_from_f32(x));
    ref_rmsnorm_residual_f32(want_res, x, step == 0, w, rows, dim, eps, want, &want_lo);
    cuda_rmsnorm_residual_f32(d_res.data(), d_x.data(), step == 0, d_w.data(), rows, dim, eps,
                              d_y.data(), step == 2 ? d_lo.data() : nullptr, st.s);
    st.sync();
    require_close(download_f32(d_y), want);
    if (step == 2) {  // the low parts: what y's rounding lost, to bf16 of its size
      const std::vector<float> lo = download_f32(d_lo);
      const std::vector<float> hi = download_f32(d_y);
      for (size_t i = 0; i < lo.size(); ++i) {
        INFO(i);
        REQUIRE(std::abs((hi[i] + lo[i]) - (want[i] + want_lo[i])) <=
                std::abs(want[i]) * (1.0 / 16384) + 1e-6);
      }
    }
    const auto r = test::compare_close(d_res.download(), want_res, 1e-6, 1e-6);
    INFO(r.message);
    REQUIRE(r.ok);
  }
}

void check_swiglu(int64_t n_tokens, int64_t inter, bool fused) {
  CAPTURE(n_tokens, inter, fused);
  std::vector<float> gu = test::random_bf16(n_tokens * 2 * inter, 5, -6.0f, 6.0f);  // (T, 2I)
  if (gu.size() >= 6) {
    gu[0] = std::numeric_limits<float>::quiet_NaN();
    gu[1 % inter] = INFINITY;
    gu[2 * inter - 1] = -INFINITY;
  }
  std::vector<float> want;
  ref_swiglu(gu.data(), 2 * inter, gu.data() + inter, 2 * inter, n_tokens, inter, want);
  TestStream st;
  Bf16Buffer d_gu(bf16_from_f32(gu)), d_out(n_tokens * inter);
  if (fused) {
    cuda_swiglu(d_gu.data(), 2 * inter, d_gu.data() + inter, 2 * inter, n_tokens, inter,
                d_out.data(), st.s);
  } else {
    std::vector<float> gate(n_tokens * inter), up(n_tokens * inter);  // (T, I) each
    for (int64_t t = 0; t < n_tokens; ++t) {
      for (int64_t i = 0; i < inter; ++i) {
        gate[t * inter + i] = gu[t * 2 * inter + i];
        up[t * inter + i] = gu[t * 2 * inter + inter + i];
      }
    }
    Bf16Buffer d_gate(bf16_from_f32(gate)), d_up(bf16_from_f32(up));
    cuda_swiglu(d_gate.data(), inter, d_up.data(), inter, n_tokens, inter, d_out.data(), st.s);
    st.sync();  // d_gate / d_up die at the end of this scope
  }
  st.sync();
  require_close(download_f32(d_out), want);
}

void check_rope(RopeArgs a) {
  CAPTURE(a.n_tokens, a.n_heads, a.head_stride, a.rot_offset, a.dim, static_cast<int>(a.pairing),
          a.attention_factor);
  a.token_stride = static_cast<int64_t>(a.n_heads) * a.head_stride + 5;      // padded rows
  std::vector<float> x = test::random_bf16(a.n_tokens * a.token_stride, 6);  // (T, token_stride)
  std::vector<int32_t> pos(a.n_tokens);                                      // (T)
  std::mt19937 rng(7);
  for (auto& p : pos) p = static_cast<int32_t>(rng() % 65536);
  std::vector<float> inv_freq(a.dim / 2);  // (dim / 2), default rope with theta 10000
  for (int i = 0; i < a.dim / 2; ++i) {
    inv_freq[i] = 1.0f / std::pow(10000.0f, static_cast<float>(2 * i) / a.dim);
  }
  std::vector<float> want = x;
  ref_rope_apply(want, pos, inv_freq, a);
  TestStream st;
  Bf16Buffer d_x(bf16_from_f32(x));
  DeviceBuffer<int32_t> d_pos(pos);
  DeviceBuffer<float> d_inv(inv_freq);
  a.x = d_x.data();
  a.positions = d_pos.data();
  a.inv_freq = d_inv.data();
  cuda_rope_apply(a, st.s);
  st.sync();
  require_close(download_f32(d_x), want);
}
#endif

TEST_CASE("cuda_embedding_gather matches the reference", "[gpu]") {
  MOEBENCH_REQUIRE_GPU();
#ifdef MOEBENCH_HAVE_CUDA
  for (int64_t t : kRagged) {
    for (int64_t h : {int64_t{1}, int64_t{33}, int64_t{4096}, int64_t{4097}}) {
      check_embedding(t, h);
      check_embedding(t, h, true);
    }
  }
#endif
}

TEST_CASE("cuda_rmsnorm and cuda_rmsnorm_residual match the reference", "[gpu]") {
  MOEBENCH_REQUIRE_GPU();
#ifdef MOEBENCH_HAVE_CUDA
  for (bool residual : {false, true}) {
    for (int64_t rows : kRagged) {
      for (int64_t dim : {int64_t{1}, int64_t{33}, int64_t{4097}}) {
        check_rmsnorm(rows, dim, residual);
      }
    }
    check_rmsnorm(7, 7168, residual);
  }
#endif
}

TEST_CASE("cuda_rmsnorm_residual_f32 keeps the stream in f32 like the reference", "[gpu]") {
  MOEBENCH_REQUIRE_GPU();
#ifdef MOEBENCH_HAVE_CUDA
  for (int64_t rows : kRagged) {
    for (int64_t dim : {int64_t{1}, int64_t{33}, int64_t{4097}}) check_rmsnorm_f32(rows, dim);
  }
  check_rmsnorm_f32(7, 7168);
#endif
}

TEST_CASE("cuda_swiglu matches the reference, fused and split", "[gpu]") {
  MOEBENCH_REQUIRE_GPU();
#ifdef MOEBENCH_HAVE_CUDA
  for (bool fused : {true, false}) {
    for (int64_t t : kRagged) {
      for (int64_t inter : {int64_t{1}, int64_t{33}, int64_t{4097}}) check_swiglu(t, inter, fused);
    }
  }
#endif
}

TEST_CASE("cuda_rope_apply matches the reference for all pairings", "[gpu]") {
  MOEBENCH_REQUIRE_GPU();
#ifdef MOEBENCH_HAVE_CUDA
  for (RopePairing p : {RopePairing::half, RopePairing::interleaved, RopePairing::pairs}) {
    for (int64_t t : kRagged) {
      // {n_tokens, token_stride (set by check_rope), n_heads, head_stride, rot_offset, dim}
      check_rope({nullptr, nullptr, nullptr, t, 0, 3, 128, 0, 128, 1.0f, p});   // full rope
      check_rope({nullptr, nullptr, nullptr, t, 0, 2, 192, 128, 64, 1.2f, p});  // MLA q_pe
      check_rope({nullptr, nullptr, nullptr, t, 0, 1, 66, 1, 2, 1.0f, p});      // tiny, odd offset
    }
  }
#endif
}

}  // namespace
}  // namespace moebench
