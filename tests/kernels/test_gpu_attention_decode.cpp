// [gpu] tests of cuda_decode_attention against ref_decode_attention: GQA and MLA (shared latent
// cache) shapes, page sizes 16 and 64 with shuffled block tables, seq_lens 1..4100 in one batch,
// both the one-chunk and the split + merge paths, a head group split over blocks, and a CUDA graph
// replayed with new seq_lens. They skip visibly without a CUDA build or device.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <random>
#include <stdexcept>
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

struct DecodeShape {
  int n_heads, n_kv_heads, dk, dv;
  bool mla;  // one cache: K = the whole row, V = its first dv values
};

const std::vector<int32_t> kSeqLens = {1, 7, 64, 65, 1000, 4100};

#ifdef MOEBENCH_HAVE_CUDA
// A paged problem on the host: caches whose pages are handed out in shuffled order.
struct DecodeProblem {
  DecodeAttentionArgs a;  // shapes and strides; pointers set per launch
  std::vector<float> q, k, v;
  std::vector<int32_t> block_table, seq_lens;
};

DecodeProblem make_problem(const DecodeShape& sh, int page_size, std::vector<int32_t> seq_lens,
                           uint32_t seed) {
  DecodeProblem pr;
  DecodeAttentionArgs& a = pr.a;
  a.n_seqs = static_cast<int>(seq_lens.size());
  a.n_heads = sh.n_heads;
  a.n_kv_heads = sh.n_kv_heads;
  a.dk = sh.dk;
  a.dv = sh.dv;
  a.page_size = page_size;
  a.scale = 1.0f / std::sqrt(static_cast<float>(sh.dk));
  a.max_seq_len = std::max(1, *std::max_element(seq_lens.begin(), seq_lens.end()));
  a.max_pages_per_seq = (a.max_seq_len + page_size - 1) / page_size + 1;  // one spare
  a.q_stride = int64_t{sh.n_heads} * sh.dk + 8;                           // padded rows
  a.out_stride = int64_t{sh.n_heads} * sh.dv + 8;
  a.k_token_stride = int64_t{sh.n_kv_heads} * sh.dk + 8;
  a.v_token_stride = sh.mla ? a.k_token_stride : int64_t{sh.n_kv_heads} * sh.dv + 16;
  int n_pages = 3;  // spare pages nobody owns
  for (int32_t len : seq_lens) n_pages += (len + page_size - 1) / page_size;
  std::vector<int32_t> pages(n_pages);
  std::iota(pages.begin(), pages.end(), 0);
  std::mt19937 rng(seed);
  std::shuffle(pages.begin(), pages.end(), rng);
  pr.block_table.assign(static_cast<size_t>(a.n_seqs) * a.max_pages_per_seq, 0);
  size_t next = 0;
  for (int s = 0; s < a.n_seqs; ++s) {
    for (int i = 0; i < (seq_lens[s] + page_size - 1) / page_size; ++i) {
      pr.block_table[static_cast<size_t>(s) * a.max_pages_per_seq + i] = pages[next++];
    }
  }
  const int64_t rows = int64_t{n_pages} * page_size;
  pr.q = test::random_bf16(a.n_seqs * a.q_stride, seed + 1);
  pr.k = test::random_bf16(rows * a.k_token_stride, seed + 2);
  if (!sh.mla) pr.v = test::random_bf16(rows * a.v_token_stride, seed + 3);
  pr.seq_lens = std::move(seq_lens);
  return pr;
}

// Device copies of a problem, and the launch args pointing at them.
struct DecodeDevice {
  DeviceBuffer<bf16_bits> q, k, v, out;
  DeviceBuffer<int32_t> block_table, seq_lens;
  DeviceBuffer<float> workspace;
  DecodeAttentionArgs a;

