// cuda_prefill_attention: varlen (causal) flash attention, FlashAttention-2 style. A block per
// (query tile of 64, head, sequence); 4 warps own 16 query rows each; per key tile of 64,
// S = Q K^T and O += P V run on tensor cores (wmma bf16 16x16x16, f32 accumulators) and the online
// softmax runs in f32 with exp2f on log2e-prescaled scores.
#include <cuda_bf16.h>
#include <cuda_runtime.h>
#include <mma.h>

#include <climits>
#include <cmath>
#include <cstdint>
#include <vector>

#include "kernels/attention.h"
#include "kernels/attention_prefill_block.cuh"
#include "kernels/cuda_check.h"
#include "kernels/kernel_setup.cuh"
#include "kernels/launch_check.h"

namespace moebench {
namespace {

namespace wmma = nvcuda::wmma;

constexpr int kBlockM = 64;  // queries per block
constexpr int kBlockN = 64;  // keys per tile
constexpr int kWarp = 32;
constexpr int kWarps = kBlockM / 16;  // a warp owns 16 query rows
constexpr int kThreads = kWarps * kWarp;
constexpr int kMaxDim = 256;
constexpr int kVec = 8;            // bf16 values per 16-byte vector
constexpr int kLdS = kBlockN + 4;  // f32 scores row; NOTE: +4 staggers banks, keeps ldm % 4 == 0
constexpr int kLdP = kBlockN + 8;  // bf16 probabilities row; ldm % 8 == 0
constexpr float kLog2e = 1.4426950408889634f;

#if !defined(__CUDA_ARCH__) || __CUDA_ARCH__ >= 800
using FragA = wmma::fragment<wmma::matrix_a, 16, 16, 16, __nv_bfloat16, wmma::row_major>;
using FragBCol = wmma::fragment<wmma::matrix_b, 16, 16, 16, __nv_bfloat16, wmma::col_major>;
using FragBRow = wmma::fragment<wmma::matrix_b, 16, 16, 16, __nv_bfloat16, wmma::row_major>;
using FragAcc = wmma::fragment<wmma::accumulator, 16, 16, 16, float>;
#endif

// Dynamic shared memory: K (64, dkp), V (64, dvp) bf16 tiles zero-padded to multiples of 16,
// scores S (64, 64) f32, probabilities P (64, 64) bf16 and the running output O (64, dvp) f32.
// Sections start on 128-byte boundaries (wmma needs 32).
// NOTE: Q is staged through the K tile once and then lives in registers (wmma fragments), which
// keeps dk 192 / dv 128 at 103 KB so two blocks fit on an SM.
struct SmemLayout {
  int dkp = 0, dvp = 0;     // padded head dims
  int ld_qk = 0, ld_v = 0;  // bf16 row strides, +8 against bank conflicts
  int ld_o = 0;             // f32 row stride
  size_t k = 0, v = 0, s = 0, p = 0, o = 0, bytes = 0;  // byte offsets, total
};

__host__ __device__ constexpr size_t align128(size_t b) { return (b + 127) / 128 * 128; }

__host__ __device__ constexpr SmemLayout smem_layout(int dk, int dv) {
  SmemLayout L;
  L.dkp = (dk + 15) / 16 * 16;
  L.dvp = (dv + 15) / 16 * 16;
  L.ld_qk = L.dkp + 8;
  L.ld_v = L.dvp + 8;
  L.ld_o = L.dvp + 4;
  L.k = 0;
  L.v = L.k + align128(size_t{kBlockN} * L.ld_qk * 2);
  L.s = L.v + align128(size_t{kBlockN} * L.ld_v * 2);
  L.p = L.s + align128(size_t{kBlockM} * kLdS * 4);
  L.o = L.p + align128(size_t{kBlockM} * kLdP * 2);
  L.bytes = L.o + align128(size_t{kBlockM} * L.ld_o * 4);
  return L;
}

constexpr size_t kMaxSmemBytes = smem_layout(kMaxDim, kMaxDim).bytes;

// The kernel's view of the arguments: head strides resolved, the softmax scale in log2 units.
struct PrefillParams {
  PrefillAttentionArgs a;
  SmemLayout L;
  PrefillHeadStrides hs;  // head strides, packed ones resolved
  float scale_log2 = 0;
};

// ----------------------------------------------------------------------------
// GPU kernels

// dst (64, dimp) = src rows [0, n_rows) x cols [0, dim), zero elsewhere; the whole block.
__device__ __forceinline__ void load_tile(bf16_bits* dst, int ld, const bf16_bits* src,
                                          int64_t stride, int n_rows, int dim, int dimp) {
  const int chunks = dimp / kVec;
  for (int i = threadIdx.x; i < kBlockN * chunks; i += kThreads) {
    const int r = i / chunks, c = (i % chunks) * kVec;
    uint4 val = make_uint4(0, 0, 0, 0);
    if (r < n_rows && c < dim) val = *reinterpret_cast<const uint4*>(src + r * stride + c);
    *reinterpret_cast<uint4*>(dst + r * ld + c) = val;
  }
}

#if !defined(__CUDA_ARCH__) || __CUDA_ARCH__ >= 800
// The warp's Q rows (16, dkp) as fragments; fully unrolled so they stay in registers.
struct QFrags {
  FragA f[kMaxDim / 16];
};

__device__ __forceinline__ void warp_load_q(const __nv_bfloat16* q, const SmemLayout& L,
                                            QFrags& qf) {
#pragma unroll
  for (int i = 0; i < kMaxDim / 16; ++i) {
    if (i * 16 >= L.dkp) break;
    wmma::load_matrix_sync(qf.f[i], q + i * 16, L.ld_qk);
  }
}

// s (16, 64) f32 = q (16, dkp) k (64, dkp)^T for one warp's rows.
__device__ __forceinline__ void warp_scores(const QFrags& qf, const __nv_bfloat16* k,
                                            const SmemLayout& L, float* s) {
  FragAcc acc[kBlockN / 16];
#pragma unroll
  for (int n = 0; n < kBlockN / 16; ++n) wmma::fill_fragment(acc[n], 0.0f);
#pragma unroll
  for (int i = 0; i < kMaxDim / 16; ++i) {
    if (i * 16 >= L.dkp) break;
#pragma unroll
    for (int n = 0; n < kBlockN / 16; ++n) {
      FragBCol fb;  // K row-major (key, d) is K^T (d, key) column-major
      wmma::load_matrix_sync(fb, k + n * 16 * L.ld_qk + i * 16, L.ld_qk);
      wmma::mma_sync(acc[n], qf.f[i], fb, acc[n]);
    }
  }
#pragma unroll
  for (int n = 0; n < kBlockN / 16; ++n) {
    wmma::store_matrix_sync(s + n * 16, acc[n], kLdS, wmma::mem_row_major);
  }
}

// o (16, dvp) f32 += p (16, 64) v (64, dvp) for one warp's rows.
__device__ __forceinline__ void warp_pv(const __nv_bfloat16* p, const __nv_bfloat16* v,
                                        const SmemLayout& L, float* o) {
  FragA fa[kBlockN / 16];
#pragma unroll
  for (int kk = 0; kk < kBlockN / 16; ++kk) wmma::load_matrix_sync(fa[kk], p + kk * 16, kLdP);
  for (int j = 0; j < L.dvp; j += 16) {
    FragAcc acc;
    wmma::load_matrix_sync(acc, o + j, L.ld_o, wmma::mem_row_major);
#pragma unroll
    for (int kk = 0; kk < kBlockN / 16; ++kk) {
      FragBRow fb;
      wmma::load_matrix_sync(fb, v + kk * 16 * L.ld_v + j, L.ld_v);
      wmma::mma_sync(acc, fa[kk], fb, acc);
    }
    wmma::store_matrix_sync(o + j, acc, L.ld_o, wmma::mem_row_major);
  }
}

#endif

// Online-softmax state of one query row, held by the two lanes that share the row.
struct RowState {
  float m = -INFINITY;  // running max of the log2-scaled scores
  float l = 0.0f;       // running sum of exp2(score - m)
};

// Turns the warp's raw scores into probabilities P (bf16) and rescales O. Lane pair (2r, 2r+1)
// owns row r; the pair splits columns by parity so a row's two lanes hit different banks.
__device__ __forceinline__ void warp_softmax(float* s, __nv_bfloat16* p, float* o,
                                             const SmemLayout& L, RowState& st, int n0, int len_k,
                                             int key_limit, float scale_log2) {
  const int lane = threadIdx.x % kWarp, r = lane / 2, half = lane % 2;
  float* srow = s + r * kLdS;
  __nv_bfloat16* prow = p + r * kLdP;
  float tile_max = -INFINITY;
  for (int c = half; c < kBlockN; c += 2) {
    const int key = n0 + c;
    const float x = key < len_k && key <= key_limit ? srow[c] * scale_log2 : -INFINITY;
    srow[c] = x;
    tile_max = fmaxf(tile_max, x);
  }
  tile_max = fmaxf(tile_max, __shfl_xor_sync(0xffffffffu, tile_max, 1));
  const float m_new = fmaxf(st.m, tile_max);
  const float m_use = m_new == -INFINITY ? 0.0f : m_new;  // no visible key yet: every p is 0
  const float alpha = exp2f(st.m - m_use);
  float sum = 0.0f;
  for (int c = half; c < kBlockN; c += 2) {
    const __nv_bfloat16 pb = __float2bfloat16_rn(exp2f(srow[c] - m_use));
    prow[c] = pb;
    sum += __bfloat162float(pb);  // NOTE: the sum of what P V multiplies, so rows normalize to 1
  }
  sum += __shfl_xor_sync(0xffffffffu, sum, 1);
  st.l = st.l * alpha + sum;
  st.m = m_new;
  if (alpha != 1.0f) {
    float* orow = o + r * L.ld_o;
    for (int c = half; c < L.dvp; c += 2) orow[c] *= alpha;
  }
}

// out row = o row / l, bf16, 16-byte stores; lane pair (2r, 2r+1) owns row r.
__device__ __forceinline__ void warp_store(const float* o, const SmemLayout& L, const RowState& st,
                                           bf16_bits* out, int dv) {
  const int lane = threadIdx.x % kWarp, r = lane / 2, half = lane % 2;
  const float inv = st.l > 0.0f ? 1.0f / st.l : 0.0f;
  const float* orow = o + r * L.ld_o;
  for (int c = half * kVec; c < dv; c += 2 * kVec) {
    __align__(16) __nv_bfloat16 vals[kVec];
#pragma unroll
    for (int i = 0; i < kVec; ++i) vals[i] = __float2bfloat16_rn(orow[c + i] * inv);
    *reinterpret_cast<uint4*>(out + c) = *reinterpret_cast<const uint4*>(vals);
  }
}

__global__ void __launch_bounds__(kThreads) prefill_attention_kernel(const PrefillParams prm) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ < 800
  __trap();  // NOTE: bf16 wmma needs sm_80; the launcher refuses such builds before launching
#else
  extern __shared__ __align__(128) unsigned char smem[];
  const PrefillAttentionArgs& a = prm.a;
  const SmemLayout& L = prm.L;
  PrefillBlock blk;
  if (!prefill_block(a, kBlockM, blk)) return;
  const int head = blk.head, q0 = blk.q0, len_q = blk.len_q, k0 = blk.k0, len_k = blk.len_k;
  const int m0 = blk.m0, rows = blk.rows, kv_head = blk.kv_head, shift = blk.shift;
  const int k_end = blk.k_end;

