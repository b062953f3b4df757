// cuda_embedding_gather: out (T, H) = table (V, H)[ids], one block per token, 16-byte copies when
// the row length and pointers allow.
#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/cuda_check.h"
#include "kernels/launch_check.h"
#include "kernels/ops.h"
#include "kernels/pdl.cuh"

namespace moebench {
namespace {

// ----------------------------------------------------------------------------
// GPU kernels

// One block per token; kVec elements of type Word per copy (Word = uint4 holds 8 bf16).
template <typename Word>
__global__ void embedding_gather_kernel(const int32_t* ids, const Word* table, int64_t vocab,
                                        int64_t row_words, Word* out, int32_t* bad_ids,
                                        const int32_t* prev_ids, int64_t n_prev) {
  pdl_wait();
  pdl_trigger();
  const int64_t t = blockIdx.x;
  int64_t id = ids[t];
  if (id < 0 && prev_ids != nullptr) id = -1 - id < n_prev ? prev_ids[-1 - id] : -1;
  Word* dst = out + t * row_words;  // (row_words)
  if (id < 0 || id >= vocab) {
    for (int64_t i = threadIdx.x; i < row_words; i += blockDim.x) dst[i] = Word{};
    if (threadIdx.x == 0 && bad_ids != nullptr) atomicAdd(bad_ids, 1);
    return;
  }
  const Word* src = table + id * row_words;
  for (int64_t i = threadIdx.x; i < row_words; i += blockDim.x) dst[i] = src[i];
}

// ----------------------------------------------------------------------------
// Launcher

void embedding_gather_launch(const int32_t* ids, int64_t n_tokens, const bf16_bits* table,
                             int64_t vocab, int64_t hidden, bf16_bits* out, int32_t* bad_ids,
                             cudaStream_t stream, const int32_t* prev_ids, int64_t n_prev) {
  const bool aligned = hidden % 8 == 0 && reinterpret_cast<uintptr_t>(table) % 16 == 0 &&
                       reinterpret_cast<uintptr_t>(out) % 16 == 0;
  const int64_t words = aligned ? hidden / 8 : hidden;
  // NOTE: 128 threads cover a 7168-wide bf16 row in 7 uint4 rounds; wider blocks idle on small H.
  const int threads = words >= 128 ? 128 : static_cast<int>((words + 31) / 32 * 32);
  const dim3 grid(static_cast<unsigned>(n_tokens));
  if (aligned) {
    pdl_launch(embedding_gather_kernel<uint4>, grid, dim3(threads), 0, stream, ids,
               reinterpret_cast<const uint4*>(table), vocab, words, reinterpret_cast<uint4*>(out),
               bad_ids, prev_ids, n_prev);
  } else {
    pdl_launch(embedding_gather_kernel<uint16_t>, grid, dim3(threads), 0, stream, ids, table, vocab,
               words, out, bad_ids, prev_ids, n_prev);
  }
}

}  // namespace

// ----------------------------------------------------------------------------
// Public entry

void cuda_embedding_gather(const int32_t* ids, int64_t n_tokens, const bf16_bits* table,
                           int64_t vocab, int64_t hidden, bf16_bits* out, int32_t* bad_ids,
                           cudaStream_t stream, const int32_t* prev_ids, int64_t n_prev) {
  const char* fn = "cuda_embedding_gather";
  launch_require(prev_ids == nullptr || n_prev >= 0, fn, "n_prev must be >= 0, got ", n_prev);
  launch_require(n_tokens >= 0 && n_tokens <= INT32_MAX, fn, "n_tokens must be in [0, 2^31), got ",
                 n_tokens);
  launch_require(vocab > 0 && hidden > 0, fn, "table must be (vocab > 0, hidden > 0), got (", vocab,
                 ", ", hidden, ")");
  if (n_tokens == 0) return;
  launch_require(ids != nullptr && table != nullptr && out != nullptr, fn,
                 "null pointer: ids=", ids, " table=", table, " out=", out);
  embedding_gather_launch(ids, n_tokens, table, vocab, hidden, out, bad_ids, stream, prev_ids,
                          n_prev);
}

}  // namespace moebench