  explicit DecodeDevice(const DecodeProblem& pr)
      : q(bf16_from_f32(pr.q)),
        k(bf16_from_f32(pr.k)),
        v(bf16_from_f32(pr.v)),
        out(std::vector<bf16_bits>(pr.a.n_seqs * pr.a.out_stride, 0)),
        block_table(pr.block_table),
        seq_lens(pr.seq_lens),
        workspace(decode_attention_workspace_bytes(pr.a.n_seqs, pr.a.n_heads, pr.a.dv,
                                                   pr.a.max_seq_len, pr.a.page_size) /
                  sizeof(float)),
        a(pr.a) {
    a.q = q.data();
    a.k_cache = k.data();
    a.v_cache = pr.v.empty() ? k.data() : v.data();
    a.out = out.data();
    a.block_table = block_table.data();
    a.seq_lens = seq_lens.data();
    a.workspace = workspace.data();
  }
};

std::vector<float> reference(const DecodeProblem& pr) {
  std::vector<float> want;
  ref_decode_attention(pr.a, pr.q, pr.k, pr.v.empty() ? pr.k : pr.v, pr.block_table, pr.seq_lens,
                       want);
  return want;
}

void require_close(const std::vector<float>& got, const std::vector<float>& want) {
  const auto r = test::compare_close(got, want, 1e-2, 1e-2);
  INFO(r.message);
  REQUIRE(r.ok);
}

// A call's tensor_cores: off, or on and expected to take the tensor-core kernel or to fall back.
enum class Tc { off, taken, fallback };

void set_tensor_cores(DecodeAttentionArgs& a, Tc tc) {
  a.tensor_cores = tc != Tc::off;
  if (tc != Tc::off) REQUIRE(decode_attention_uses_tensor_cores(a) == (tc == Tc::taken));
}

void check_decode(const DecodeShape& sh, int page_size, const std::vector<int32_t>& seq_lens,
                  uint32_t seed, Tc tc = Tc::off) {
  CAPTURE(sh.n_heads, sh.n_kv_heads, sh.dk, sh.dv, sh.mla, page_size, seq_lens.size(),
          seq_lens.back(), static_cast<int>(tc));
  const DecodeProblem pr = make_problem(sh, page_size, seq_lens, seed);
  DecodeDevice dev(pr);
  set_tensor_cores(dev.a, tc);
  TestStream st;
  cuda_decode_attention(dev.a, st.s);
  st.sync();
  require_close(bf16_to_f32(dev.out.download()), reference(pr));
}

const std::vector<DecodeShape> kShapes = {
    {4, 2, 16, 16, false},    // tiny GQA
    {8, 1, 64, 64, false},    // MQA-like group of 8
    {8, 1, 128, 128, false},  // qwen-style head dims
    {4, 1, 40, 32, true},     // tiny MLA latent 32 + 8
    {16, 1, 576, 512, true},  // DeepSeek-V2-Lite absorbed MLA
};
#endif

TEST_CASE("cuda_decode_attention matches the reference over mixed seq_lens", "[gpu]") {
  MOEBENCH_REQUIRE_GPU();
#ifdef MOEBENCH_HAVE_CUDA
  uint32_t seed = 100;
  for (const DecodeShape& sh : kShapes) {
    for (int page_size : {16, 64}) check_decode(sh, page_size, kSeqLens, seed += 10);
  }
#endif
}

TEST_CASE("cuda_decode_attention one-chunk path, empty sequences and large batches", "[gpu]") {
  MOEBENCH_REQUIRE_GPU();
#ifdef MOEBENCH_HAVE_CUDA
  for (const DecodeShape& sh : kShapes) {
    check_decode(sh, 16, {1}, 200);     // batch 1, one key: no split
    check_decode(sh, 16, {0, 5}, 201);  // an empty sequence gets a zero row
    check_decode(sh, 64, {33}, 202);    // ragged tile
  }
  // 300 sequences: one chunk each even at 512 keys (no merge), and batch 64 x ~512 (split)
  std::vector<int32_t> many(300), batch64(64);
  for (size_t i = 0; i < many.size(); ++i) many[i] = 1 + static_cast<int32_t>((i * 37) % 512);
  for (size_t i = 0; i < batch64.size(); ++i) batch64[i] = 449 + static_cast<int32_t>(i);
  check_decode(kShapes[4], 64, many, 203);
  check_decode(kShapes[4], 64, batch64, 204);
  check_decode(kShapes[1], 16, batch64, 205);
#endif
}

