// [gpu] tests of cuda_gemm (cuBLAS and skinny algos) against ref_gemm over ragged shapes, both B
// layouts, f32 and bf16 outputs, beta accumulation, padded leading dims, strided head batches
// (MLA's absorb GEMMs among them), a CUDA-graph replay and programmatic launches. They skip visibly
// without a CUDA build or device.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <tuple>
#include <utility>
#include <vector>

#include "kernels/bf16.h"
#include "kernels/gemm.h"
#include "tests/catch.h"
#include "tests/kernels/gemm_absorb_args.h"
#include "tests/kernels/kernel_compare.h"

#ifdef MOEBENCH_HAVE_CUDA
#include <cuda_runtime_api.h>

#include "kernels/cuda_check.h"
#include "kernels/device_buffer.h"
#include "kernels/pdl.h"
#include "tests/kernels/gpu_test_stream.h"
#endif

namespace moebench {
namespace {

#ifdef MOEBENCH_HAVE_CUDA
// Host copies of one GEMM's operands, sized for the views in g (pointers filled in later).
struct GemmCase {
  GemmArgs g;
  std::vector<float> a, b, c;  // c: the initial C (NaN when beta == 0: it must not be read)
};

int64_t view_size(int batch, int64_t stride, int64_t rows, int64_t ld) {
  return (batch - 1) * stride + rows * ld;
}

GemmCase make_case(GemmArgs g, uint32_t seed) {
  GemmCase gc;
  const int64_t b_rows = g.b_transposed ? g.n : g.k;
  gc.a = test::random_bf16(view_size(g.batch, g.stride_a, g.m, g.lda), seed, -1.0f, 1.0f);
  gc.b = test::random_bf16(view_size(g.batch, g.stride_b, b_rows, g.ldb), seed + 1, -1.0f, 1.0f);
  const int64_t nc = view_size(g.batch, g.stride_c, g.m, g.ldc);
  gc.c = g.beta != 0.0f ? test::random_bf16(nc, seed + 2) : std::vector<float>(nc, NAN);
  gc.g = g;
  return gc;
}

// Runs gc on the GPU (directly, or captured into a CUDA graph and replayed) and compares the whole
// C buffer, padding included, with ref_gemm.
void run_case(CublasContext& ctx, GemmCase gc, bool in_graph = false) {
  GemmArgs& g = gc.g;
  CAPTURE(g.m, g.n, g.k, g.lda, g.ldb, g.ldc, g.b_transposed, g.c_f32, g.alpha, g.beta, g.batch,
          g.stride_a, g.stride_b, g.stride_c, static_cast<int>(g.algo), in_graph);
  std::vector<float> want = gc.c;
  ref_gemm(gc.a, gc.b, want, g);
  TestStream st;
  DeviceBuffer<bf16_bits> d_a(bf16_from_f32(gc.a)), d_b(bf16_from_f32(gc.b));
  DeviceBuffer<bf16_bits> d_c16(g.c_f32 ? std::vector<bf16_bits>{} : bf16_from_f32(gc.c));
  DeviceBuffer<float> d_c32(g.c_f32 ? gc.c : std::vector<float>{});
  g.a = d_a.data();
  g.b = d_b.data();
  g.c = g.c_f32 ? static_cast<void*>(d_c32.data()) : static_cast<void*>(d_c16.data());
  if (in_graph) {
    cudaGraph_t graph = nullptr;
    cudaGraphExec_t exec = nullptr;
    CUDA_CHECK(cudaStreamBeginCapture(st.s, cudaStreamCaptureModeThreadLocal));
    cuda_gemm(ctx, g, st.s);
    CUDA_CHECK(cudaStreamEndCapture(st.s, &graph));
    CUDA_CHECK(cudaGraphInstantiate(&exec, graph, 0));
    CUDA_CHECK(cudaGraphLaunch(exec, st.s));
    st.sync();
    cudaGraphExecDestroy(exec);
    cudaGraphDestroy(graph);
  } else {
    cuda_gemm(ctx, g, st.s);
    st.sync();
  }
  const std::vector<float> got = g.c_f32 ? d_c32.download() : bf16_to_f32(d_c16.download());
  // NOTE: f32 sums of up to 2048 products in [-1, 1] in another order differ by ~1e-4; a bf16
  // output may round to the neighbouring value (2^-8 relative).
  const auto r = g.c_f32 ? test::compare_close(got, want, 2e-3, 1e-4)
                         : test::compare_close(got, want, 2e-2, 1e-2);
  INFO(r.message);
  REQUIRE(r.ok);
}

// One plain (batch 1) GEMM per algo that serves it, over both layouts, outputs and betas.
void check_plain(CublasContext& ctx, int64_t m, int64_t n, int64_t k, int64_t lda_pad) {
  for (GemmAlgo algo : {GemmAlgo::cublas, GemmAlgo::skinny, GemmAlgo::automatic}) {
    for (bool bt : {true, false}) {
      if (algo == GemmAlgo::skinny && m > kGemmSkinnyMaxM) continue;
      for (bool c_f32 : {false, true}) {
        for (float beta : {0.0f, 1.0f}) {
          GemmArgs g;
          g.m = m;
          g.n = n;
          g.k = k;
          g.lda = k + lda_pad;
          g.b_transposed = bt;
          g.ldb = (bt ? k : n) + lda_pad;
          g.ldc = n + (lda_pad > 0 ? 3 : 0);
          g.c_f32 = c_f32;
          g.alpha = beta != 0.0f ? 0.5f : 1.0f;
          g.beta = beta;
          g.algo = algo;
          run_case(ctx, make_case(g, static_cast<uint32_t>(m * 131 + n * 7 + k)));
        }
      }
    }
  }
}
#endif

TEST_CASE("cuda_gemm matches ref_gemm over ragged shapes, layouts and algos", "[gpu]") {
  MOEBENCH_REQUIRE_GPU();
#ifdef MOEBENCH_HAVE_CUDA
  CublasContext ctx;
  // {n, k}: size 1, tiny-model heads, odd k (scalar tail, or vector body + tail when lda is padded)
  const std::vector<std::pair<int64_t, int64_t>> shapes = {{1, 1}, {40, 24}, {33, 77}, {129, 520}};
  for (int64_t m : {1, 3, 16, 17, 300}) {
    for (const auto& [n, k] : shapes) {
      check_plain(ctx, m, n, k, 0);
      check_plain(ctx, m, n, k, 8 - k % 8 + 8);  // padded rows, 16-byte aligned when k is odd
    }
  }
#endif
}

TEST_CASE("cuda_gemm skinny and cuBLAS agree with ref_gemm at model sizes", "[gpu]") {
  MOEBENCH_REQUIRE_GPU();
#ifdef MOEBENCH_HAVE_CUDA
  CublasContext ctx;
  // {n, k}: V2-Lite expert gate|up, expert down, MLA kv_a projection (512 + 64)
  const std::vector<std::pair<int64_t, int64_t>> shapes = {{2816, 2048}, {2048, 1408}, {576, 2048}};
  for (int64_t m : {1, 3, 9, 16}) {
    for (const auto& [n, k] : shapes) {
      for (GemmAlgo algo : {GemmAlgo::skinny, GemmAlgo::cublas}) {
        GemmArgs g;
        g.m = m;
        g.n = n;
        g.k = k;
        g.lda = g.ldb = k;
        g.ldc = n;
        g.algo = algo;
        run_case(ctx, make_case(g, static_cast<uint32_t>(m + n)));
      }
    }
  }
#endif
}

TEST_CASE("cuda_gemm with a_lo: skinny and cuBLAS multiply by a + a_lo like ref_gemm", "[gpu]") {
  MOEBENCH_REQUIRE_GPU();
#ifdef MOEBENCH_HAVE_CUDA
  CublasContext ctx;
  // An f32 A split as the engine's norm splits it (hi = bf16(x), lo = bf16(x - hi)): the router's
  // (m, 64 experts, 2048) and a ragged k for the scalar tail.
  for (const auto& [m, n, k] : std::vector<std::tuple<int64_t, int64_t, int64_t>>{
           {1, 64, 2048}, {3, 64, 2048}, {64, 64, 2048}, {2, 17, 33}}) {
    for (GemmAlgo algo : {GemmAlgo::skinny, GemmAlgo::cublas}) {
      if (algo == GemmAlgo::skinny && m > kGemmSkinnyMaxM) continue;
      CAPTURE(m, n, k, static_cast<int>(algo));
      std::vector<float> x = test::random_bf16(m * k, 7, -1.0f, 1.0f), hi(m * k), lo(m * k);
      for (int64_t i = 0; i < m * k; ++i) {
        x[i] *= 1.0f + 1.0f / 3.0f;  // not bf16 values any more
        hi[i] = bf16_round(x[i]);
        lo[i] = bf16_round(x[i] - hi[i]);
      }
      const std::vector<float> w = test::random_bf16(n * k, 8, -1.0f, 1.0f);
      GemmArgs g = gemm_args_dense(m, n, k, nullptr, nullptr, nullptr, algo);
      g.c_f32 = true;
      std::vector<float> want(m * n, 0.0f);
      ref_gemm(hi, w, want, g, &lo);
      TestStream st;
      DeviceBuffer<bf16_bits> d_hi(bf16_from_f32(hi)), d_lo(bf16_from_f32(lo)),
          d_w(bf16_from_f32(w));
      DeviceBuffer<float> d_c(static_cast<size_t>(m * n));
      g.a = d_hi.data();
      g.a_lo = d_lo.data();
      g.b = d_w.data();
      g.c = d_c.data();
      cuda_gemm(ctx, g, st.s);
      st.sync();
      const auto r = test::compare_close(d_c.download(), want, 2e-3, 1e-4);
      INFO(r.message);
      REQUIRE(r.ok);
    }
  }
#endif
}

TEST_CASE("cuda_gemm strided batches slice heads out of one row", "[gpu]") {
  MOEBENCH_REQUIRE_GPU();
#ifdef MOEBENCH_HAVE_CUDA
  CublasContext ctx;
  const int heads = 3;
  for (int64_t m : {1, 17}) {
    for (const auto& [n, dk] : std::vector<std::pair<int64_t, int64_t>>{{40, 24}, {33, 192}}) {
      for (bool bt : {true, false}) {
        for (bool c_f32 : {false, true}) {
          for (GemmAlgo algo : {GemmAlgo::automatic, GemmAlgo::skinny}) {
            if (algo == GemmAlgo::skinny && m > kGemmSkinnyMaxM) continue;
            GemmArgs g;
            g.batch = heads;
            g.m = m;
            g.n = n;
            g.k = dk;
            g.lda = heads * dk;  // A (m, heads * dk), head h at column h * dk
            g.stride_a = dk;
            g.b_transposed = bt;
            g.ldb = bt ? dk : n;  // B (heads, n, dk) or (heads, dk, n), contiguous
            g.stride_b = n * dk;
            g.ldc = heads * n;  // C (m, heads * n), head h at column h * n
            g.stride_c = n;
            g.c_f32 = c_f32;
            g.beta = 1.0f;
            g.algo = algo;
            run_case(ctx, make_case(g, static_cast<uint32_t>(m + dk)));
          }
        }
      }
    }
  }
#endif
}

TEST_CASE("cuda_gemm skinny serves MLA's absorb GEMMs at V2-Lite and V3 head counts", "[gpu]") {
  MOEBENCH_REQUIRE_GPU();
#ifdef MOEBENCH_HAVE_CUDA
  CublasContext ctx;
  for (int heads : {16, 128}) {
    for (int64_t m : {1, 2, 4, 16}) {
      for (GemmArgs g : {test::mla_q_absorb_args(heads, m), test::mla_out_absorb_args(heads, m)}) {
        // C's untouched columns (q_pe's place beside each absorbed query) stay NaN: checked too.
        run_case(ctx, make_case(g, static_cast<uint32_t>(heads + m)));
        if (m != 4) continue;
        g.c_f32 = true;  // the f32 output the kernels also serve, at one row count
        run_case(ctx, make_case(g, static_cast<uint32_t>(heads + m + 1)));
      }
    }
  }
#endif
}

#ifdef MOEBENCH_HAVE_CUDA
// heads strided batches of (n, k) per head, every view padded (aligned: row lengths and strides
// multiples of 8, the 16-byte loads; else odd, the element loads), with a gap between heads' B.
GemmArgs odd_batched_args(int heads, int64_t m, int64_t n, int64_t k, bool bt, bool aligned) {
  auto pad = [&](int64_t x) { return (x + 7) / 8 * 8 + (aligned ? 0 : 1); };
  GemmArgs g;
  g.batch = heads;
  g.m = m;
  g.n = n;
  g.k = k;
  g.stride_a = pad(k);
  g.lda = heads * g.stride_a;
  g.b_transposed = bt;
  g.ldb = bt ? pad(k) : pad(n);
  g.stride_b = (bt ? n : k) * g.ldb + (aligned ? 8 : 3);
  g.stride_c = n + 3;
  g.ldc = heads * g.stride_c;
  g.algo = GemmAlgo::skinny;
  return g;
}
#endif

TEST_CASE("cuda_gemm skinny strided batches over ragged shapes, both B layouts and load paths",
          "[gpu]") {
  MOEBENCH_REQUIRE_GPU();
#ifdef MOEBENCH_HAVE_CUDA
  CublasContext ctx;
  // {n, k}: size 1, ragged both (k past one 128-deep pass of the (k, n) kernel, n past its 64-wide
  // column tiles and the transposed kernel's 16), one whole tile of each.
  const std::vector<std::pair<int64_t, int64_t>> shapes = {{1, 1}, {33, 77}, {130, 520}, {64, 128}};
  for (int64_t m : {1, 3, 16}) {
    for (const auto& [n, k] : shapes) {
      for (bool bt : {true, false}) {
        for (bool aligned : {true, false}) {
          for (bool c_f32 : {false, true}) {
            GemmArgs g = odd_batched_args(3, m, n, k, bt, aligned);
            g.c_f32 = c_f32;
            g.alpha = c_f32 ? 0.5f : 1.0f;
            g.beta = c_f32 ? 1.0f : 0.0f;
            run_case(ctx, make_case(g, static_cast<uint32_t>(m * 31 + n + k)));
          }
        }
      }
    }
  }
#endif
}

#ifdef MOEBENCH_HAVE_CUDA
// x -> 3 rounds of [q absorb into the absorbed queries, out absorb of those back to x] over 16
// heads, m rows, skinny kernels only: each launch reads what the one before it wrote.
struct AbsorbChain {
  static constexpr int kHeads = 16;
  int64_t m = 4;
  GemmArgs q = test::mla_q_absorb_args(kHeads, m), out = test::mla_out_absorb_args(kHeads, m);
  DeviceBuffer<bf16_bits> w, x, qlat;

