// [gpu] tests of cuda_prefill_attention, cuda_prefill_attention_mma, cuda_prefill_attention_wgmma
// and cuda_prefill_attention_fa3 against ref_prefill_attention: varlen batches (len_q 1, 17,
// 100, 300 with cached prefixes), GQA groups 1 and 4, head dims from 16 to 192/128, causal or not,
// strided heads (MLA v read in place); a timed 8 x 2048 DeepSeek-V2-Lite shape. They skip visibly
// without a CUDA build or device.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernels/attention.h"
#include "kernels/bf16.h"
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
using Bf16Buffer = DeviceBuffer<bf16_bits>;

std::vector<int32_t> prefix_sums(const std::vector<int32_t>& lens) {
  std::vector<int32_t> cu(lens.size() + 1, 0);
  for (size_t i = 0; i < lens.size(); ++i) cu[i + 1] = cu[i] + lens[i];
  return cu;
}

enum class PrefillKernel {
  smem,   // cuda_prefill_attention
  mma,    // cuda_prefill_attention_mma (register tiles)
  wgmma,  // cuda_prefill_attention_wgmma (Hopper warpgroup MMA)
  fa3,    // cuda_prefill_attention_fa3 (TMA producer, ping-pong consumers)
};

struct PrefillCase {
  std::vector<int32_t> len_q, len_k;
  int n_heads = 0, n_kv_heads = 0, dk = 0, dv = 0;
  bool causal = true;
  int pad = 0;           // extra elements at the end of every q / k / out token row
  bool v_in_kv = false;  // v read in place from an MLA-style (n, heads, dk + dv) kv buffer
  int v_cut = 0;  // v_in_kv: elements cut from v's token stride (down to its last head's end)
  PrefillKernel kernel = PrefillKernel::smem;
};

// The reference output of a case, computed once per case and kept for the other kernels' runs of
// it (the 2048-token MLA prompt's takes seconds of CPU a run).
const std::vector<float>& reference_of(const PrefillCase& c, const PrefillAttentionArgs& a,
                                       const std::vector<float>& q, const std::vector<float>& k,
                                       const std::vector<float>& v,
                                       const std::vector<int32_t>& cu_q,
                                       const std::vector<int32_t>& cu_k) {
  static std::map<std::string, std::vector<float>> known;
  std::ostringstream key;
  for (int32_t l : c.len_q) key << l << ',';
  key << '|';
  for (int32_t l : c.len_k) key << l << ',';
  key << '|' << c.n_heads << ',' << c.n_kv_heads << ',' << c.dk << ',' << c.dv << ',' << c.causal
      << ',' << c.pad << ',' << c.v_in_kv << ',' << c.v_cut;
  auto it = known.find(key.str());
  if (it == known.end()) {
    std::vector<float> want;
    ref_prefill_attention(a, q, k, v, cu_q, cu_k, want);
    it = known.emplace(key.str(), std::move(want)).first;
  }
  return it->second;
}

