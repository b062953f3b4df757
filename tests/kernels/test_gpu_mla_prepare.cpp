// [gpu] tests of cuda_mla_prepare: bit-identical to the separate launches it replaces
// (cuda_mla_prepare_separate), and both close to ref_mla_prepare, at the V2-Lite and V3 shapes and
// a small odd one, for each rope pairing; and of cuda_mla_prepare_absorb: bit-identical to
// cuda_mla_prepare then the q absorb's cuda_gemm_skinny (whose product is checked by hand), also
// programmatically launched and from a graph; its refusals on the host.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernels/bf16.h"
#include "kernels/gemm.h"
#include "kernels/mla_prepare.h"
#include "kernels/pdl.h"
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

// The q absorb of the engine's decode rows over a case's queries: out[t][h][0, lora) = q_nope[t][h]
// · W_UK[h], W_UK[h] the first nope rows of head h's (nope + dv) x lora slice of kv_b.
GemmArgs absorb_args(const MlaPrepareArgs& a, int64_t m, int lora, int dv, const bf16_bits* q,
                     const bf16_bits* w, bf16_bits* out) {
  GemmArgs g;
  g.a = q;
  g.lda = a.q_stride;
  g.stride_a = a.head_stride;
  g.b = w;
  g.ldb = lora;
  g.b_transposed = false;
  g.stride_b = int64_t{a.rot_offset + dv} * lora;
  g.c = out;
  g.ldc = int64_t{a.n_heads} * (lora + a.rope_dim);
  g.stride_c = lora + a.rope_dim;
  g.m = m;
  g.n = lora;
  g.k = a.rot_offset;
  g.batch = a.n_heads;
  g.algo = GemmAlgo::skinny;
  return g;
}

// One way's buffers for check_prepare_absorb: the case's device copies and the engine's qcat
// layout (each row and head: the absorbed latent, then q_pe), NaN where nothing writes.
struct AbsorbRun {
  MlaDevice dev;
  DeviceBuffer<bf16_bits> qcat;
  MlaPrepareArgs args;
  GemmArgs absorb;

  AbsorbRun(const test::MlaPrepareCase& c, int64_t m, int lora, int dv, const bf16_bits* w)
      : dev(c.host),
        qcat(std::vector<bf16_bits>(c.args.n_tokens * c.args.n_heads * (lora + c.args.rope_dim),
                                    0x7fc0)) {
    args = dev.args(c.args);
    absorb = absorb_args(args, m, lora, dv, args.q, w, qcat.data());
    args.q_pe_out = qcat.data() + lora;  // beside the absorbed latent, as the engine lays it out
    args.q_pe_head_stride = static_cast<int>(absorb.stride_c);
    args.q_pe_token_stride = absorb.ldc;
  }
  // Every output, for bitwise comparison.
  std::vector<std::vector<bf16_bits>> outputs() const {
    return {dev.cache.download(), dev.q_latent.download(), dev.q.download(), qcat.download()};
  }
};

// cuda_mla_prepare_absorb against cuda_mla_prepare then cuda_gemm_skinny, bit for bit, over m
// decode rows of T tokens, into the engine's qcat layout; the product against double dot products
// of the inputs; and the fused launch twice in a row (the second reads the q the first rotated in
// place) programmatically launched and from a graph on a PDL-marked stream, giving the plain
// stream's bits.
void check_prepare_absorb(int64_t T, int64_t m, int q_lora, int lora, int n_heads, int nope) {
  CAPTURE(T, m, q_lora, lora, n_heads, nope);
  const int rope = 64, dv = 128;
  const test::MlaPrepareCase c =
      test::mla_prepare_case(T, q_lora, lora, rope, n_heads, nope, RopePairing::half, m, 23);
  const std::vector<float> w = test::random_bf16(int64_t{n_heads} * (nope + dv) * lora, 29);
  DeviceBuffer<bf16_bits> d_w(bf16_from_f32(w));
  TestStream st;
  AbsorbRun fused(c, m, lora, dv, d_w.data()), split(c, m, lora, dv, d_w.data());
  cuda_mla_prepare_absorb(fused.args, fused.absorb, st.s);
  cuda_mla_prepare(split.args, st.s);
  cuda_gemm_skinny(split.absorb, st.s);
  st.sync();
  const std::vector<std::vector<bf16_bits>> want = split.outputs();
  CHECK(fused.outputs() == want);
  // The product by hand on sampled (row, head, column)s; every decode row's qcat is written.
  const std::vector<float> got = bf16_to_f32(want[3]);
  const MlaPrepareArgs& a = c.args;
  for (int64_t i = 0; i < 64; ++i) {
    const int64_t t = i % m, h = (i * 7) % n_heads, j = (i * 131) % lora;
    double dot = 0;
    for (int d = 0; d < nope; ++d) {
      dot += double(c.host.q[t * a.q_stride + h * a.head_stride + d]) *
             w[(h * (nope + dv) + d) * lora + j];
    }
    INFO("row " << t << " head " << h << " column " << j);
    CHECK(std::abs(got[(t * n_heads + h) * (lora + rope) + j] - dot) <=
          1e-2 * std::abs(dot) + 1e-2);
  }
  CHECK(std::none_of(got.begin(), got.begin() + m * n_heads * (lora + rope),
                     [](float v) { return std::isnan(v); }));
  // Programmatic launch: twice eagerly on a plain stream, on a marked one, and from a graph.
  AbsorbRun eager(c, m, lora, dv, d_w.data()), early(c, m, lora, dv, d_w.data()),
      graphed(c, m, lora, dv, d_w.data());
  TestStream s_early, s_graph;
  cuda_stream_set_pdl(s_early.s, true);
  cuda_stream_set_pdl(s_graph.s, true);
  for (AbsorbRun* r : {&eager, &early}) {
    const cudaStream_t s = r == &eager ? st.s : s_early.s;
    for (int i = 0; i < 2; ++i) cuda_mla_prepare_absorb(r->args, r->absorb, s);
  }
  {
    const TestGraph graph(s_graph.s, [&] {
      for (int i = 0; i < 2; ++i) cuda_mla_prepare_absorb(graphed.args, graphed.absorb, s_graph.s);
    });
    graph.replay();
    s_graph.sync();
  }
  st.sync();
  s_early.sync();
  cuda_stream_set_pdl(s_early.s, false);
  cuda_stream_set_pdl(s_graph.s, false);
  CHECK(early.outputs() == eager.outputs());
  CHECK(graphed.outputs() == eager.outputs());
  CHECK(eager.outputs()[2] != want[2]);  // the second launch rotated q again
}
#endif

