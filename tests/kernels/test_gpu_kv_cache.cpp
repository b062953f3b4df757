// Tests of the paged KV cache kernels: the CPU references against hand-built cases (run
// everywhere), then [gpu] cuda_kv_append / cuda_kv_gather / cuda_mla_assemble_k against them over
// ragged row sizes, shuffled block tables and skipped slots (exact match: they are copies).
#include <algorithm>
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
#endif

namespace moebench {
namespace {

TEST_CASE("ref_kv_append writes rows to their slots and skips negative ones") {
  std::vector<float> cache(4 * 3, 0.0f);              // 4 rows, token_stride 3, row_dim 2
  const std::vector<float> src = {1, 2, 3, 4, 5, 6};  // 3 tokens, stride 2
  ref_kv_append(src, 2, 3, 2, {3, -1, 0}, cache, 3);
  CHECK(cache == std::vector<float>{5, 6, 0, 0, 0, 0, 0, 0, 0, 1, 2, 0});
}

TEST_CASE("ref_kv_gather follows the block table into contiguous rows") {
  // page_size 2, 3 physical pages; row r of the cache holds value 10 * r (row_dim 1).
  const std::vector<float> cache = {0, 10, 20, 30, 40, 50};
  // seq 0 (len 3): pages 2, 0 -> rows 4, 5, 0. seq 1 (len 1): page 1 -> row 2.
  const std::vector<int32_t> table = {2, 0, 1, 0};
  std::vector<float> out(4, -1.0f);
  ref_kv_gather(cache, 1, 1, 2, table, 2, {3, 1}, {0, 3, 4}, out, 1);
  CHECK(out == std::vector<float>{40, 50, 0, 20});
}

TEST_CASE("ref_mla_assemble_k joins each head's nope part with the shared k_pe") {
  // n 1, heads 2, nope 2, v 1, rope 1: kv = [h0: a b | x][h1: c d | y], k_pe = [p] (stride 2).
  const std::vector<float> kv = {1, 2, 9, 3, 4, 9};
  std::vector<float> k;
  ref_mla_assemble_k(kv, 1, 2, 2, 1, {7, 8}, 2, 1, k);
  CHECK(k == std::vector<float>{1, 2, 7, 3, 4, 7});
}

#ifdef MOEBENCH_HAVE_CUDA
using Bf16Buffer = DeviceBuffer<bf16_bits>;

void require_equal(const Bf16Buffer& got, const std::vector<float>& want) {
  const auto r = test::compare_close(bf16_to_f32(got.download()), want, 0.0, 0.0);
  INFO(r.message);
  REQUIRE(r.ok);
}

// Physical pages 0..n-1 in a seeded shuffled order.
std::vector<int32_t> shuffled(int n, uint32_t seed) {
  std::vector<int32_t> p(n);
  std::iota(p.begin(), p.end(), 0);
  std::shuffle(p.begin(), p.end(), std::mt19937(seed));
  return p;
}

void check_append(int64_t n_tokens, int64_t row_dim, int64_t pad) {
  CAPTURE(n_tokens, row_dim, pad);
  const int64_t src_stride = row_dim + pad, token_stride = row_dim + 2 * pad;
  const int64_t n_rows = n_tokens + 5;
  const std::vector<float> src = test::random_bf16(n_tokens * src_stride, 31);
  std::vector<float> cache = test::random_bf16(n_rows * token_stride, 32);
  std::vector<int32_t> slots = shuffled(static_cast<int>(n_rows), 33);
  slots.resize(n_tokens);
  if (n_tokens > 2) slots[1] = -1;
  Bf16Buffer d_src(bf16_from_f32(src)), d_cache(bf16_from_f32(cache));
  DeviceBuffer<int32_t> d_slots(slots);
  ref_kv_append(src, src_stride, n_tokens, row_dim, slots, cache, token_stride);
  cuda_kv_append(d_src.data(), src_stride, n_tokens, row_dim, d_slots.data(), d_cache.data(),
                 token_stride, nullptr);
  CUDA_CHECK(cudaDeviceSynchronize());
  require_equal(d_cache, cache);
}

void check_gather(int page_size, int64_t row_dim, int64_t pad) {
  CAPTURE(page_size, row_dim, pad);
  const std::vector<int32_t> seq_lens = {1, 0, 7, 64, 65, 200};
  const int n_seqs = static_cast<int>(seq_lens.size());
  const int max_pages = (200 + page_size - 1) / page_size;
  const int n_pages = n_seqs * max_pages;
  const std::vector<int32_t> table = shuffled(n_pages, 41);  // (n_seqs, max_pages)
  std::vector<int32_t> cu(n_seqs + 1, 0);
  for (int s = 0; s < n_seqs; ++s) cu[s + 1] = cu[s] + seq_lens[s];
  const int64_t token_stride = row_dim + pad, out_stride = row_dim + 2 * pad;
  const std::vector<float> cache =
      test::random_bf16(int64_t{n_pages} * page_size * token_stride, 42);
  const int64_t max_total_rows = cu.back() + 10;  // an upper bound, not the exact count
  std::vector<float> out(max_total_rows * out_stride, 0.0f);
  Bf16Buffer d_cache(bf16_from_f32(cache)), d_out(bf16_from_f32(out));
  DeviceBuffer<int32_t> d_table(table), d_lens(seq_lens), d_cu(cu);
  ref_kv_gather(cache, token_stride, row_dim, page_size, table, max_pages, seq_lens, cu, out,
                out_stride);
  cuda_kv_gather(d_cache.data(), token_stride, row_dim, page_size, d_table.data(), max_pages,
                 d_lens.data(), d_cu.data(), n_seqs, max_total_rows, d_out.data(), out_stride,
                 nullptr);
  CUDA_CHECK(cudaDeviceSynchronize());
  require_equal(d_out, out);
}

void check_assemble(int64_t n, int heads, int nope, int v, int rope, int64_t k_pe_stride) {
  CAPTURE(n, heads, nope, v, rope, k_pe_stride);
  const std::vector<float> kv = test::random_bf16(n * heads * (nope + v), 51);
  const std::vector<float> k_pe = test::random_bf16(n * k_pe_stride, 52);
  std::vector<float> want;
  ref_mla_assemble_k(kv, n, heads, nope, v, k_pe, k_pe_stride, rope, want);
  Bf16Buffer d_kv(bf16_from_f32(kv)), d_pe(bf16_from_f32(k_pe)), d_k(want.size());
  cuda_mla_assemble_k(d_kv.data(), n, heads, nope, v, d_pe.data(), k_pe_stride, rope, d_k.data(),
                      nullptr);
  CUDA_CHECK(cudaDeviceSynchronize());
  require_equal(d_k, want);
}
#endif

TEST_CASE("cuda_kv_append matches the reference (vector and scalar paths)", "[gpu]") {
  MOEBENCH_REQUIRE_GPU();
#ifdef MOEBENCH_HAVE_CUDA
  for (int64_t n : {1, 33, 1000}) {
    check_append(n, 576, 0);  // MLA row, 16-byte vectors
    check_append(n, 40, 8);
    check_append(n, 13, 3);  // odd: scalar path
  }
#endif
}

TEST_CASE("cuda_kv_gather matches the reference over shuffled pages", "[gpu]") {
  MOEBENCH_REQUIRE_GPU();
#ifdef MOEBENCH_HAVE_CUDA
  for (int page_size : {1, 16, 64}) {
    check_gather(page_size, 576, 0);
    check_gather(page_size, 64, 8);
    check_gather(page_size, 7, 1);
  }
#endif
}

TEST_CASE("cuda_mla_assemble_k matches the reference", "[gpu]") {
  MOEBENCH_REQUIRE_GPU();
#ifdef MOEBENCH_HAVE_CUDA
  check_assemble(1, 16, 128, 128, 64, 576);  // V2-Lite, k_pe inside the kv_a output row
  check_assemble(33, 4, 16, 16, 8, 40);      // tiny test model
  check_assemble(17, 3, 5, 3, 2, 7);         // odd sizes: scalar path
  REQUIRE_THROWS_AS(cuda_mla_assemble_k(nullptr, 1, 1, 8, 8, nullptr, 4, 8, nullptr, nullptr),
                    std::invalid_argument);
#endif
}

}  // namespace
}  // namespace moebench
