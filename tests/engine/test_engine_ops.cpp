// CPU engine ops against hand-computed values: Linear vs a naive loop on ragged shapes, RMSNorm,
// RoPE styles, and YaRN inv_freq / attention_factor / DeepSeek softmax scale from HF's formulas.
#include <cmath>
#include <random>

#include "backends/builtin/engine/cpu/engine_cpu_ops.h"
#include "tests/catch.h"
#include "tests/engine/engine_test_util.h"

using namespace moebench;

TEST_CASE("ops_linear matches a naive loop on ragged shapes", "[engine][ops]") {
  std::mt19937_64 rng(7);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  for (int rows : {1, 3, 33}) {
    for (int in : {1, 17, 64}) {
      for (int out : {1, 33, 65}) {
        std::vector<float> x(rows * in), w(out * in), b(out), y(rows * out), ref(rows * out);
        for (float& v : x) v = nd(rng);
        for (float& v : w) v = nd(rng);
        for (float& v : b) v = nd(rng);
        for (int r = 0; r < rows; ++r) {
          for (int o = 0; o < out; ++o) {
            double acc = b[o];
            for (int i = 0; i < in; ++i) acc += static_cast<double>(x[r * in + i]) * w[o * in + i];
            ref[r * out + o] = static_cast<float>(acc);
          }
        }
        ops_linear(x.data(), rows, CpuLinear{w.data(), b.data(), out, in}, y.data());
        const test::Diff d = test::compare(y.data(), ref.data(), y.size());
        INFO("rows " << rows << " in " << in << " out " << out << ": " << d.str());
        CHECK(d.worst <= 1e-5);
      }
    }
  }
}

TEST_CASE("rmsnorm is x * rsqrt(mean(x^2) + eps) * w", "[engine][ops]") {
  // mean(x²) = (1 + 4 + 9 + 16) / 4 = 7.5
  const float x[4] = {1, 2, 3, 4}, w[4] = {1, 1, 2, 0.5f};
  float y[4];
  ops_rmsnorm(x, 1, 4, w, 1e-6, y);
  const double inv = 1.0 / std::sqrt(7.5 + 1e-6);
  CHECK(std::abs(y[0] - 1 * inv) < 1e-6);
  CHECK(std::abs(y[2] - 6 * inv) < 1e-6);
  CHECK(std::abs(y[3] - 2 * inv) < 1e-6);
  // eps matters for tiny inputs: x = 1e-3 everywhere, eps = 1e-6 -> 1e-3 / sqrt(2e-6).
  const float t[2] = {1e-3f, 1e-3f};
  ops_rmsnorm(t, 1, 2, nullptr, 1e-6, y);
  CHECK(std::abs(y[0] - 1e-3 / std::sqrt(2e-6)) < 1e-5);
}

TEST_CASE("rope styles rotate the right pairs and keep relative positions", "[engine][ops]") {
  RopeConfig rc;
  const RopeTable t = rope_init_table(rc, 4);  // inv_freq = [1, 1/100]
  CHECK(t.inv_freq[0] == 1.0f);
  CHECK(std::abs(t.inv_freq[1] - 0.01f) < 1e-9);
  float c[2], s[2];
  rope_angles(t, 0, c, s);
  float v[4] = {1, 2, 3, 4};
  rope_apply(v, 1, 4, 4, c, s, RopePairing::half);
  CHECK((v[0] == 1 && v[1] == 2 && v[2] == 3 && v[3] == 4));  // position 0 is the identity

  rope_angles(t, 3, c, s);  // angles 3 and 0.03
  float h[4] = {1, 0, 0, 0};
  rope_apply(h, 1, 4, 4, c, s, RopePairing::half);  // half: pairs (0, 2) and (1, 3)
  CHECK(std::abs(h[0] - std::cos(3.0)) < 1e-6);
  CHECK(std::abs(h[2] - std::sin(3.0)) < 1e-6);
  float p[4] = {1, 0, 0, 0};
  rope_apply(p, 1, 4, 4, c, s, RopePairing::pairs);  // pairs (0, 1) and (2, 3), in place
  CHECK(std::abs(p[0] - std::cos(3.0)) < 1e-6);
  CHECK(std::abs(p[1] - std::sin(3.0)) < 1e-6);
  float q[4] = {1, 0, 0, 0};
  rope_apply(q, 1, 4, 4, c, s, RopePairing::interleaved);  // pairs (0, 1), out [evens, odds]
  CHECK(std::abs(q[0] - std::cos(3.0)) < 1e-6);
  CHECK(std::abs(q[2] - std::sin(3.0)) < 1e-6);

  // q·k after rope depends only on the position difference, for every style.
  for (RopePairing st : {RopePairing::half, RopePairing::pairs, RopePairing::interleaved}) {
    auto dot_at = [&](int mq, int nk) {
      float a[4] = {0.3f, -1.2f, 0.7f, 2.0f}, b[4] = {1.1f, 0.4f, -0.5f, 0.9f};
      rope_angles(t, mq, c, s);
      rope_apply(a, 1, 4, 4, c, s, st);
      rope_angles(t, nk, c, s);
      rope_apply(b, 1, 4, 4, c, s, st);
      return a[0] * b[0] + a[1] * b[1] + a[2] * b[2] + a[3] * b[3];
    };
    CHECK(std::abs(dot_at(5, 2) - dot_at(13, 10)) < 1e-5);
  }
}

