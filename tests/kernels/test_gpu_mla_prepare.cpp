// [gpu] tests of cuda_mla_prepare: bit-identical to the separate launches it replaces
// (cuda_mla_prepare_separate), and both close to ref_mla_prepare, at the V2-Lite and V3 shapes and
// a small odd one, for each rope pairing.
#include <cstdint>
#include <vector>

#include "kernels/bf16.h"
#include "kernels/mla_prepare.h"
#include "tests/catch.h"
#include "tests/kernels/kernel_compare.h"
#include "tests/kernels/mla_prepare_case.h"

#ifdef MOEBENCH_HAVE_CUDA
#include "kernels/cuda_check.h"
#include "kernels/device_buffer.h"
#include "tests/kernels/gpu_test_stream.h"
#endif

namespace moebench {
namespace {

#ifdef MOEBENCH_HAVE_CUDA
// One set of device copies of a case's buffers (empty host vectors stay unallocated).
struct MlaDevice {
  DeviceBuffer<bf16_bits> q_latent, q_a_norm, kv, kv_a_norm, cache, q, q_pe_out;
  DeviceBuffer<int32_t> slots, positions;
  DeviceBuffer<float> inv_freq;

  explicit MlaDevice(const MlaPrepareHost& h)
      : q_latent(bf16_from_f32(h.q_latent)),
        q_a_norm(bf16_from_f32(h.q_a_norm)),
        kv(bf16_from_f32(h.kv)),
        kv_a_norm(bf16_from_f32(h.kv_a_norm)),
        cache(bf16_from_f32(h.cache)),
        q(bf16_from_f32(h.q)),
        q_pe_out(bf16_from_f32(h.q_pe_out)),
        slots(h.slots),
        positions(h.positions),
        inv_freq(h.inv_freq) {}

  MlaPrepareArgs args(MlaPrepareArgs a) {
    a.q_latent = q_latent.size() > 0 ? q_latent.data() : nullptr;
    a.q_a_norm = q_a_norm.size() > 0 ? q_a_norm.data() : nullptr;
    a.kv = kv.data();
    a.kv_a_norm = kv_a_norm.data();
    a.cache = cache.data();
    a.slots = slots.data();
    a.q = q.size() > 0 ? q.data() : nullptr;
    a.q_pe_out = q_pe_out.size() > 0 ? q_pe_out.data() : nullptr;
    a.positions = positions.data();
    a.inv_freq = inv_freq.data();
    return a;
  }
};

int64_t count_differ(const DeviceBuffer<bf16_bits>& a, const DeviceBuffer<bf16_bits>& b) {
  const std::vector<bf16_bits> x = a.download(), y = b.download();
  int64_t n = 0;
  for (size_t i = 0; i < x.size(); ++i) n += x[i] != y[i];
  return n;
}

void check_close(const DeviceBuffer<bf16_bits>& got, const std::vector<float>& want,
                 const char* what) {
  INFO(what);
  const auto r = test::compare_close(bf16_to_f32(got.download()), want, 1e-2, 1e-2);
  INFO(r.message);
  CHECK(r.ok);
}

void check_mla_prepare(int64_t T, int q_lora, int lora, int rope_dim, int n_heads, int nope,
                       RopePairing pairing, int64_t n_pe_rows) {
  CAPTURE(T, q_lora, lora, rope_dim, n_heads, nope, static_cast<int>(pairing), n_pe_rows);
  const test::MlaPrepareCase c =
      test::mla_prepare_case(T, q_lora, lora, rope_dim, n_heads, nope, pairing, n_pe_rows, 17);
  TestStream st;
  MlaDevice fused(c.host), split(c.host);
  cuda_mla_prepare(fused.args(c.args), st.s);
  cuda_mla_prepare_separate(split.args(c.args), st.s);
  st.sync();
  CHECK(count_differ(fused.cache, split.cache) == 0);
  CHECK(count_differ(fused.q_latent, split.q_latent) == 0);
  CHECK(count_differ(fused.q, split.q) == 0);
  CHECK(count_differ(fused.q_pe_out, split.q_pe_out) == 0);
  MlaPrepareHost want = c.host;
  ref_mla_prepare(c.args, want);
  check_close(split.cache, want.cache, "separate cache");
  check_close(fused.cache, want.cache, "cache");
  check_close(fused.q_latent, want.q_latent, "q_latent");
  check_close(fused.q, want.q, "q");
  check_close(fused.q_pe_out, want.q_pe_out, "q_pe_out");
}
#endif

TEST_CASE("cuda_mla_prepare equals the separate launches and the reference", "[gpu]") {
  MOEBENCH_REQUIRE_GPU();
#ifdef MOEBENCH_HAVE_CUDA
  for (RopePairing p : {RopePairing::half, RopePairing::interleaved, RopePairing::pairs}) {
    check_mla_prepare(7, 0, 512, 64, 16, 128, p, 4);      // V2-Lite: 4 decode rows of 7
    check_mla_prepare(3, 1536, 512, 64, 128, 128, p, 3);  // V3: q latent, 128 heads (2 passes)
    check_mla_prepare(5, 24, 40, 8, 3, 16, p, 0);         // small, no decode rows
  }
  // Queries absent (the engine's first launch when the query latent goes through q_b first).
  check_mla_prepare(4, 1536, 512, 64, 0, 0, RopePairing::interleaved, 0);
#endif
}

}  // namespace
}  // namespace moebench
