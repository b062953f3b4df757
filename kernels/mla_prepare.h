// MLA attention's input preparation in one launch (the decode path's fusion): the latents'
// RMSNorms, k_pe's rotary embedding and the paged-cache append, and the queries' rotary embedding,
// the roped q_pe of decode rows also copied beside their absorbed query. The values are those of
// the separate launches (cuda_rmsnorm_strided, cuda_rope_apply, cuda_kv_append, cuda_copy_heads),
// bit for bit. Compiles without CUDA headers; cuda_mla_prepare exists in CUDA builds.
#pragma once

#include <climits>
#include <cstdint>
#include <vector>

#include "kernels/bf16.h"
#include "kernels/cuda_stream.h"
#include "kernels/gemm.h"
#include "kernels/launch_check.h"
#include "kernels/op_modes.h"

namespace moebench {

// Each part runs when its main pointer is set; row t of a token-major buffer starts at
// ptr + t * its stride. Device pointers.
struct MlaPrepareArgs {
  int64_t n_tokens = 0;
  float eps = 1e-6f;  // both latents' norms (HF builds q_a / kv_a_layernorm with 1e-6)
  // The query latent (q_lora_rank > 0): q_latent[t][0, q_lora) = rmsnorm(itself) * q_a_norm.
  bf16_bits* q_latent = nullptr;
  int64_t q_latent_stride = 0;
  const bf16_bits* q_a_norm = nullptr;
  int q_lora = 0;
  // kv[t] = [latent (lora) | k_pe (rope_dim)] -> cache row slots[t] = [rmsnorm(latent) * kv_a_norm
  // | rope(k_pe)]; a negative slot skips the token. The fused kernel leaves kv as it is; the
  // separate launches norm and rotate it in place.
  bf16_bits* kv = nullptr;
  int64_t kv_stride = 0;
  const bf16_bits* kv_a_norm = nullptr;
  int lora = 0;
  const int32_t* slots = nullptr;
  bf16_bits* cache = nullptr;
  int64_t cache_stride = 0;
  // Queries: q[t] holds n_heads heads head_stride apart; each head's dims [rot_offset, rot_offset +
  // rope_dim) are roped in place, and for rows t < n_pe_rows (the decode rows) also written to
  // q_pe_out + t * q_pe_token_stride + h * q_pe_head_stride.
  bf16_bits* q = nullptr;
  int64_t q_stride = 0;
  int n_heads = 0;
  int head_stride = 0;
  int rot_offset = 0;
  bf16_bits* q_pe_out = nullptr;
  int64_t q_pe_token_stride = 0;
  int q_pe_head_stride = 0;
  int64_t n_pe_rows = 0;
  // The rotation of k_pe and of the queries' dims: cos/sin(inv_freq[i] * positions[t]) *
  // attention_factor, like cuda_rope_apply.
  const int32_t* positions = nullptr;
  const float* inv_freq = nullptr;  // (rope_dim / 2)
  int rope_dim = 0;                 // even, <= 1024
  float attention_factor = 1.0f;
  RopePairing pairing = RopePairing::half;
};

// Throws std::invalid_argument naming fn and the bad field. NOTE: inline so the CUDA library and
// the CPU references (two static libraries) both have it.
inline void mla_prepare_args_check(const MlaPrepareArgs& a, const char* fn) {
  launch_require(a.n_tokens >= 0 && a.n_tokens <= INT32_MAX, fn,
                 "n_tokens must be in [0, 2^31), got ", a.n_tokens);
  launch_require(a.q_latent != nullptr || a.kv != nullptr || a.q != nullptr, fn,
                 "nothing to do: q_latent, kv and q are all null");
  launch_require(a.eps >= 0.0f, fn, "eps must be >= 0, got ", a.eps);
  if (a.q_latent != nullptr) {
    launch_require(a.q_lora > 0 && a.q_latent_stride >= a.q_lora && a.q_a_norm != nullptr, fn,
                   "q latent: need q_lora > 0, q_latent_stride >= q_lora and q_a_norm, got q_lora ",
                   a.q_lora, " stride ", a.q_latent_stride, " q_a_norm ", a.q_a_norm);
  }
  if (a.kv != nullptr || a.q != nullptr) {
    launch_require(a.rope_dim > 0 && a.rope_dim % 2 == 0 && a.rope_dim <= 1024, fn,
                   "rope_dim must be even and in (0, 1024], got ", a.rope_dim);
  }
  if (a.kv != nullptr) {
    launch_require(a.lora > 0 && a.kv_stride >= a.lora + a.rope_dim, fn,
                   "kv: need lora > 0 and kv_stride >= lora + rope_dim, got lora ", a.lora,
                   " stride ", a.kv_stride);
    launch_require(a.kv_a_norm != nullptr && a.slots != nullptr && a.cache != nullptr, fn,
                   "kv: null kv_a_norm, slots or cache");
    launch_require(a.cache_stride >= a.lora + a.rope_dim, fn, "cache_stride ", a.cache_stride,
                   " < lora + rope_dim ", a.lora + a.rope_dim);
  }
  if (a.q != nullptr) {
    launch_require(a.n_heads > 0 && a.rot_offset >= 0 && a.rot_offset + a.rope_dim <= a.head_stride,
                   fn, "q: need n_heads > 0 and rotated dims inside head_stride, got n_heads ",
                   a.n_heads, " rot_offset ", a.rot_offset, " head_stride ", a.head_stride);
    launch_require(static_cast<int64_t>(a.n_heads) * a.head_stride <= a.q_stride, fn, "q: n_heads ",
                   a.n_heads, " * head_stride ", a.head_stride, " exceeds q_stride ", a.q_stride);
    launch_require(a.n_pe_rows >= 0 && a.n_pe_rows <= a.n_tokens, fn,
                   "n_pe_rows must be in [0, n_tokens], got ", a.n_pe_rows);
    launch_require(
        a.n_pe_rows == 0 || (a.q_pe_out != nullptr && a.q_pe_head_stride >= a.rope_dim &&
                             a.q_pe_token_stride >= int64_t{a.n_heads} * a.q_pe_head_stride),
        fn, "q_pe_out: null or strides too small for n_heads x rope_dim");
  }
  if (a.kv != nullptr || a.q != nullptr) {
    launch_require(a.n_tokens == 0 || (a.positions != nullptr && a.inv_freq != nullptr), fn,
                   "null positions or inv_freq");
  }
}

// One launch, a block per token.
void cuda_mla_prepare(const MlaPrepareArgs& args, cudaStream_t stream);

// cuda_mla_prepare and a skinny GEMM over a (k, n) B in one launch: MLA's decode-row q absorb
// (q_nope · W_UK per head, a batched cuda_gemm_skinny with b_transposed false) beside the prepare,
// which it does not depend on. The prepare's token blocks run beside the GEMM's column tiles, so
// the step has one launch fewer; the same bits as cuda_mla_prepare then cuda_gemm_skinny(absorb).
// absorb: what cuda_gemm_skinny serves with b_transposed false and a bf16 c (m <= 16, no argmax).
// NOTE: its reads and writes must not overlap the prepare's (the caller's contract: the absorb
// reads q's nope columns, the prepare rotates the rope columns and writes q_pe beside the absorbed
// query).
void cuda_mla_prepare_absorb(const MlaPrepareArgs& prep, const GemmArgs& absorb,
                             cudaStream_t stream);

// The same through the separate launches (cuda_rmsnorm_strided, cuda_rope_apply, cuda_kv_append,
// cuda_copy_heads: up to six), as the engine ran before the fusion: kept as the measured baseline
// and the engine's unfused path.
void cuda_mla_prepare_separate(const MlaPrepareArgs& args, cudaStream_t stream);

// The CPU reference's buffers (f32 holding bf16), laid out as the args' strides say. A part runs
// when its buffer (q_latent, kv, q) is non-empty; the args' pointers are ignored.
struct MlaPrepareHost {
  std::vector<float> q_latent, q_a_norm, kv, kv_a_norm, cache, q, q_pe_out;
  std::vector<int32_t> slots, positions;
  std::vector<float> inv_freq;
};

// cuda_mla_prepare on the host: f32 maths with bf16-rounded outputs (ref_rmsnorm_f32,
// ref_rope_rotate). Throws std::invalid_argument on bad args or short buffers.
void ref_mla_prepare(const MlaPrepareArgs& args, MlaPrepareHost& h);

}  // namespace moebench