  auto* sk = reinterpret_cast<bf16_bits*>(smem + L.k);
  auto* sv = reinterpret_cast<bf16_bits*>(smem + L.v);
  auto* ss = reinterpret_cast<float*>(smem + L.s);
  auto* sp = reinterpret_cast<__nv_bfloat16*>(smem + L.p);
  auto* so = reinterpret_cast<float*>(smem + L.o);

  load_tile(sk, L.ld_qk, a.q + static_cast<int64_t>(q0 + m0) * a.q_stride + head * prm.hs.q,
            a.q_stride, rows, a.dk, L.dkp);
  for (int i = threadIdx.x; i < kBlockM * L.ld_o; i += kThreads) so[i] = 0.0f;

  const int warp = threadIdx.x / kWarp, lane = threadIdx.x % kWarp;
  const int w0 = warp * 16;  // the warp's first row in the tile
  const bool warp_active = w0 < rows;
  const int q_row = m0 + w0 + lane / 2;  // this lane's query index in the sequence
  const int key_limit = a.causal ? shift + q_row : INT_MAX;
  const int warp_key_limit = a.causal ? shift + m0 + w0 + 15 : INT_MAX;
  float* ws = ss + w0 * kLdS;
  __nv_bfloat16* wp = sp + w0 * kLdP;
  float* wo = so + w0 * L.ld_o;
  RowState st;
  __syncthreads();  // the Q tile is staged in the K buffer
  QFrags qf;
  warp_load_q(reinterpret_cast<const __nv_bfloat16*>(sk) + w0 * L.ld_qk, L, qf);