void check_prefill(const PrefillCase& c) {
  CAPTURE(c.n_heads, c.n_kv_heads, c.dk, c.dv, c.causal, c.pad, c.v_in_kv, c.v_cut,
          static_cast<int>(c.kernel));
  const std::vector<int32_t> cu_q = prefix_sums(c.len_q), cu_k = prefix_sums(c.len_k);
  const int64_t total_q = cu_q.back(), total_k = cu_k.back();
  PrefillAttentionArgs a;
  a.n_seqs = static_cast<int>(c.len_q.size());
  for (int32_t l : c.len_q) a.max_q = std::max(a.max_q, static_cast<int>(l));
  a.n_heads = c.n_heads;
  a.n_kv_heads = c.n_kv_heads;
  a.dk = c.dk;
  a.dv = c.dv;
  a.causal = c.causal;
  a.scale = 1.0f / std::sqrt(static_cast<float>(c.dk));
  a.q_stride = c.n_heads * c.dk + c.pad;
  a.k_stride = c.n_kv_heads * c.dk + c.pad;
  a.out_stride = c.n_heads * c.dv + c.pad;
  if (c.v_in_kv) {
    a.v_head_stride = c.dk + c.dv;
    a.v_stride = c.n_kv_heads * a.v_head_stride - c.v_cut;
  } else {
    a.v_stride = c.n_kv_heads * c.dv + c.pad;
  }
  const std::vector<float> q = test::random_bf16(total_q * a.q_stride, 11);
  const std::vector<float> k = test::random_bf16(total_k * a.k_stride, 12);
  // v_buf holds v at offset v_off: the whole kv row for v_in_kv, v itself otherwise.
  const int64_t v_off = c.v_in_kv ? c.dk : 0;
  const std::vector<float> v_buf = test::random_bf16(total_k * a.v_stride + v_off, 13);
  const std::vector<float> v(v_buf.begin() + v_off, v_buf.end());
  const std::vector<float>& want = reference_of(c, a, q, k, v, cu_q, cu_k);

  TestStream st;
  Bf16Buffer d_q(bf16_from_f32(q)), d_k(bf16_from_f32(k)), d_v(bf16_from_f32(v_buf));
  Bf16Buffer d_out(bf16_from_f32(std::vector<float>(want.size(), 0.0f)));
  DeviceBuffer<int32_t> d_cu_q(cu_q), d_cu_k(cu_k);
  a.q = d_q.data();
  a.k = d_k.data();
  a.v = d_v.data() + v_off;
  a.out = d_out.data();
  a.cu_q = d_cu_q.data();
  a.cu_k = d_cu_k.data();
  switch (c.kernel) {
    case PrefillKernel::smem:
      cuda_prefill_attention(a, st.s);
      break;
    case PrefillKernel::mma:
      cuda_prefill_attention_mma(a, st.s);
      break;
    case PrefillKernel::wgmma:
      cuda_prefill_attention_wgmma(a, st.s);
      break;
    case PrefillKernel::fa3:
      a.total_k = total_k;
      cuda_prefill_attention_fa3(a, st.s);
      break;
  }
  st.sync();
  const auto r = test::compare_close(bf16_to_f32(d_out.download()), want, 1e-2, 2e-2);
  INFO(r.message);
  REQUIRE(r.ok);
}
#endif

#ifdef MOEBENCH_HAVE_CUDA
// Varlen GQA batches: a cached prefix (len_k > len_q) on the last three sequences, 300 spanning
// several query tiles (of 64 and of 128, whose last tile leaves the wgmma kernel's second
// warpgroup idle), head dims from 16 to 256, causal or not.
void check_varlen_batches(PrefillKernel kernel) {
  const std::vector<int32_t> len_q = {1, 17, 100, 300}, len_k = {1, 40, 100, 365};
  struct Dims {
    int n_heads, n_kv_heads, dk, dv;
  };
  const std::vector<Dims> dims = {{4, 4, 16, 16},   {8, 2, 16, 16},  {4, 1, 24, 16},
                                  {4, 4, 64, 64},   {8, 2, 64, 64},  {2, 2, 192, 128},
                                  {4, 1, 128, 128}, {2, 2, 256, 256}};
  for (const Dims& d : dims) {
    for (const bool causal : {true, false}) {
      PrefillCase c;
      c.kernel = kernel;  // (256, 256): the smem kernel under every entry
      c.len_q = len_q;
      c.len_k = len_k;
      c.n_heads = d.n_heads;
      c.n_kv_heads = d.n_kv_heads;
      c.dk = d.dk;
      c.dv = d.dv;
      c.causal = causal;
      check_prefill(c);
    }
  }
}

// Padded token rows, v read in place from the kv_b output, an empty sequence, and DeepSeek-V2-
// Lite's expanded heads (192 / 128) over a 2048-token causal prompt beside one with a cached
// prefix.
void check_special_rows(PrefillKernel kernel) {
  PrefillCase c;
  c.len_q = {5, 0, 64, 65, 1};
  c.len_k = {5, 3, 64, 130, 9};
  c.n_heads = 3;
  c.n_kv_heads = 3;
  c.dk = 24;  // MLA-style: nope 16 + rope 8
  c.dv = 16;
  c.pad = 8;
  c.v_in_kv = true;
  c.kernel = kernel;
  check_prefill(c);
  c.causal = false;
  check_prefill(c);
  c.len_q = {2048, 7};
  c.len_k = {2048, 300};
  c.n_heads = 2;
  c.n_kv_heads = 2;
  c.dk = 192;
  c.dv = 128;
  c.causal = true;
  check_prefill(c);
}