TEST_CASE("cuda_decode_attention splits a group of more than 16 heads over blocks", "[gpu]") {
  MOEBENCH_REQUIRE_GPU();
#ifdef MOEBENCH_HAVE_CUDA
  check_decode({40, 2, 24, 24, false}, 16, {1, 65, 300}, 300);  // group 20 = 16 + 4
  check_decode({33, 1, 40, 32, true}, 64, {7, 1000}, 301);      // group 33 = 16 + 16 + 1
  check_decode({6, 6, 24, 16, false}, 16, {3, 129}, 302);       // group 1
#endif
}

TEST_CASE("cuda_decode_attention replays from a CUDA graph with new seq_lens", "[gpu]") {
  MOEBENCH_REQUIRE_GPU();
#ifdef MOEBENCH_HAVE_CUDA
  DecodeProblem pr = make_problem(kShapes[4], 16, {1000, 4100, 64}, 400);
  DecodeDevice dev(pr);
  TestStream st;
  cudaGraph_t graph = nullptr;
  cudaGraphExec_t exec = nullptr;
  CUDA_CHECK(cudaStreamBeginCapture(st.s, cudaStreamCaptureModeThreadLocal));
  cuda_decode_attention(dev.a, st.s);
  CUDA_CHECK(cudaStreamEndCapture(st.s, &graph));
  CUDA_CHECK(cudaGraphInstantiate(&exec, graph, 0));
  for (const std::vector<int32_t>& lens :
       {std::vector<int32_t>{1000, 4100, 64}, std::vector<int32_t>{1001, 17, 4096}}) {
    pr.seq_lens = lens;
    dev.seq_lens.upload(lens);
    CUDA_CHECK(cudaGraphLaunch(exec, st.s));
    st.sync();
    require_close(bf16_to_f32(dev.out.download()), reference(pr));
  }
  CUDA_CHECK(cudaGraphExecDestroy(exec));
  CUDA_CHECK(cudaGraphDestroy(graph));
#endif
}

#ifdef MOEBENCH_HAVE_CUDA
// The problem run with the merge kernel, then with the partial blocks merging (merge_counters)
// three times, once from a graph: the same bits each time, and the counters back at zero.
void check_merged(const DecodeShape& sh, int page_size, const std::vector<int32_t>& seq_lens,
                  uint32_t seed, Tc tc = Tc::off) {
  CAPTURE(sh.n_heads, sh.n_kv_heads, sh.dk, sh.dv, sh.mla, page_size, seq_lens.size(),
          static_cast<int>(tc));
  const DecodeProblem pr = make_problem(sh, page_size, seq_lens, seed);
  DecodeDevice dev(pr);
  set_tensor_cores(dev.a, tc);
  TestStream st;
  cuda_decode_attention(dev.a, st.s);
  st.sync();
  const std::vector<bf16_bits> want = dev.out.download();
  require_close(bf16_to_f32(want), reference(pr));
  const int n_counters = decode_attention_counters(pr.a.n_seqs, pr.a.n_heads, pr.a.n_kv_heads);
  DeviceBuffer<int32_t> counters(std::vector<int32_t>(n_counters, 0));
  DecodeAttentionArgs merged = dev.a;
  merged.merge_counters = counters.data();
  for (int run = 0; run < 2; ++run) {
    dev.out.upload(std::vector<bf16_bits>(want.size(), 0x7fc0));  // NaN: every row rewritten
    cuda_decode_attention(merged, st.s);
    st.sync();
    REQUIRE(dev.out.download() == want);
  }
  const TestGraph graph(st.s, [&] { cuda_decode_attention(merged, st.s); });
  dev.out.upload(std::vector<bf16_bits>(want.size(), 0x7fc0));
  graph.replay();
  st.sync();
  REQUIRE(dev.out.download() == want);
  REQUIRE(counters.download() == std::vector<int32_t>(n_counters, 0));
}
#endif