  for (int n0 = 0; n0 < k_end; n0 += kBlockN) {
    const int n_keys = min(kBlockN, len_k - n0);
    __syncthreads();  // the previous tile's K / V reads (first pass: Q fragment loads) are done
    const int64_t key_row = k0 + n0;
    load_tile(sk, L.ld_qk, a.k + key_row * a.k_stride + kv_head * prm.hs.k, a.k_stride, n_keys,
              a.dk, L.dkp);
    load_tile(sv, L.ld_v, a.v + key_row * a.v_stride + kv_head * prm.hs.v, a.v_stride, n_keys, a.dv,
              L.dvp);
    __syncthreads();
    if (!warp_active || n0 > warp_key_limit) continue;  // every key of the tile is masked
    warp_scores(qf, reinterpret_cast<const __nv_bfloat16*>(sk), L, ws);
    __syncwarp();
    warp_softmax(ws, wp, wo, L, st, n0, len_k, key_limit, prm.scale_log2);
    __syncwarp();
    warp_pv(wp, reinterpret_cast<const __nv_bfloat16*>(sv), L, wo);
  }
  __syncwarp();
  if (!warp_active || q_row >= len_q) return;
  warp_store(wo, L, st, a.out + static_cast<int64_t>(q0 + q_row) * a.out_stride + head * prm.hs.out,
             a.dv);
#endif
}

// ----------------------------------------------------------------------------
// Launcher

bool aligned16(const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

// NOTE: opting in to > 48 KB of dynamic shared memory is per device, for the largest layout.
void ensure_smem_opt_in() {
  once_per_device([] {
    require_bf16_tensor_cores(reinterpret_cast<const void*>(prefill_attention_kernel),
                              "cuda_prefill_attention");
    CUDA_CHECK(cudaFuncSetAttribute(prefill_attention_kernel,
                                    cudaFuncAttributeMaxDynamicSharedMemorySize,
                                    static_cast<int>(kMaxSmemBytes)));
  });
}

void check_prefill_args(const PrefillAttentionArgs& a, const char* e) {
  launch_require(a.n_seqs >= 0 && a.n_seqs <= 65535, e, "n_seqs must be in [0, 65535], got ",
                 a.n_seqs);
  launch_require(a.max_q >= 0, e, "max_q must be >= 0, got ", a.max_q);
  launch_require(a.n_heads > 0 && a.n_heads <= 65535, e, "n_heads must be in [1, 65535], got ",
                 a.n_heads);
  launch_require(a.n_kv_heads > 0 && a.n_heads % a.n_kv_heads == 0, e, "n_heads ", a.n_heads,
                 " must be a multiple of n_kv_heads ", a.n_kv_heads);
  launch_require(a.dk > 0 && a.dk <= kMaxDim && a.dk % kVec == 0, e,
                 "dk must be a multiple of 8 in [8, 256], got ", a.dk);
  launch_require(a.dv > 0 && a.dv <= kMaxDim && a.dv % kVec == 0, e,
                 "dv must be a multiple of 8 in [8, 256], got ", a.dv);
  launch_require(std::isfinite(a.scale), e, "scale must be finite, got ", a.scale);
  const int64_t strides[] = {a.q_stride,      a.k_stride,      a.v_stride,      a.out_stride,
                             a.q_head_stride, a.k_head_stride, a.v_head_stride, a.out_head_stride};
  const char* names[] = {"q_stride",      "k_stride",      "v_stride",      "out_stride",
                         "q_head_stride", "k_head_stride", "v_head_stride", "out_head_stride"};
  for (int i = 0; i < 8; ++i) {
    launch_require(strides[i] >= 0 && strides[i] % kVec == 0, e, names[i],
                   " must be a non-negative multiple of 8, got ", strides[i]);
  }
}

}  // namespace

PrefillHeadStrides prefill_attention_check(const PrefillAttentionArgs& args, const char* e) {
  check_prefill_args(args, e);
  PrefillHeadStrides hs;
  hs.q = args.q_head_stride ? args.q_head_stride : args.dk;
  hs.k = args.k_head_stride ? args.k_head_stride : args.dk;
  hs.v = args.v_head_stride ? args.v_head_stride : args.dv;
  hs.out = args.out_head_stride ? args.out_head_stride : args.dv;
  if (args.n_seqs == 0 || args.max_q == 0) return hs;
  launch_require(args.q_stride >= args.n_heads * hs.q && hs.q >= args.dk, e, "q_stride ",
                 args.q_stride, " / head stride ", hs.q, " too small for ", args.n_heads,
                 " heads of dk ", args.dk);
  launch_require(args.k_stride >= args.n_kv_heads * hs.k && hs.k >= args.dk, e, "k_stride ",
                 args.k_stride, " / head stride ", hs.k, " too small for ", args.n_kv_heads,
                 " kv heads of dk ", args.dk);
  launch_require(args.v_stride >= args.n_kv_heads * hs.v - (hs.v - args.dv) && hs.v >= args.dv, e,
                 "v_stride ", args.v_stride, " / head stride ", hs.v, " too small for ",
                 args.n_kv_heads, " kv heads of dv ", args.dv);
  launch_require(args.out_stride >= args.n_heads * hs.out && hs.out >= args.dv, e, "out_stride ",
                 args.out_stride, " / head stride ", hs.out, " too small for ", args.n_heads,
                 " heads of dv ", args.dv);
  launch_require(args.q && args.k && args.v && args.out && args.cu_q && args.cu_k, e,
                 "q, k, v, out, cu_q and cu_k must be set");
  launch_require(aligned16(args.q) && aligned16(args.k) && aligned16(args.v) && aligned16(args.out),
                 e, "q, k, v and out must be 16-byte aligned");
  return hs;
}

void cuda_prefill_attention(const PrefillAttentionArgs& args, cudaStream_t stream) {
  const PrefillHeadStrides hs = prefill_attention_check(args, "cuda_prefill_attention");
  if (args.n_seqs == 0 || args.max_q == 0) return;
  PrefillParams prm;
  prm.a = args;
  prm.L = smem_layout(args.dk, args.dv);
  prm.hs = hs;
  prm.scale_log2 = args.scale * kLog2e;
  ensure_smem_opt_in();
  const dim3 grid((args.max_q + kBlockM - 1) / kBlockM, args.n_heads, args.n_seqs);
  prefill_attention_kernel<<<grid, kThreads, prm.L.bytes, stream>>>(prm);
  KERNEL_CHECK();
}

}  // namespace moebench