#define REQUIRE_WGMMA() MOEBENCH_REQUIRE_WGMMA(cuda_prefill_attention_wgmma_available())
#endif

TEST_CASE("cuda_prefill_attention and its mma variant match the reference over varlen GQA batches",
          "[gpu]") {
  MOEBENCH_REQUIRE_GPU();
#ifdef MOEBENCH_HAVE_CUDA
  check_varlen_batches(PrefillKernel::smem);
  check_varlen_batches(PrefillKernel::mma);
#endif
}

TEST_CASE("cuda_prefill_attention handles padded rows, in-place MLA v and empty sequences",
          "[gpu]") {
  MOEBENCH_REQUIRE_GPU();
#ifdef MOEBENCH_HAVE_CUDA
  check_special_rows(PrefillKernel::smem);
  check_special_rows(PrefillKernel::mma);
#endif
}

#ifdef MOEBENCH_HAVE_CUDA
// The wgmma kernels' own cases: the MLA shape's query tiles of 128 (a length that fills both
// warpgroups of its last tile but one row, one that leaves the second warpgroup a single row, one
// exact tile; many key tiles, so the FA3 kernel's stages wrap), and head dims padded inside
// instances: (136, 72) in (192, 128); (64, 128) in the cp.async kernel's (128, 128), the FA3
// kernel's own (64, 128).
void check_wgmma_tiles(PrefillKernel kernel) {
  check_varlen_batches(kernel);
  check_special_rows(kernel);
  PrefillCase c;
  c.kernel = kernel;
  c.len_q = {255, 193, 128};
  c.len_k = {255, 200, 128};
  c.n_heads = 4;
  c.n_kv_heads = 4;
  c.dk = 192;
  c.dv = 128;
  check_prefill(c);
  c.dk = 136;
  c.dv = 72;
  check_prefill(c);
  c.dk = 64;
  c.dv = 128;
  check_prefill(c);
}
#endif

TEST_CASE("cuda_prefill_attention_wgmma matches the reference over varlen GQA batches and rows",
          "[gpu][sm90a]") {
#ifdef MOEBENCH_HAVE_CUDA
  REQUIRE_WGMMA();
  check_wgmma_tiles(PrefillKernel::wgmma);
#else
  MOEBENCH_REQUIRE_GPU();
#endif
}

TEST_CASE("cuda_prefill_attention_fa3 matches the reference over varlen GQA batches and rows",
          "[gpu][sm90a]") {
#ifdef MOEBENCH_HAVE_CUDA
  REQUIRE_WGMMA();
  check_wgmma_tiles(PrefillKernel::fa3);
  // A v whose token stride stops at its last head's end (below heads x head stride): no TMA map
  // describes it, and the cp.async wgmma kernel takes the call.
  PrefillCase c;
  c.kernel = PrefillKernel::fa3;
  c.len_q = {70, 3};
  c.len_k = {90, 3};
  c.n_heads = c.n_kv_heads = 3;
  c.dk = 24;
  c.dv = 16;
  c.v_in_kv = true;
  c.v_cut = c.dk;
  check_prefill(c);
  // Without total_k the TMA maps have no extent: refused by name before any device work.
  PrefillAttentionArgs a;
  a.n_seqs = 1;
  a.max_q = 1;
  a.n_heads = a.n_kv_heads = 1;
  a.dk = a.dv = 64;
  a.q_stride = a.k_stride = a.v_stride = a.out_stride = 64;
  a.scale = 1.0f;
  Bf16Buffer buf(std::vector<bf16_bits>(64, 0));
  a.q = a.k = a.v = a.out = buf.data();
  DeviceBuffer<int32_t> cu(std::vector<int32_t>{0, 1});
  a.cu_q = a.cu_k = cu.data();
  std::string message;
  try {
    cuda_prefill_attention_fa3(a, nullptr);
  } catch (const std::invalid_argument& e) {
    message = e.what();
  }
  INFO(message);
  REQUIRE(message.find("cuda_prefill_attention_fa3: total_k") != std::string::npos);
#else
  MOEBENCH_REQUIRE_GPU();
#endif
}