TEST_CASE("cuda_decode_attention's partial blocks merge to the merge kernel's bits", "[gpu]") {
  MOEBENCH_REQUIRE_GPU();
#ifdef MOEBENCH_HAVE_CUDA
  uint32_t seed = 500;
  for (const DecodeShape& sh : kShapes) check_merged(sh, 16, kSeqLens, seed += 10);
  check_merged(kShapes[4], 64, {0, 128, 1, 129}, 520);          // an empty sequence, batch 4
  check_merged({40, 2, 24, 24, false}, 16, {1, 65, 300}, 521);  // two head blocks a kv head
  check_merged({33, 1, 40, 32, true}, 64, {7, 1000}, 522);      // group 33 = 16 + 16 + 1
#endif
}

TEST_CASE("cuda_decode_attention just under 48 KB of dynamic shared memory", "[gpu]") {
  MOEBENCH_REQUIRE_GPU();
#ifdef MOEBENCH_HAVE_CUDA
  // The MLA latent with 3 and 4 heads (46,848 and 49,152 bytes) and 256-dim heads in groups of 9
  // and 12 (45,568 and 48,640): with the kernel's static arrays over 48 KB, so they need the
  // opt-in that the dynamic size alone did not ask for.
  check_decode({3, 1, 576, 512, true}, 16, {1, 65, 300}, 310);
  check_decode({4, 1, 576, 512, true}, 64, {7, 1000}, 311);
  check_decode({9, 1, 256, 256, false}, 16, {1, 65, 300}, 312);
  check_decode({12, 1, 256, 256, false}, 64, {7, 1000}, 313);
  check_merged({4, 1, 576, 512, true}, 64, {0, 128, 1, 129}, 314);
#endif
}

TEST_CASE("cuda_decode_attention's tensor-core MLA latent path matches the reference", "[gpu]") {
  MOEBENCH_REQUIRE_GPU();
#ifdef MOEBENCH_HAVE_CUDA
  // V2-Lite's 16 heads, two head blocks, and V3's 128 (8 head blocks sharing each cache row).
  const std::vector<DecodeShape> mla = {
      {16, 1, 576, 512, true}, {32, 1, 576, 512, true}, {128, 1, 576, 512, true}};
  uint32_t seed = 700;
  for (const DecodeShape& sh : mla) {
    for (int page_size : {16, 64}) check_decode(sh, page_size, kSeqLens, seed += 10, Tc::taken);
    check_decode(sh, 16, {1}, seed += 10, Tc::taken);     // one key: one chunk, written directly
    check_decode(sh, 16, {0, 5}, seed += 10, Tc::taken);  // an empty sequence gets a zero row
    check_decode(sh, 64, {33}, seed += 10, Tc::taken);    // a ragged tile past a whole one
    check_merged(sh, 16, kSeqLens, seed += 10, Tc::taken);
    check_merged(sh, 64, {0, 128, 1, 129}, seed += 10, Tc::taken);
  }
  // Batch 64 of ~512 keys (a split of short chunks), 300 sequences of one chunk each.
  std::vector<int32_t> many(300), batch64(64);
  for (size_t i = 0; i < many.size(); ++i) many[i] = 1 + static_cast<int32_t>((i * 37) % 512);
  for (size_t i = 0; i < batch64.size(); ++i) batch64[i] = 449 + static_cast<int32_t>(i);
  check_decode(mla[0], 64, many, 790, Tc::taken);
  check_decode(mla[0], 64, batch64, 791, Tc::taken);
  // Shapes the tensor-core kernel does not take run the CUDA-core one: a small latent, a group of
  // 33 heads, GQA.
  check_decode(kShapes[3], 16, kSeqLens, 792, Tc::fallback);
  check_decode({33, 1, 40, 32, true}, 64, {7, 1000}, 793, Tc::fallback);
  check_decode(kShapes[2], 16, kSeqLens, 794, Tc::fallback);
#endif
}

