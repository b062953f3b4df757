// [gpu] tests of the loads fused into the MoE grouped GEMMs (cuda_grouped_gemm and
// cuda_grouped_gemm_tc): the SwiGLU of the down GEMM (GroupedGemmArgs::x_swiglu) and the permute's
// gather of the up GEMM (x_slots). Each against ref_grouped_gemm and bit-identical to the
// two-kernel path (cuda_swiglu or cuda_moe_permute's gather, then the plain grouped GEMM) over
// ragged experts, k across the kernels' chunk sizes, the CUDA-core fallback of the tensor-core
// entry, CUDA graph replay, and the cuBLAS path's refusal.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernels/bf16.h"
#include "kernels/gemm.h"
#include "kernels/grouped_gemm.h"
#include "kernels/moe_permute.h"
#include "kernels/ops.h"
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
enum class SwigluKernel { cuda_core, tensor_core, tensor_core_graph };

// What cuda_grouped_gemm_host says of SwiGLU rows (swiglu) or gathered ones: it takes neither.
std::string host_refusal(bool swiglu) {
  CublasContext blas;
  bf16_bits buf[8] = {};
  int32_t slots[1] = {0};
  GroupedGemmArgs g;
  g.x = g.w = buf;  // never read: the check throws first
  g.y = buf;
  g.n_experts = 1;
  g.n = g.k = 2;
  g.max_rows = 1;
  g.x_swiglu = swiglu;
  g.x_slots = swiglu ? nullptr : slots;
  try {
    cuda_grouped_gemm_host(blas, g, {0, 1}, nullptr);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "no error";
}

void launch_grouped(SwigluKernel kernel, const GroupedGemmArgs& g, cudaStream_t s) {
  if (kernel == SwigluKernel::cuda_core) {
    cuda_grouped_gemm(g, s);
  } else {
    cuda_grouped_gemm_tc(g, s);
  }
}

// counts: rows per expert; x_shift > 0 misaligns x (the tensor-core entry falls back).
void check_swiglu_down(SwigluKernel kernel, const std::vector<int32_t>& counts, int64_t n,
                       int64_t k, int64_t x_shift = 0) {
  std::vector<int32_t> offsets(counts.size() + 1, 0);
  for (size_t e = 0; e < counts.size(); ++e) offsets[e + 1] = offsets[e] + counts[e];
  const int64_t rows = offsets.back();
  CAPTURE(static_cast<int>(kernel), counts.size(), rows, n, k, x_shift);
  GroupedGemmArgs g;
  g.n_experts = static_cast<int>(counts.size());
  g.n = n;
  g.k = k;
  g.max_rows = rows;
  g.max_rows_per_expert = rows;
  g.x_swiglu = true;
  const std::vector<float> gu = test::random_bf16(rows * 2 * k, 51, -3.0f, 3.0f);  // [gate | up]
  const std::vector<float> w = test::random_bf16(g.n_experts * n * k, 52, -1.0f, 1.0f);
  std::vector<float> want;
  ref_grouped_gemm(gu, offsets, w, g, want);

  TestStream st;
  std::vector<float> gu_dev(x_shift, 0.0f);
  gu_dev.insert(gu_dev.end(), gu.begin(), gu.end());
  DeviceBuffer<bf16_bits> d_gu(bf16_from_f32(gu_dev)), d_w(bf16_from_f32(w));
  DeviceBuffer<bf16_bits> d_act(rows * k),
      d_fused(bf16_from_f32(std::vector<float>(rows * n, NAN)));
  DeviceBuffer<bf16_bits> d_split(rows * n);
  DeviceBuffer<int32_t> d_off(offsets);
  g.x = d_gu.data() + x_shift;
  g.w = d_w.data();
  g.y = d_fused.data();
  g.offsets = d_off.data();
  if (kernel == SwigluKernel::tensor_core_graph) {
    cudaGraph_t graph = nullptr;
    cudaGraphExec_t exec = nullptr;
    CUDA_CHECK(cudaStreamBeginCapture(st.s, cudaStreamCaptureModeThreadLocal));
    launch_grouped(kernel, g, st.s);
    CUDA_CHECK(cudaStreamEndCapture(st.s, &graph));
    CUDA_CHECK(cudaGraphInstantiate(&exec, graph, 0));
    for (int i = 0; i < 2; ++i) CUDA_CHECK(cudaGraphLaunch(exec, st.s));
    st.sync();
    cudaGraphExecDestroy(exec);
    cudaGraphDestroy(graph);
  } else {
    launch_grouped(kernel, g, st.s);
  }
  // The two-kernel path over the same rows.
  GroupedGemmArgs split = g;
  split.x_swiglu = false;
  split.x = d_act.data();
  split.y = d_split.data();
  cuda_swiglu(g.x, 2 * k, g.x + k, 2 * k, rows, k, d_act.data(), st.s);
  launch_grouped(kernel, split, st.s);
  st.sync();
  const std::vector<float> fused = bf16_to_f32(d_fused.download());
  const auto r = test::compare_close(fused, want, 2e-2, 1e-2);
  INFO(r.message);
  REQUIRE(r.ok);
  // NOTE: a misaligned x runs the fused rows on the scalar path and the split rows (an aligned
  // act buffer) on the vector one: same values, another summation order.
  if (x_shift != 0) return;
  const std::vector<bf16_bits> a = d_fused.download(), b = d_split.download();
  int64_t differ = 0;
  for (size_t i = 0; i < a.size(); ++i) differ += a[i] != b[i];
  CHECK(differ == 0);
}

// Tokens routed top_k at random (seeded); the up GEMM over their rows through cuda_moe_permute's
// maps, once reading x through perm_to_slot and once over the gathered x_perm.
void check_gather_up(SwigluKernel kernel, int64_t n_tokens, int top_k, int n_experts, int64_t n,
                     int64_t k) {
  CAPTURE(static_cast<int>(kernel), n_tokens, top_k, n_experts, n, k);
  std::mt19937 rng(static_cast<uint32_t>(n_tokens * 131 + k));
  std::vector<int32_t> ids;
  for (int64_t t = 0; t < n_tokens; ++t) {
    std::vector<int32_t> e(n_experts);
    for (int i = 0; i < n_experts; ++i) e[i] = i;
    std::shuffle(e.begin(), e.end(), rng);
    ids.insert(ids.end(), e.begin(), e.begin() + top_k);
  }
  const int64_t rows = n_tokens * top_k;
  const std::vector<float> x = test::random_bf16(n_tokens * k, 61, -1.0f, 1.0f);
  const std::vector<float> w = test::random_bf16(int64_t{n_experts} * n * k, 62, -1.0f, 1.0f);
  TestStream st;
  DeviceBuffer<int32_t> d_ids(ids), d_off(n_experts + 1), d_p2s(rows), d_s2p(rows);
  DeviceBuffer<bf16_bits> d_x(bf16_from_f32(x)), d_w(bf16_from_f32(w)), d_xp(rows * k);
  DeviceBuffer<bf16_bits> d_fused(bf16_from_f32(std::vector<float>(rows * n, NAN)));
  DeviceBuffer<bf16_bits> d_split(rows * n);
  MoePermuteArgs p;
  p.topk_ids = d_ids.data();
  p.x = d_x.data();
  p.ld_x = k;
  p.n_tokens = n_tokens;
  p.top_k = top_k;
  p.n_experts = n_experts;
  p.hidden = k;
  p.offsets = d_off.data();
  p.perm_to_slot = d_p2s.data();
  p.slot_to_perm = d_s2p.data();
  p.x_perm = d_xp.data();
  cuda_moe_permute(p, st.s);
  GroupedGemmArgs g;
  g.x = d_x.data();
  g.x_slots = d_p2s.data();
  g.slot_div = top_k;
  g.offsets = d_off.data();
  g.w = d_w.data();
  g.y = d_fused.data();
  g.max_rows = rows;
  g.max_rows_per_expert = n_tokens;
  g.n_experts = n_experts;
  g.n = n;
  g.k = k;
  GroupedGemmArgs split = g;
  split.x = d_xp.data();
  split.x_slots = nullptr;
  split.slot_div = 1;
  split.y = d_split.data();
  launch_grouped(kernel, g, st.s);
  launch_grouped(kernel, split, st.s);
  st.sync();
  std::vector<float> want;
  ref_grouped_gemm(x, d_off.download(), w, g, want, d_p2s.download());
  const auto r = test::compare_close(bf16_to_f32(d_fused.download()), want, 2e-2, 1e-2);
  INFO(r.message);
  REQUIRE(r.ok);
  const std::vector<bf16_bits> a = d_fused.download(), b = d_split.download();
  int64_t differ = 0;
  for (size_t i = 0; i < a.size(); ++i) differ += a[i] != b[i];
  CHECK(differ == 0);
}
#endif

TEST_CASE("the permute's gather fused into the grouped up GEMM matches the gathered copy",
          "[gpu]") {
  MOEBENCH_REQUIRE_GPU();
#ifdef MOEBENCH_HAVE_CUDA
  for (SwigluKernel kernel : {SwigluKernel::cuda_core, SwigluKernel::tensor_core}) {
    for (int64_t n_tokens : {int64_t{1}, int64_t{5}, int64_t{64}}) {
      check_gather_up(kernel, n_tokens, 6, 64, 2816, 2048);  // V2-Lite gate|up
      check_gather_up(kernel, n_tokens, 2, 8, 40, 24);       // tiny
    }
    check_gather_up(kernel, 7, 2, 4, 33, 77);  // odd k: the scalar path (and the tc fallback)
  }
  // The cuBLAS path has no gathered form and says so.
  CHECK(host_refusal(false).find("x_slots") != std::string::npos);
#endif
}

TEST_CASE("the SwiGLU fused into the grouped down GEMM matches the two-kernel path", "[gpu]") {
  MOEBENCH_REQUIRE_GPU();
#ifdef MOEBENCH_HAVE_CUDA
  // k: one partial vector chunk, odd (scalar path), V2-Lite's expert 1408 (two 512 chunks and a
  // partial one; 22 tensor-core chunks), 2048 (V3); counts: ragged with an empty expert, one
  // expert with 37 rows (3 tensor-core row tiles), a single row.
  const std::vector<std::vector<int32_t>> count_sets = {{3, 0, 7, 1}, {0, 37, 0}, {0, 0, 1}};
  for (SwigluKernel kernel : {SwigluKernel::cuda_core, SwigluKernel::tensor_core}) {
    for (const auto& counts : count_sets) {
      for (int64_t k : {int64_t{24}, int64_t{77}, int64_t{1408}}) {
        check_swiglu_down(kernel, counts, 40, k);
      }
    }
    check_swiglu_down(kernel, {5, 0, 16, 2}, 2048, 1408);
    check_swiglu_down(kernel, {1, 1}, 264, 2048);
  }
  // A misaligned x: the tensor-core entry falls back to the CUDA-core kernel, still fused.
  check_swiglu_down(SwigluKernel::tensor_core, {3, 0, 7, 1}, 40, 24, 1);
  check_swiglu_down(SwigluKernel::tensor_core_graph, {3, 0, 7, 1}, 264, 1408);
  // The cuBLAS path has no fused form and says so.
  CHECK(host_refusal(true).find("x_swiglu") != std::string::npos);
#endif
}

}  // namespace
}  // namespace moebench