TEST_CASE("cuda_mla_prepare_absorb equals cuda_mla_prepare then the absorb's skinny GEMM",
          "[gpu]") {
  MOEBENCH_REQUIRE_GPU();
#ifdef MOEBENCH_HAVE_CUDA
  // V2-Lite (the kv norm's 512 lanes in the 256-thread block), V3 (the query latent's 1024 lanes,
  // 128 heads), decode batches 1 to 4, and fewer decode rows than tokens.
  for (int64_t T : {1, 2, 3, 4}) check_prepare_absorb(T, T, 0, 512, 16, 128);
  check_prepare_absorb(3, 2, 0, 512, 16, 128);
  check_prepare_absorb(2, 2, 1536, 512, 128, 128);
  check_prepare_absorb(4, 4, 24, 40, 3, 16);  // small: the norms' lanes fit the block
#endif
}

TEST_CASE("cuda_mla_prepare_absorb refuses what it cannot run, by name") {
#ifndef MOEBENCH_HAVE_CUDA
  MOEBENCH_SKIP("built without CUDA: cuda_mla_prepare_absorb is not defined");
#else
  // Host checks only: stand-in pointers, never dereferenced.
  auto fake = [](uintptr_t i) { return reinterpret_cast<bf16_bits*>(i * 256); };
  const test::MlaPrepareCase c =
      test::mla_prepare_case(2, 0, 512, 64, 16, 128, RopePairing::half, 2, 5);
  MlaPrepareArgs p = c.args;
  p.kv = fake(1);
  p.kv_a_norm = fake(2);
  p.cache = fake(3);
  p.slots = reinterpret_cast<const int32_t*>(fake(4));
  p.q = fake(5);
  p.q_pe_out = fake(6);
  p.positions = reinterpret_cast<const int32_t*>(fake(7));
  p.inv_freq = reinterpret_cast<const float*>(fake(8));
  const GemmArgs good = absorb_args(p, 2, 512, 128, p.q, fake(9), fake(10));
  auto refuses = [&](const MlaPrepareArgs& pp, const GemmArgs& g, const char* field) {
    INFO(field);
    try {
      cuda_mla_prepare_absorb(pp, g, nullptr);
      FAIL("accepted");
    } catch (const std::invalid_argument& e) {
      const std::string what = e.what();
      INFO(what);
      CHECK(what.find("cuda_mla_prepare_absorb") != std::string::npos);
      CHECK(what.find(field) != std::string::npos);
    }
  };
  GemmArgs g = good;
  g.b_transposed = true;
  g.ldb = g.k;
  refuses(p, g, "b_transposed");
  g = good;
  g.c_f32 = true;
  refuses(p, g, "c_f32");
  g = good;
  g.m = 17;
  refuses(p, g, "m must be");
  g = good;
  g.c_argmax = reinterpret_cast<uint64_t*>(fake(11));
  g.c_f32 = true;
  g.b_transposed = true;
  g.ldb = g.k;
  g.batch = 1;
  refuses(p, g, "b_transposed");  // the first of three it does not serve
  g = good;
  g.batch = static_cast<int>(kGemmSkinnyMaxBatch);
  refuses(p, g, "batch");
  g = good;
  g.k = 192;  // past the nope columns: the prepare rotates what the absorb would read
  refuses(p, g, "rot_offset");
  MlaPrepareArgs shared = p;  // q_pe beside the absorbed latent, but inside its columns
  shared.q_pe_out = static_cast<bf16_bits*>(good.c) + 256;
  shared.q_pe_head_stride = static_cast<int>(good.stride_c);
  shared.q_pe_token_stride = good.ldc;
  refuses(shared, good, "q_pe_out lies in absorb.c");
  MlaPrepareArgs bad = p;
  bad.rope_dim = 7;
  refuses(bad, good, "rope_dim");
#endif
}

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