TEST_CASE("cuda_decode_attention's tensor-core path replays from a CUDA graph", "[gpu]") {
  MOEBENCH_REQUIRE_GPU();
#ifdef MOEBENCH_HAVE_CUDA
  DecodeProblem pr = make_problem(kShapes[4], 16, {1000, 4100, 64}, 800);
  DecodeDevice dev(pr);
  dev.a.tensor_cores = true;
  REQUIRE(decode_attention_uses_tensor_cores(dev.a));
  TestStream st;
  cuda_decode_attention(dev.a, st.s);  // NOTE: the kernel's one-time setup, outside capture
  st.sync();
  const TestGraph graph(st.s, [&] { cuda_decode_attention(dev.a, st.s); });
  for (const std::vector<int32_t>& lens :
       {std::vector<int32_t>{1000, 4100, 64}, std::vector<int32_t>{1001, 17, 4096}}) {
    pr.seq_lens = lens;
    dev.seq_lens.upload(lens);
    graph.replay();
    st.sync();
    require_close(bf16_to_f32(dev.out.download()), reference(pr));
  }
#endif
}

#ifdef MOEBENCH_HAVE_CUDA
// V2-Lite's absorbed MLA decode shape for n_seqs sequences of up to 64 keys, host values only (no
// pointers).
DecodeAttentionArgs v2lite_host_args(int n_seqs) {
  DecodeAttentionArgs a;
  a.n_seqs = n_seqs;
  a.n_heads = 16;
  a.n_kv_heads = 1;
  a.dk = 576;
  a.dv = 512;
  a.page_size = 16;
  a.max_pages_per_seq = 4;
  a.max_seq_len = 64;
  a.q_stride = 16 * 576;
  a.out_stride = 16 * 512;
  a.k_token_stride = a.v_token_stride = 576;
  a.scale = 0.1f;
  return a;
}
#endif

TEST_CASE("decode_attention_uses_tensor_cores: MLA's latent shapes and no others") {
#ifndef MOEBENCH_HAVE_CUDA
  MOEBENCH_SKIP("built without CUDA: decode_attention_uses_tensor_cores is not defined");
#else
  // Host values only: stand-in pointers, 256-byte aligned, never dereferenced.
  auto fake = [](uintptr_t i) { return reinterpret_cast<bf16_bits*>(i * 256); };
  DecodeAttentionArgs a = v2lite_host_args(2);
  a.q = fake(1);
  a.out = fake(2);
  a.k_cache = a.v_cache = fake(3);
  a.block_table = a.seq_lens = reinterpret_cast<const int32_t*>(fake(4));
  a.tensor_cores = true;
  CHECK(decode_attention_uses_tensor_cores(a));  // V2-Lite
  DecodeAttentionArgs b = a;
  b.n_heads = 128;  // V3
  b.q_stride = 128 * 576;
  b.out_stride = 128 * 512;
  CHECK(decode_attention_uses_tensor_cores(b));
  b = a;
  b.tensor_cores = false;
  CHECK_FALSE(decode_attention_uses_tensor_cores(b));
  b = a;
  b.n_heads = 24;  // not whole head blocks
  b.q_stride = 24 * 576;
  b.out_stride = 24 * 512;
  CHECK_FALSE(decode_attention_uses_tensor_cores(b));
  b = a;
  b.v_cache = fake(5);  // V not in the K row
  CHECK_FALSE(decode_attention_uses_tensor_cores(b));
  b = a;
  b.dk = 40;  // a small latent
  b.dv = 32;
  b.k_token_stride = b.v_token_stride = 40;
  CHECK_FALSE(decode_attention_uses_tensor_cores(b));
  b = a;
  b.q = fake(1) + 4;  // 8-byte aligned q
  CHECK_FALSE(decode_attention_uses_tensor_cores(b));
  b = a;
  b.q_stride += 4;
  CHECK_FALSE(decode_attention_uses_tensor_cores(b));
  b = a;
  b.out_stride += 1;
  CHECK_FALSE(decode_attention_uses_tensor_cores(b));
  b = a;
  b.dk = 584;  // refused as cuda_decode_attention refuses it
  CHECK_THROWS_AS(decode_attention_uses_tensor_cores(b), std::invalid_argument);
#endif
}

