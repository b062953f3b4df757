// CPU tests of ref_mla_prepare: it equals the separate references' composition (norms, rotations,
// cache append, q_pe copy) for each pairing, with and without the query latent, skips slot -1,
// leaves other cache rows alone, and refuses bad arguments with the field's name.
#include <stdexcept>
#include <string>
#include <vector>

#include "kernels/mla_prepare.h"
#include "tests/catch.h"
#include "tests/kernels/kernel_compare.h"
#include "tests/kernels/mla_prepare_case.h"

namespace moebench {
namespace {

// NOTE: the norms' inverse is taken in f32 by one reference and in double by the other, so an
// output may sit one bf16 step (2^-8 relative) apart; the rotations use the same f32 core.
void check_same(const std::vector<float>& got, const std::vector<float>& want, const char* what) {
  INFO(what);
  const auto r = test::compare_close(got, want, 1e-6, 1.0 / 128);
  INFO(r.message);
  CHECK(r.ok);
}

TEST_CASE("ref_mla_prepare equals the separate references", "[kernels]") {
  for (RopePairing pairing : {RopePairing::half, RopePairing::interleaved, RopePairing::pairs}) {
    for (int q_lora : {0, 24}) {
      CAPTURE(static_cast<int>(pairing), q_lora);
      test::MlaPrepareCase c = test::mla_prepare_case(5, q_lora, 32, 8, 3, 16, pairing, 2, 11);
      const MlaPrepareHost want = test::mla_prepare_separate(c);
      ref_mla_prepare(c.args, c.host);
      check_same(c.host.q_latent, want.q_latent, "q_latent");
      check_same(c.host.cache, want.cache, "cache");
      check_same(c.host.q, want.q, "q");
      check_same(c.host.q_pe_out, want.q_pe_out, "q_pe_out");
      // Slot -1 (token 1) and the rows no token maps to keep their marker.
      int64_t untouched = 0;
      for (float v : c.host.cache) untouched += v == 7.0f;
      CHECK(untouched >= (2 * 5 - 4) * c.args.cache_stride);
    }
  }
}

TEST_CASE("ref_mla_prepare norms and rotates a hand-checked token", "[kernels]") {
  // One token at position 0 (no rotation): latent [3, 4] with unit weight normalizes to
  // [3, 4] / sqrt(12.5) = [0.8485, 1.1314] (bf16: 0.84765625, 1.1328125); k_pe is copied scaled
  // by the attention factor.
  MlaPrepareArgs a;
  a.n_tokens = 1;
  a.eps = 0.0f;
  a.lora = 2;
  a.kv_stride = 4;
  a.cache_stride = 4;
  a.rope_dim = 2;
  a.attention_factor = 2.0f;
  MlaPrepareHost h;
  h.kv = {3, 4, 0.5f, -1};
  h.kv_a_norm = {1, 1};
  h.slots = {0};
  h.cache.assign(4, 0.0f);
  h.positions = {0};
  h.inv_freq = {1.0f};
  ref_mla_prepare(a, h);
  CHECK(h.cache == std::vector<float>{0.84765625f, 1.1328125f, 1.0f, -2.0f});
  // At position 1 the pair (0.5, -1) turns by 1 radian: (0.5 cos 1 + sin 1, -cos 1 + 0.5 sin 1).
  h.positions = {1};
  a.attention_factor = 1.0f;
  ref_mla_prepare(a, h);
  CHECK(std::abs(h.cache[2] - 1.1116f) < 0.01f);
  CHECK(std::abs(h.cache[3] - (-0.1196f)) < 0.01f);
}

TEST_CASE("ref_mla_prepare refuses bad arguments, naming the field", "[kernels]") {
  auto error_of = [](const MlaPrepareArgs& a, MlaPrepareHost h) {
    try {
      ref_mla_prepare(a, h);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  test::MlaPrepareCase c = test::mla_prepare_case(3, 0, 32, 8, 2, 16, RopePairing::half, 1, 5);
  CHECK(error_of(c.args, MlaPrepareHost{}).find("nothing to do") != std::string::npos);
  MlaPrepareArgs bad = c.args;
  bad.n_pe_rows = 4;
  CHECK(error_of(bad, c.host).find("n_pe_rows") != std::string::npos);
  bad = c.args;
  bad.rope_dim = 7;
  CHECK(error_of(bad, c.host).find("rope_dim") != std::string::npos);
  MlaPrepareHost short_cache = c.host;
  short_cache.cache.resize(10);
  CHECK(error_of(c.args, short_cache).find("cache has 10 values") != std::string::npos);
}

}  // namespace
}  // namespace moebench