// YaRN by hand (HF _compute_yarn_parameters), dim 16, theta 1e4, factor 40, original 4096,
// beta_fast 32, beta_slow 1:
//   find_correction_dim(32) = 16·ln(4096/(32·2π)) / (2·ln 1e4) = 2.618 -> floor 2
//   find_correction_dim(1)  = 16·ln(4096/(2π))    / (2·ln 1e4) = 5.628 -> ceil 6
//   ramp(i) = clamp((i - 2) / 4, 0, 1); inv_freq = interp·ramp + extrap·(1 - ramp),
//   extrap = 1e4^(-2i/16), interp = extrap / 40:
//   i=0..2 -> 1, 0.316228, 0.1 (pure extrapolation); i=3 -> 0.0316228·0.75 + 0.000790569·0.25
//   = 0.0239147; i=4 -> 0.01·0.5 + 0.00025·0.5 = 0.005125; i=6, 7 -> 2.5e-05, 7.90569e-06.
//   attention_factor with mscale 1, mscale_all_dim 0.5: (0.1·ln40 + 1) / (0.05·ln40 + 1)
//   = 1.36889 / 1.18444 = 1.155722; without mscale: 0.1·ln40 + 1 = 1.368888.
//   DeepSeek scale, qk_head_dim 24: 24^-0.5 · (0.05·ln40 + 1)² = 0.204124 · 1.402899 = 0.286367.
TEST_CASE("yarn inv_freq and attention factor match HF's formulas", "[engine][ops]") {
  RopeConfig rc;
  rc.type = "yarn";
  rc.factor = 40.0;
  rc.original_max_position = 4096;
  rc.mscale = 1.0;
  rc.mscale_all_dim = 0.5;
  const RopeTable t = rope_init_table(rc, 16);
  const double want[8] = {1.0,      0.316227766,    0.1,     0.0239147248,
                          0.005125, 0.000849862121, 2.5e-05, 7.90569415e-06};
  for (int i = 0; i < 8; ++i) {
    INFO("i = " << i << ": " << t.inv_freq[i] << " vs " << want[i]);
    CHECK(std::abs(t.inv_freq[i] - want[i]) <= 1e-6 * want[i]);
  }
  CHECK(std::abs(t.attention_factor - 1.1557219902) < 1e-6);
  rc.mscale = 0.0;
  CHECK(std::abs(rope_init_table(rc, 16).attention_factor - 1.3688879454) < 1e-6);

  ModelConfig c = test::tiny_mla(ModelFamily::deepseek_v3);  // qk_head_dim 16 + 8 = 24
  c.qk_nope_head_dim = 16;
  c.qk_rope_head_dim = 8;
  c.rope = rc;
  c.rope.mscale_all_dim = 0.5;
  CHECK(std::abs(mla_softmax_scale(c) - 0.286367299273691) < 1e-9);
  c.rope.type = "default";  // no mscale outside yarn
  CHECK(std::abs(mla_softmax_scale(c) - 0.2041241452319315) < 1e-9);
  rc.type = "linear";
  CHECK_THROWS(rope_init_table(rc, 16));
}
