// [gpu] tests of the MoE grouped expert GEMM: cuda_grouped_gemm (device offsets, also replayed from
// a CUDA graph) and cuda_grouped_gemm_host (per-expert cuBLAS) against ref_grouped_gemm, over
// ragged offsets with empty experts, one expert taking every row, single rows and ragged n, k.
#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

#include "kernels/bf16.h"
#include "kernels/gemm.h"
#include "kernels/grouped_gemm.h"
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

#ifdef MOEBENCH_HAVE_CUDA
// Offsets (n_experts + 1) from per-expert row counts.
std::vector<int32_t> offsets_from_counts(const std::vector<int32_t>& counts) {
  std::vector<int32_t> off(counts.size() + 1, 0);
  for (size_t e = 0; e < counts.size(); ++e) off[e + 1] = off[e] + counts[e];
  return off;
}

enum class GroupedPath { device, device_graph, host_cublas };

// Rows [0, offsets.back()) of y against the reference; y rows up to max_rows = offsets.back() +
// slack exist on the device but are not compared (the kernels leave them alone).
void check_grouped(CublasContext& ctx, const std::vector<int32_t>& counts, int64_t n, int64_t k,
                   int64_t slack, GroupedPath path) {
  const std::vector<int32_t> offsets = offsets_from_counts(counts);
  const int n_experts = static_cast<int>(counts.size());
  const int64_t rows = offsets.back(), max_rows = rows + slack;
  CAPTURE(n_experts, rows, max_rows, n, k, static_cast<int>(path));
  GroupedGemmArgs g;
  g.n_experts = n_experts;
  g.n = n;
  g.k = k;
  g.max_rows = max_rows;
  const std::vector<float> x = test::random_bf16(max_rows * k, 21, -1.0f, 1.0f);  // (max_rows, k)
  const std::vector<float> w = test::random_bf16(n_experts * n * k, 22, -1.0f, 1.0f);  // (E, n, k)
  std::vector<float> want;
  ref_grouped_gemm(x, offsets, w, g, want);

  TestStream st;
  DeviceBuffer<bf16_bits> d_x(bf16_from_f32(x)), d_w(bf16_from_f32(w)), d_y(max_rows * n);
  DeviceBuffer<int32_t> d_off(offsets);
  g.x = d_x.data();
  g.w = d_w.data();
  g.y = d_y.data();
  g.offsets = d_off.data();
  if (path == GroupedPath::host_cublas) {
    cuda_grouped_gemm_host(ctx, g, offsets, st.s);
  } else if (path == GroupedPath::device) {
    cuda_grouped_gemm(g, st.s);
  } else {
    cudaGraph_t graph = nullptr;
    cudaGraphExec_t exec = nullptr;
    CUDA_CHECK(cudaStreamBeginCapture(st.s, cudaStreamCaptureModeThreadLocal));
    cuda_grouped_gemm(g, st.s);
    CUDA_CHECK(cudaStreamEndCapture(st.s, &graph));
    CUDA_CHECK(cudaGraphInstantiate(&exec, graph, 0));
    CUDA_CHECK(cudaGraphLaunch(exec, st.s));
    st.sync();
    cudaGraphExecDestroy(exec);
    cudaGraphDestroy(graph);
  }
  st.sync();
  std::vector<float> got = bf16_to_f32(d_y.download());
  got.resize(rows * n);
  const auto r = test::compare_close(got, want, 2e-2, 1e-2);
  INFO(r.message);
  REQUIRE(r.ok);
}

// Decode-like routing: n_tokens tokens each to top_k distinct experts, seeded.
std::vector<int32_t> routed_counts(int n_experts, int n_tokens, int top_k, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<int32_t> counts(n_experts, 0);
  for (int t = 0; t < n_tokens; ++t) {
    std::vector<int> ids(n_experts);
    for (int e = 0; e < n_experts; ++e) ids[e] = e;
    std::shuffle(ids.begin(), ids.end(), rng);
    for (int j = 0; j < top_k; ++j) ++counts[ids[j]];
  }
  return counts;
}
#endif

TEST_CASE("cuda_grouped_gemm and cuda_grouped_gemm_host match the reference", "[gpu]") {
  MOEBENCH_REQUIRE_GPU();
#ifdef MOEBENCH_HAVE_CUDA
  CublasContext ctx;
  struct Shape {
    int64_t n, k;
  };
  // tiny model (n 40, k 24), odd k (scalar path), V2-Lite gate|up (2 * 1408, 2048)
  const std::vector<Shape> shapes = {{40, 24}, {33, 77}, {2816, 2048}};
  const std::vector<std::vector<int32_t>> count_sets = {
      {3, 0, 7, 1},           // ragged, one empty expert
      {0, 0, 37, 0, 0, 0},    // one expert takes every row (3 row tiles, the last partial)
      {0, 0, 0, 0, 0, 1, 0},  // a single row
      {16, 17, 0, 1, 32, 0},  // tile boundaries: 16, 16 + 1, 2 * 16
  };
  for (GroupedPath path : {GroupedPath::device, GroupedPath::host_cublas}) {
    for (const Shape& s : shapes) {
      for (const auto& counts : count_sets) {
        for (int64_t slack : {0, 5}) check_grouped(ctx, counts, s.n, s.k, slack, path);
      }
    }
  }
#endif
}

TEST_CASE("cuda_grouped_gemm serves decode routing and replays from a CUDA graph", "[gpu]") {
  MOEBENCH_REQUIRE_GPU();
#ifdef MOEBENCH_HAVE_CUDA
  CublasContext ctx;
  // Decode routing, 1 and 16 tokens: 64 experts top-6 (most experts empty) at small widths, and
  // 8 experts top-2 at the V2-Lite expert shapes (gate|up (2816, 2048), down (2048, 1408)).
  for (int n_tokens : {1, 16}) {
    const std::vector<int32_t> wide = routed_counts(64, n_tokens, 6, 31 + n_tokens);
    check_grouped(ctx, wide, 264, 136, 0, GroupedPath::device);
    check_grouped(ctx, wide, 40, 24, 3, GroupedPath::device_graph);
    const std::vector<int32_t> big = routed_counts(8, n_tokens, 2, 41 + n_tokens);
    check_grouped(ctx, big, 2816, 2048, 0, GroupedPath::device_graph);
    check_grouped(ctx, big, 2048, 1408, 2, GroupedPath::device);
  }
  // No rows at all: nothing to do, nothing written.
  check_grouped(ctx, {0, 0, 0}, 40, 24, 0, GroupedPath::device);
  check_grouped(ctx, {0, 0, 0}, 40, 24, 4, GroupedPath::host_cublas);
#endif
}

}  // namespace
}  // namespace moebench