TEST_CASE("cuda_prefill_attention and its variants refuse bad arguments by name", "[gpu]") {
  MOEBENCH_REQUIRE_GPU();
#ifdef MOEBENCH_HAVE_CUDA
  PrefillAttentionArgs a;
  a.n_seqs = 1;
  a.max_q = 1;
  a.n_heads = 4;
  a.n_kv_heads = 3;
  a.dk = a.dv = 16;
  a.q_stride = a.out_stride = 64;
  a.k_stride = a.v_stride = 48;
  a.scale = 1.0f;
  REQUIRE_THROWS_AS(cuda_prefill_attention(a, nullptr), std::invalid_argument);
  REQUIRE_THROWS_AS(cuda_prefill_attention_mma(a, nullptr), std::invalid_argument);
  REQUIRE_THROWS_AS(cuda_prefill_attention_wgmma(a, nullptr), std::invalid_argument);
  a.n_kv_heads = 4;
  a.dk = 264;
  REQUIRE_THROWS_AS(cuda_prefill_attention(a, nullptr), std::invalid_argument);
  REQUIRE_THROWS_AS(cuda_prefill_attention_wgmma(a, nullptr), std::invalid_argument);
#endif
}

TEST_CASE("cuda_prefill_attention speed at 8 x 2048 tokens, DeepSeek-V2-Lite heads",
          "[gpu][perf]") {
  MOEBENCH_REQUIRE_GPU();
#ifdef MOEBENCH_HAVE_CUDA
  // 16 heads, dk 192, dv 128, causal. Validates one short sequence of the same shape first.
  PrefillCase small;
  small.len_q = {130};
  small.len_k = {130};
  small.n_heads = 16;
  small.n_kv_heads = 16;
  small.dk = 192;
  small.dv = 128;
  check_prefill(small);

  const int n_seqs = 8, len = 2048, heads = 16, dk = 192, dv = 128;
  const int64_t total = int64_t{n_seqs} * len;
  std::vector<int32_t> cu(n_seqs + 1);
  for (int s = 0; s <= n_seqs; ++s) cu[s] = s * len;
  Bf16Buffer d_q(bf16_from_f32(test::random_bf16(total * heads * dk, 21)));
  Bf16Buffer d_k(bf16_from_f32(test::random_bf16(total * heads * dk, 22)));
  Bf16Buffer d_v(bf16_from_f32(test::random_bf16(total * heads * dv, 23)));
  Bf16Buffer d_out(total * heads * dv);
  DeviceBuffer<int32_t> d_cu(cu);
  PrefillAttentionArgs a;
  a.q = d_q.data();
  a.k = d_k.data();
  a.v = d_v.data();
  a.out = d_out.data();
  a.q_stride = a.k_stride = heads * dk;
  a.v_stride = a.out_stride = heads * dv;
  a.cu_q = a.cu_k = d_cu.data();
  a.n_seqs = n_seqs;
  a.max_q = len;
  a.n_heads = a.n_kv_heads = heads;
  a.dk = dk;
  a.dv = dv;
  a.scale = 1.0f / std::sqrt(static_cast<float>(dk));
  TestStream st;
  cudaEvent_t t0, t1;
  CUDA_CHECK(cudaEventCreate(&t0));
  CUDA_CHECK(cudaEventCreate(&t1));
  cuda_prefill_attention(a, st.s);  // warm-up
  const int iters = 10;
  CUDA_CHECK(cudaEventRecord(t0, st.s));
  for (int i = 0; i < iters; ++i) cuda_prefill_attention(a, st.s);
  CUDA_CHECK(cudaEventRecord(t1, st.s));
  st.sync();
  float ms = 0;
  CUDA_CHECK(cudaEventElapsedTime(&ms, t0, t1));
  cudaEventDestroy(t0);
  cudaEventDestroy(t1);
  // Causal: about half of the len x len score matrix, 2 flops per multiply-add, QK^T and PV.
  const double flops = 2.0 * n_seqs * heads * (double(len) * (len + 1) / 2) * (dk + dv);
  const double us = 1e3 * ms / iters;
  std::printf("prefill attention 8 x 2048, 16 heads, 192/128 causal: %.1f us | %.1f TFLOP/s\n", us,
              flops / (us * 1e-6) / 1e12);
  SUCCEED();
#endif
}

}  // namespace
}  // namespace moebench