  AbsorbChain()
      : w(bf16_from_f32(test::random_bf16(kHeads * q.stride_b, 91, -0.1f, 0.1f))),
        x(bf16_from_f32(test::random_bf16(m * q.lda, 92, -1.0f, 1.0f))),
        qlat(std::vector<bf16_bits>(m * q.ldc, 0)) {  // zeros where q_pe would be: compared too
    q.a = x.data();
    q.b = w.data();
    q.c = qlat.data();
    out.a = qlat.data();  // the absorbed queries' latent part stands in for the attention output
    out.lda = q.ldc;
    out.stride_a = q.stride_c;
    out.b = w.data() + test::kMlaNope * test::kMlaLora;
    out.c = x.data();  // back into the queries' nope part: the next round's input
    out.ldc = q.lda;
    out.stride_c = q.stride_a;
  }

  void run(CublasContext& blas, cudaStream_t s) {
    for (int round = 0; round < 3; ++round) {
      cuda_gemm(blas, q, s);
      cuda_gemm(blas, out, s);
    }
  }
};
#endif

TEST_CASE("the skinny absorb GEMMs launched programmatically and from a graph give eager bits",
          "[gpu]") {
  MOEBENCH_REQUIRE_GPU();
#ifdef MOEBENCH_HAVE_CUDA
  CublasContext blas;
  AbsorbChain eager, early, graphed;
  TestStream s_eager, s_early, s_graph;
  cuda_stream_set_pdl(s_early.s, true);
  cuda_stream_set_pdl(s_graph.s, true);
  eager.run(blas, s_eager.s);
  early.run(blas, s_early.s);
  const TestGraph graph(s_graph.s, [&] { graphed.run(blas, s_graph.s); });
  graph.replay();
  s_eager.sync();
  s_early.sync();
  s_graph.sync();
  cuda_stream_set_pdl(s_early.s, false);
  cuda_stream_set_pdl(s_graph.s, false);
  const std::vector<bf16_bits> want_x = eager.x.download(), want_q = eager.qlat.download();
  CHECK(early.x.download() == want_x);
  CHECK(early.qlat.download() == want_q);
  CHECK(graphed.x.download() == want_x);
  CHECK(graphed.qlat.download() == want_q);
  // The chain did compute: its last output is finite and not all zero.
  const std::vector<float> last = bf16_to_f32(want_x);
  CHECK(std::all_of(last.begin(), last.end(), [](float v) { return std::isfinite(v); }));
  CHECK(std::any_of(last.begin(), last.end(), [](float v) { return v != 0.0f; }));
#endif
}

TEST_CASE("cuda_gemm replays from a CUDA graph, cuBLAS and skinny", "[gpu]") {
  MOEBENCH_REQUIRE_GPU();
#ifdef MOEBENCH_HAVE_CUDA
  CublasContext ctx;
  for (GemmAlgo algo : {GemmAlgo::cublas, GemmAlgo::skinny}) {
    GemmArgs g;
    g.m = 5;
    g.n = 300;
    g.k = 264;
    g.lda = g.ldb = g.k;
    g.ldc = g.n;
    g.algo = algo;
    // NOTE: a direct run first loads the kernels (lazy module loading), as an engine's warm-up
    // would before it captures.
    run_case(ctx, make_case(g, 11));
    run_case(ctx, make_case(g, 12), true);
  }
#endif
}

#ifdef MOEBENCH_HAVE_CUDA
TEST_CASE("cuda_gemm_skinny rejects shapes it does not serve before touching the device",
          "[kernels]") {
  std::vector<bf16_bits> dummy(64);  // never dereferenced: the checks throw first
  GemmArgs g;
  g.a = g.b = dummy.data();
  g.c = dummy.data();
  g.m = 17;
  g.n = g.k = g.lda = g.ldb = g.ldc = 4;
  CHECK_THROWS_AS(cuda_gemm_skinny(g, nullptr), std::invalid_argument);
  g.m = 2;
  g.batch = static_cast<int>(kGemmSkinnyMaxBatch + 1);
  CHECK_THROWS_AS(cuda_gemm_skinny(g, nullptr), std::invalid_argument);
  g.batch = 1;
  g.b_transposed = false;
  g.a_lo = dummy.data();
  g.c_f32 = true;
  CHECK_THROWS_AS(cuda_gemm_skinny(g, nullptr), std::invalid_argument);  // a_lo over a (k, n) B
  g.a_lo = nullptr;
  g.lda = 3;
  CHECK_THROWS_AS(cuda_gemm_skinny(g, nullptr), std::invalid_argument);
}
#endif

}  // namespace
}  // namespace moebench
