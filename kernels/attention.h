// Attention launchers: paged KV cache writes/gathers, varlen causal prefill attention (top) and
// paged decode attention (the decode section at the end), with their CPU references.
// Compiles without CUDA headers; launchers are defined only in CUDA builds (MOEBENCH_HAVE_CUDA).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "kernels/bf16.h"
#include "kernels/cuda_stream.h"

namespace moebench {

// ---- paged KV layout (shared by the KV writes, the gathers and decode) ----
// Per layer a K cache and a V cache of bf16, each n_pages * page_size token slots: slot s of page
// p is row (p * page_size + s), and a row holds row_dim values at cache + row * token_stride.
//   GQA families: K row = n_kv_heads * head_dim_k, V row = n_kv_heads * head_dim_v (kv head h at
//                 h * head_dim).
//   MLA (DeepSeek): ONE cache row = [c_kv normalized (kv_lora) | k_pe roped (rope)], 576 values for
//                 V2-Lite; decode reads K = the whole row and V = its first kv_lora values, so the
//                 K and V caches may be the same buffer.
// block_table (n_seqs, max_pages_per_seq) int32 maps a sequence's logical page to a physical page:
// sequence position pos lives at row block_table[s][pos / page_size] * page_size + pos % page_size.

// ---- KV cache writes and gathers ----

// cache[slot_mapping[t]] = src[t] for t < n_tokens (row_dim values each); row t of src starts at
// src + t * src_stride. slot_mapping is device (n_tokens) int32 row indices (page * page_size +
// slot); a negative entry skips the token.
void cuda_kv_append(const bf16_bits* src, int64_t src_stride, int64_t n_tokens, int64_t row_dim,
                    const int32_t* slot_mapping, bf16_bits* cache, int64_t token_stride,
                    cudaStream_t stream);

// Gathers each sequence's cached rows [0, seq_lens[s]) into contiguous rows starting at
// cu_seqlens[s] of out (row stride out_stride). block_table (n_seqs, max_pages_per_seq),
// seq_lens (n_seqs) and cu_seqlens (n_seqs + 1) on the device; max_total_rows host upper bound of
// cu_seqlens[n_seqs] (grid sizing). Output rows of no sequence, and positions whose logical page
// is past max_pages_per_seq, are left untouched.
void cuda_kv_gather(const bf16_bits* cache, int64_t token_stride, int64_t row_dim, int page_size,
                    const int32_t* block_table, int max_pages_per_seq, const int32_t* seq_lens,
                    const int32_t* cu_seqlens, int n_seqs, int64_t max_total_rows, bf16_bits* out,
                    int64_t out_stride, cudaStream_t stream);

// MLA prefill helper: k (n, heads, nope + rope), contiguous, from the kv_b expansion
// kv (n, heads, nope + v), contiguous [its first nope values per head], and the shared
// k_pe (n, rope) whose row i starts at k_pe + i * k_pe_stride.
void cuda_mla_assemble_k(const bf16_bits* kv, int64_t n, int heads, int nope, int v,
                         const bf16_bits* k_pe, int64_t k_pe_stride, int rope, bf16_bits* k,
                         cudaStream_t stream);

// ---- prefill attention: varlen, causal, flash-style ----

// out = softmax(scale * q k^T [causal mask]) v per sequence and head, f32 math, bf16 out.
// Head h of token t of q starts at q + t * q_stride + h * q_head_stride (likewise k, v, out with
// kv head h / group). A head stride of 0 means packed heads (dk for q and k, dv for v and out), so
// the MLA kv_b output (n, heads, nope + v) is read in place as v = kv + nope,
// v_head_stride = nope + v.
struct PrefillAttentionArgs {
  const bf16_bits* q = nullptr;  // (total_q, n_heads, dk): token row stride q_stride
  const bf16_bits* k = nullptr;  // (total_k, n_kv_heads, dk): k_stride
  const bf16_bits* v = nullptr;  // (total_k, n_kv_heads, dv): v_stride
  bf16_bits* out = nullptr;      // (total_q, n_heads, dv): out_stride
  int64_t q_stride = 0, k_stride = 0, v_stride = 0, out_stride = 0;  // elements between tokens
  int64_t q_head_stride = 0, k_head_stride = 0, v_head_stride = 0,
          out_head_stride = 0;    // 0: packed
  const int32_t* cu_q = nullptr;  // device (n_seqs + 1)
  const int32_t* cu_k = nullptr;  // device (n_seqs + 1); each seq has len_k >= len_q
  int n_seqs = 0;
  int max_q = 0;                    // host upper bound of any len_q (grid sizing)
  int64_t total_k = 0;              // host: key rows of k and v (cu_k's last); the TMA kernel's
  int n_heads = 0, n_kv_heads = 0;  // n_heads % n_kv_heads == 0 (GQA group)
  int dk = 0, dv = 0;               // multiples of 8, <= 256
  float scale = 0;
  bool causal = true;  // query i of a seq sits at key position len_k - len_q + i
};

// NOTE: strides and head strides must be multiples of 8 and q, k, v, out 16-byte aligned (the
// kernel moves 16-byte vectors); each is checked at entry. Graph-capturable once a first call on
// the device has opted the kernel in to > 48 KB of shared memory (make that call outside capture).
// Needs a build for sm_80 or newer (bf16 tensor cores); an older build is refused at entry.
void cuda_prefill_attention(const PrefillAttentionArgs& args, cudaStream_t stream);

// The same attention in the FlashAttention-2 layout: Q, S, P and O in registers (mma.sync
// m16n8k16), K and V through a double-buffered cp.async pipeline. Same args and contract; head
// dims padded to 16 up to (192, 128) (DeepSeek's MLA), (128, 128) or (64, 64); larger ones run
// cuda_prefill_attention. Not bit-equal to it (P·V sums in another order): within bf16 noise.
void cuda_prefill_attention_mma(const PrefillAttentionArgs& args, cudaStream_t stream);

// The same attention on Hopper's warpgroup MMA (wgmma, sm_90a; FlashAttention-3's layout): 128
// queries a block in two warpgroups, S = Q K^T from 128B-swizzled shared memory, P in registers
// as the A operand of O += P V, K and V through a cp.async pipeline. Same args and contract;
// head dims padded to 16 up to (192, 128), (128, 128) or (64, 64), larger ones run
// cuda_prefill_attention_mma. Throws std::invalid_argument where the device or build has no
// sm_90a code (cuda_prefill_attention_wgmma_available). Within bf16 noise of the others.
void cuda_prefill_attention_wgmma(const PrefillAttentionArgs& args, cudaStream_t stream);

// The same attention in FlashAttention-3's whole layout (sm_90a): a producer warpgroup loads K and
// V tiles by TMA into a ring of transaction barriers, and two consumer warpgroups overlap each
// tile's softmax with their MMAs (the next S and the last P V in flight together) and take turns
// issuing them (ping-pong). Same args and contract, and args.total_k set (the tensor maps'
// extent); head dims padded to 64 each, up to (192, 128). Larger head dims run
// cuda_prefill_attention_mma, and k or v layouts TMA cannot describe (tma_problem: token
// stride below heads x head stride) cuda_prefill_attention_wgmma. Throws std::invalid_argument
// where the device or build has no sm_90a code (cuda_prefill_attention_wgmma_available) or
// total_k is not set; a total_k below cu_k's last traps in the kernel. Within bf16 noise of the
// others. NOTE: a key tile runs past its sequence into the next one's rows, masked (P = 0) where
// the other kernels load zeros: as in FlashAttention-3, a non-finite v there would give NaN.
void cuda_prefill_attention_fa3(const PrefillAttentionArgs& args, cudaStream_t stream);

// True when the current device runs cuda_prefill_attention_wgmma (a Hopper GPU and a build with
// -DCMAKE_CUDA_ARCHITECTURES=90a). The first call probes the device: make it outside capture.
bool cuda_prefill_attention_wgmma_available();

// A prefill call's head strides with 0 (packed) resolved.
struct PrefillHeadStrides {
  int64_t q = 0, k = 0, v = 0, out = 0;
};
// Throws std::invalid_argument naming fn and the field on arguments the prefill kernels refuse;
// the resolved head strides otherwise.
PrefillHeadStrides prefill_attention_check(const PrefillAttentionArgs& args, const char* fn);

// ---- CPU references (host data as f32 holding bf16 values; outputs rounded to bf16) ----

// cache[slot_mapping[t] * token_stride + i] = src[t * src_stride + i], i < row_dim; negative skip.
void ref_kv_append(const std::vector<float>& src, int64_t src_stride, int64_t n_tokens,
                   int64_t row_dim, const std::vector<int32_t>& slot_mapping,
                   std::vector<float>& cache, int64_t token_stride);

// Same contract as cuda_kv_gather; out must already hold the rows it writes.
void ref_kv_gather(const std::vector<float>& cache, int64_t token_stride, int64_t row_dim,
                   int page_size, const std::vector<int32_t>& block_table, int max_pages_per_seq,
                   const std::vector<int32_t>& seq_lens, const std::vector<int32_t>& cu_seqlens,
                   std::vector<float>& out, int64_t out_stride);

// k (n, heads, nope + rope) resized and filled like cuda_mla_assemble_k.
void ref_mla_assemble_k(const std::vector<float>& kv, int64_t n, int heads, int nope, int v,
                        const std::vector<float>& k_pe, int64_t k_pe_stride, int rope,
                        std::vector<float>& k);

// Double-precision softmax attention with args' shapes, strides and flags (its pointers are
// ignored); cu_q / cu_k on the host. out is resized to cu_q[n_seqs] * out_stride and the values
// it does not cover stay 0.
void ref_prefill_attention(const PrefillAttentionArgs& args, const std::vector<float>& q,
                           const std::vector<float>& k, const std::vector<float>& v,
                           const std::vector<int32_t>& cu_q, const std::vector<int32_t>& cu_k,
                           std::vector<float>& out);

// ---- decode ----
// Paged decode attention: one query token per sequence against its cached keys, GQA and the MLA
// absorbed latent (k_cache == v_cache, n_kv_heads 1, dk 576, dv 512) through the same kernel.
// Head h reads kv head h / (n_heads / n_kv_heads) at k row offset kvh * dk, v row offset kvh * dv.
struct DecodeAttentionArgs {
  const bf16_bits* q = nullptr;  // (n_seqs, n_heads, dk), q_stride elements between seqs
  int64_t q_stride = 0;
  const bf16_bits* k_cache = nullptr;  // (n_pages * page_size, k_token_stride)
  int64_t k_token_stride = 0;
  const bf16_bits* v_cache = nullptr;  // (n_pages * page_size, v_token_stride); may be k_cache
  int64_t v_token_stride = 0;
  const int32_t* block_table = nullptr;  // device (n_seqs, max_pages_per_seq)
  int max_pages_per_seq = 0;
  const int32_t* seq_lens = nullptr;  // device (n_seqs): keys to attend (the new one included)
  int page_size = 0;
  int n_seqs = 0, n_heads = 0, n_kv_heads = 0;
  int dk = 0, dv = 0;  // multiples of 8; dk <= 576, dv <= 512
  float scale = 0;
  bf16_bits* out = nullptr;  // (n_seqs, n_heads, dv), out_stride between seqs
  int64_t out_stride = 0;
  int max_seq_len = 0;        // host upper bound of seq_lens (grid / split sizing)
  void* workspace = nullptr;  // decode_attention_workspace_bytes(...), 16-byte aligned
  // Optional: workspace's size in bytes; a call that needs more throws instead of writing past it.
  size_t workspace_bytes = 0;
  // Optional (device, decode_attention_counters(...) values, zero before the first call): the
  // last partial block of each (sequence, head block) merges the key chunks itself, so no merge
  // kernel is launched; the same values (one merge body). Every call leaves them zero again.
  int32_t* merge_counters = nullptr;
  // Optional: MLA's absorbed latent (n_kv_heads 1, v_cache == k_cache with its stride, dk 576, dv
  // 512, n_heads a multiple of 16, q 16-byte aligned with q_stride a multiple of 8, out 4-byte
  // aligned with out_stride even) on tensor cores: 16 heads a block as the M of mma.sync MMAs
  // (attention_decode_mma.cu). Another summation order than the CUDA-core kernel, within bf16 noise
  // of it; the same workspace, counters and merge. Other calls ignore it.
  bool tensor_cores = false;
};

// Counters merge_counters needs for these host sizes (one per sequence and block of query heads).
int decode_attention_counters(int n_seqs, int n_heads, int n_kv_heads);

// Bytes of f32 split-K partials to allocate for calls of up to n_seqs sequences and max_seq_len
// keys: every call with at most as many of both fits. NOTE: one call's split depends on both, not
// monotonically (fewer sequences split into more chunks; a shorter table can round to more), so
// this bounds the calls' chunks by min(ceil(264 / n), key tiles) over every n <= n_seqs. 0 when no
// call splits its keys (then workspace may be null).
size_t decode_attention_workspace_bytes(int n_seqs, int n_heads, int dv, int max_seq_len,
                                        int page_size);
// Bytes one call of exactly these sizes uses (at most decode_attention_workspace_bytes of any
// larger sizes); 0 when its keys fit one chunk.
size_t decode_attention_call_workspace_bytes(int n_seqs, int n_heads, int dv, int max_seq_len);

// True when this call (checked as cuda_decode_attention checks it) runs the tensor-core kernel:
// tensor_cores set and a shape it takes. Host values only.
bool decode_attention_uses_tensor_cores(const DecodeAttentionArgs& args);

// out = softmax(scale * q k^T) v over keys [0, seq_lens[s]) of each sequence, f32 math, bf16 out.
// NOTE: seq_lens are clamped on the device to [0, max_seq_len]; a sequence with no keys gets a
// zero row. Block table entries are not range-checked (the caller owns the page pool). k_cache and
// v_cache must be 16-byte aligned and their token strides multiples of 8 (16-byte vector loads);
// checked at entry. Graph-capturable (the split comes from max_seq_len and n_seqs only).
void cuda_decode_attention(const DecodeAttentionArgs& args, cudaStream_t stream);

// Double-precision reference with args' shapes and strides (its pointers are ignored); q, caches,
// block_table and seq_lens on the host. out is resized to n_seqs * out_stride and the values it
// does not cover stay 0. Throws std::invalid_argument on bad shapes or a block table entry that
// points outside the caches.
void ref_decode_attention(const DecodeAttentionArgs& args, const std::vector<float>& q,
                          const std::vector<float>& k_cache, const std::vector<float>& v_cache,
                          const std::vector<int32_t>& block_table,
                          const std::vector<int32_t>& seq_lens, std::vector<float>& out);

}  // namespace moebench
