// cuda_kv_append / cuda_kv_gather / cuda_mla_assemble_k: row copies between token-major buffers and
// the paged KV cache (layout in kernels/attention.h). A warp per row, 16-byte vectors when every
// pointer and stride allows them, scalar bf16 otherwise.
#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/attention.h"
#include "kernels/cuda_check.h"
#include "kernels/launch_check.h"

namespace moebench {
namespace {

constexpr int kWarp = 32;
constexpr int kWarpsPerBlock = 8;
constexpr int kVec = 8;  // bf16 values per 16-byte vector

// ----------------------------------------------------------------------------
// GPU kernels

// dst[0, n) = src[0, n) by one warp; kVector: n % 8 == 0 and both 16-byte aligned.
template <bool kVector>
__device__ __forceinline__ void warp_copy_row(bf16_bits* dst, const bf16_bits* src, int64_t n) {
  const int lane = threadIdx.x % kWarp;
  if constexpr (kVector) {
    for (int64_t i = lane; i < n / kVec; i += kWarp) {
      reinterpret_cast<uint4*>(dst)[i] = reinterpret_cast<const uint4*>(src)[i];
    }
  } else {
    for (int64_t i = lane; i < n; i += kWarp) dst[i] = src[i];
  }
}

__device__ __forceinline__ int64_t global_warp() {
  return static_cast<int64_t>(blockIdx.x) * kWarpsPerBlock + threadIdx.x / kWarp;
}

template <bool kVector>
__global__ void kv_append_kernel(const bf16_bits* src, int64_t src_stride, int64_t n_tokens,
                                 int64_t row_dim, const int32_t* slot_mapping, bf16_bits* cache,
                                 int64_t token_stride) {
  const int64_t t = global_warp();
  if (t >= n_tokens) return;
  const int64_t row = slot_mapping[t];
  if (row < 0) return;
  warp_copy_row<kVector>(cache + row * token_stride, src + t * src_stride, row_dim);
}

// Output row r belongs to the last sequence s with cu_seqlens[s] <= r (binary search; empty
// sequences share their start with the next one).
template <bool kVector>
__global__ void kv_gather_kernel(const bf16_bits* cache, int64_t token_stride, int64_t row_dim,
                                 int page_size, const int32_t* block_table, int max_pages_per_seq,
                                 const int32_t* seq_lens, const int32_t* cu_seqlens, int n_seqs,
                                 int64_t max_total_rows, bf16_bits* out, int64_t out_stride) {
  const int64_t r = global_warp();
  if (r >= max_total_rows || r >= cu_seqlens[n_seqs] || r < cu_seqlens[0]) return;
  int lo = 0, hi = n_seqs - 1;
  while (lo < hi) {
    const int mid = (lo + hi + 1) / 2;
    if (cu_seqlens[mid] <= r) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  const int64_t pos = r - cu_seqlens[lo];
  const int64_t logical = pos / page_size;
  if (pos >= seq_lens[lo] || logical >= max_pages_per_seq) return;
  const int64_t page = block_table[static_cast<int64_t>(lo) * max_pages_per_seq + logical];
  const int64_t row = page * page_size + pos % page_size;
  warp_copy_row<kVector>(out + r * out_stride, cache + row * token_stride, row_dim);
}

// A warp per (token, head) row of k.
template <bool kVector>
__global__ void mla_assemble_k_kernel(const bf16_bits* kv, int64_t n, int heads, int nope, int v,
                                      const bf16_bits* k_pe, int64_t k_pe_stride, int rope,
                                      bf16_bits* k) {
  const int64_t w = global_warp();
  if (w >= n * heads) return;
  const int64_t t = w / heads;
  bf16_bits* dst = k + w * (nope + rope);
  warp_copy_row<kVector>(dst, kv + w * (nope + v), nope);
  warp_copy_row<kVector>(dst + nope, k_pe + t * k_pe_stride, rope);
}

// ----------------------------------------------------------------------------
// Launchers

bool aligned16(const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

dim3 warp_grid(int64_t rows) {
  return dim3(static_cast<unsigned>((rows + kWarpsPerBlock - 1) / kWarpsPerBlock));
}

void require_grid(int64_t rows, const char* entry, const char* what) {
  launch_require((rows + kWarpsPerBlock - 1) / kWarpsPerBlock <= INT32_MAX, entry, what,
                 " too large for one grid: ", rows);
}

}  // namespace

void cuda_kv_append(const bf16_bits* src, int64_t src_stride, int64_t n_tokens, int64_t row_dim,
                    const int32_t* slot_mapping, bf16_bits* cache, int64_t token_stride,
                    cudaStream_t stream) {
  const char* entry = "cuda_kv_append";
  launch_require(n_tokens >= 0, entry, "n_tokens must be >= 0, got ", n_tokens);
  launch_require(row_dim > 0, entry, "row_dim must be > 0, got ", row_dim);
  launch_require(src_stride >= row_dim, entry, "src_stride ", src_stride, " < row_dim ", row_dim);
  launch_require(token_stride >= row_dim, entry, "token_stride ", token_stride, " < row_dim ",
                 row_dim);
  require_grid(n_tokens, entry, "n_tokens");
  if (n_tokens == 0) return;
  launch_require(src && slot_mapping && cache, entry, "src, slot_mapping and cache must be set");
  const bool vec = row_dim % kVec == 0 && src_stride % kVec == 0 && token_stride % kVec == 0 &&
                   aligned16(src) && aligned16(cache);
  const dim3 grid = warp_grid(n_tokens), block(kWarpsPerBlock * kWarp);
  if (vec) {
    kv_append_kernel<true><<<grid, block, 0, stream>>>(src, src_stride, n_tokens, row_dim,
                                                       slot_mapping, cache, token_stride);
  } else {
    kv_append_kernel<false><<<grid, block, 0, stream>>>(src, src_stride, n_tokens, row_dim,
                                                        slot_mapping, cache, token_stride);
  }
  KERNEL_CHECK();
}

void cuda_kv_gather(const bf16_bits* cache, int64_t token_stride, int64_t row_dim, int page_size,
                    const int32_t* block_table, int max_pages_per_seq, const int32_t* seq_lens,
                    const int32_t* cu_seqlens, int n_seqs, int64_t max_total_rows, bf16_bits* out,
                    int64_t out_stride, cudaStream_t stream) {
  const char* entry = "cuda_kv_gather";
  launch_require(n_seqs >= 0, entry, "n_seqs must be >= 0, got ", n_seqs);
  launch_require(max_total_rows >= 0, entry, "max_total_rows must be >= 0, got ", max_total_rows);
  launch_require(row_dim > 0, entry, "row_dim must be > 0, got ", row_dim);
  launch_require(page_size > 0, entry, "page_size must be > 0, got ", page_size);
  launch_require(max_pages_per_seq > 0, entry, "max_pages_per_seq must be > 0, got ",
                 max_pages_per_seq);
  launch_require(token_stride >= row_dim, entry, "token_stride ", token_stride, " < row_dim ",
                 row_dim);
  launch_require(out_stride >= row_dim, entry, "out_stride ", out_stride, " < row_dim ", row_dim);
  require_grid(max_total_rows, entry, "max_total_rows");
  if (n_seqs == 0 || max_total_rows == 0) return;
  launch_require(cache && block_table && seq_lens && cu_seqlens && out, entry,
                 "cache, block_table, seq_lens, cu_seqlens and out must be set");
  const bool vec = row_dim % kVec == 0 && token_stride % kVec == 0 && out_stride % kVec == 0 &&
                   aligned16(cache) && aligned16(out);
  const dim3 grid = warp_grid(max_total_rows), block(kWarpsPerBlock * kWarp);
  if (vec) {
    kv_gather_kernel<true><<<grid, block, 0, stream>>>(
        cache, token_stride, row_dim, page_size, block_table, max_pages_per_seq, seq_lens,
        cu_seqlens, n_seqs, max_total_rows, out, out_stride);
  } else {
    kv_gather_kernel<false><<<grid, block, 0, stream>>>(
        cache, token_stride, row_dim, page_size, block_table, max_pages_per_seq, seq_lens,
        cu_seqlens, n_seqs, max_total_rows, out, out_stride);
  }
  KERNEL_CHECK();
}

void cuda_mla_assemble_k(const bf16_bits* kv, int64_t n, int heads, int nope, int v,
                         const bf16_bits* k_pe, int64_t k_pe_stride, int rope, bf16_bits* k,
                         cudaStream_t stream) {
  const char* entry = "cuda_mla_assemble_k";
  launch_require(n >= 0, entry, "n must be >= 0, got ", n);
  launch_require(heads > 0, entry, "heads must be > 0, got ", heads);
  launch_require(nope > 0 && v >= 0 && rope > 0, entry, "need nope > 0, v >= 0, rope > 0; got ",
                 nope, ", ", v, ", ", rope);
  launch_require(k_pe_stride >= rope, entry, "k_pe_stride ", k_pe_stride, " < rope ", rope);
  require_grid(n * heads, entry, "n * heads");
  if (n == 0) return;
  launch_require(kv && k_pe && k, entry, "kv, k_pe and k must be set");
  const bool vec = nope % kVec == 0 && v % kVec == 0 && rope % kVec == 0 &&
                   k_pe_stride % kVec == 0 && aligned16(kv) && aligned16(k_pe) && aligned16(k);
  const dim3 grid = warp_grid(n * heads), block(kWarpsPerBlock * kWarp);
  if (vec) {
    mla_assemble_k_kernel<true>
        <<<grid, block, 0, stream>>>(kv, n, heads, nope, v, k_pe, k_pe_stride, rope, k);
  } else {
    mla_assemble_k_kernel<false>
        <<<grid, block, 0, stream>>>(kv, n, heads, nope, v, k_pe, k_pe_stride, rope, k);
  }
  KERNEL_CHECK();
}

}  // namespace moebench