TEST_CASE("decode_attention_counters: one per sequence and block of query heads") {
#ifndef MOEBENCH_HAVE_CUDA
  MOEBENCH_SKIP("built without CUDA: decode_attention_counters is not defined");
#else
  CHECK(decode_attention_counters(4, 16, 1) == 4);  // V2-Lite's absorbed MLA: one block
  CHECK(decode_attention_counters(2, 40, 2) == 8);  // a group of 20: 16 + 4
  CHECK(decode_attention_counters(3, 33, 1) == 9);  // a group of 33: 16 + 16 + 1
  CHECK(decode_attention_counters(0, 8, 8) == 0);
  CHECK_THROWS_AS(decode_attention_counters(1, 6, 4), std::invalid_argument);
#endif
}

TEST_CASE("cuda_decode_attention rejects bad host arguments") {
#ifndef MOEBENCH_HAVE_CUDA
  MOEBENCH_SKIP("built without CUDA: cuda_decode_attention is not defined");
#else
  DecodeAttentionArgs a = v2lite_host_args(1);
  auto rejects = [](DecodeAttentionArgs b) {
    CHECK_THROWS_AS(cuda_decode_attention(b, nullptr), std::invalid_argument);
  };
  rejects(a);  // null pointers
  DecodeAttentionArgs b = a;
  b.dk = 584;
  rejects(b);
  b = a;
  b.dv = 20;
  rejects(b);
  b = a;
  b.n_kv_heads = 3;
  rejects(b);
  b = a;
  b.max_seq_len = 65;
  rejects(b);
  b = a;
  b.k_token_stride = 580;
  rejects(b);
  CHECK_THROWS_AS(decode_attention_workspace_bytes(1, 16, 20, 64, 16), std::invalid_argument);
  CHECK(decode_attention_workspace_bytes(1, 16, 512, 32, 16) == 0);   // one chunk
  CHECK(decode_attention_workspace_bytes(1, 16, 512, 4100, 16) > 0);  // split
#endif
}

TEST_CASE("decode_attention_workspace_bytes covers every call with fewer sequences or keys",
          "[kernels]") {
#ifndef MOEBENCH_HAVE_CUDA
  MOEBENCH_SKIP("the decode attention's sizes exist only in CUDA builds");
#else
  // The split is not monotone: 8 sequences of a 1040-key table use more than of a 4096-key one.
  CHECK(decode_attention_call_workspace_bytes(8, 16, 512, 1040) >
        decode_attention_call_workspace_bytes(8, 16, 512, 4096));
  for (int n_max : {1, 3, 4, 8, 64, 256, 300}) {
    for (int len_max : {64, 1040, 4096, 32768}) {
      CAPTURE(n_max, len_max);
      const size_t bound = decode_attention_workspace_bytes(n_max, 16, 512, len_max, 16);
      size_t worst = 0;
      for (int n = 1; n <= n_max; ++n) {
        for (int len = 16; len <= len_max; len += 16) {  // whole pages of 16 keys
          worst = std::max(worst, decode_attention_call_workspace_bytes(n, 16, 512, len));
        }
      }
      REQUIRE(worst <= bound);
    }
  }
  CHECK(decode_attention_workspace_bytes(300, 16, 512, 32, 16) == 0);  // one tile: never split
#endif
}

}  // namespace
}  // namespace moebench
