// Public CUDA launchers of the engine's elementwise / row ops (embedding, RMSNorm, SwiGLU, RoPE)
// and the MoE router.
// Compiles without CUDA headers (cudaStream_t via kernels/cuda_stream.h); defined only in CUDA
// builds, so callers guard their calls with MOEBENCH_HAVE_CUDA. All pointers are device pointers.
#pragma once

#include <cstdint>

#include "kernels/bf16.h"
#include "kernels/cuda_stream.h"
#include "kernels/op_modes.h"

namespace moebench {

// out (n_tokens, hidden) = table (vocab, hidden)[ids (n_tokens)].
// NOTE: ids live on the device, so they are range-checked there: an id outside [0, vocab) writes a
// zero row and, when bad_ids (one device int32) is not null, atomically adds 1 to *bad_ids. The
// caller zeroes *bad_ids before and reads it after the stream syncs.
// With prev_ids (device, n_prev): an id < 0 stands for prev_ids[-1 - id] (ids a previous step
// sampled, fed to this one without a trip through the host); an index past n_prev is a bad id.
void cuda_embedding_gather(const int32_t* ids, int64_t n_tokens, const bf16_bits* table,
                           int64_t vocab, int64_t hidden, bf16_bits* out, int32_t* bad_ids,
                           cudaStream_t stream, const int32_t* prev_ids = nullptr,
                           int64_t n_prev = 0);

// y (rows, dim) = w (dim) * (x * rsqrt(mean(x²) + eps)), f32 math, per row. x and y may alias.
void cuda_rmsnorm(const bf16_bits* x, const bf16_bits* w, int64_t rows, int64_t dim, float eps,
                  bf16_bits* y, cudaStream_t stream);

// Fused residual add then norm: residual (rows, dim) += x (rows, dim), rounded to bf16 and written
// back; y (rows, dim) = rmsnorm(new residual) * w. y may alias x, not residual.
void cuda_rmsnorm_residual(bf16_bits* residual, const bf16_bits* x, const bf16_bits* w,
                           int64_t rows, int64_t dim, float eps, bf16_bits* y, cudaStream_t stream);

// The residual stream in f32, the CPU reference's precision (no bf16 rounding of the running
// sum): residual (rows, dim) f32 = x (`init`: the first layer's embedding rows) or residual + x,
// then y (rows, dim) bf16 = rmsnorm(residual) * w, the norm taken of the f32 values. y may alias
// x. With y_lo (rows, dim), also what y's rounding lost: y_lo = bf16(n - y) for the f32 norm n,
// so y + y_lo carries n to about 16 bits (the router's f32 input as two bf16 GEMMs); null skips.
void cuda_rmsnorm_residual_f32(float* residual, const bf16_bits* x, bool init, const bf16_bits* w,
                               int64_t rows, int64_t dim, float eps, bf16_bits* y, bf16_bits* y_lo,
                               cudaStream_t stream);

// out (n_tokens, inter) = silu(gate) * up, f32 math. Row t of gate starts at gate + t * ld_gate
// and of up at up + t * ld_up, so a fused (n_tokens, 2 * inter) [gate | up] buffer is
// gate = gu, up = gu + inter, ld_gate = ld_up = 2 * inter. Two plain buffers use ld = inter.
void cuda_swiglu(const bf16_bits* gate, int64_t ld_gate, const bf16_bits* up, int64_t ld_up,
                 int64_t n_tokens, int64_t inter, bf16_bits* out, cudaStream_t stream);

// Rotary embedding in place. Head h of token t starts at x + t * token_stride + h * head_stride;
// its rotated dims are [rot_offset, rot_offset + dim). cos/sin are computed in the kernel as
// cos(inv_freq[i] * (float)positions[t]) * attention_factor, like HF in f32.
struct RopeArgs {
  bf16_bits* x = nullptr;  // (n_tokens, token_stride) viewed as (n_tokens, n_heads, head_stride)
  const int32_t* positions = nullptr;  // (n_tokens)
  const float* inv_freq = nullptr;     // (dim / 2)
  int64_t n_tokens = 0;
  int64_t token_stride = 0;  // elements between tokens
  int n_heads = 0;
  int head_stride = 0;  // elements between heads
  int rot_offset = 0;   // first rotated element within a head
  int dim = 0;          // rotated dims per head, even, <= 1024
  float attention_factor = 1.0f;
  RopePairing pairing = RopePairing::half;
};
void cuda_rope_apply(const RopeArgs& args, cudaStream_t stream);

// Routes n_tokens tokens: topk_ids (n_tokens, top_k) in descending selection-score order (exact
// ties prefer the lower expert index) and their weights, like the CPU engine's moe_route. Weights
// are the softmax probs (softmax modes) or the unbiased sigmoid scores (sigmoid_noaux_tc); when
// renormalize they are divided by (their sum + renorm_eps); then multiplied by scaling.
// NOTE: one warp per token with the row in registers, so n_experts <= 256, top_k <= 16 and
// n_group <= 16. Groups are read only by the two grouped modes, bias only by sigmoid_noaux_tc.
struct MoeRouteArgs {
  const float* logits = nullptr;  // (n_tokens, n_experts) f32 router logits
  const float* bias = nullptr;    // (n_experts) e_score_correction_bias, or null for none
  int32_t* topk_ids = nullptr;    // (n_tokens, top_k)
  float* topk_weights = nullptr;  // (n_tokens, top_k)
  int64_t n_tokens = 0;
  int n_experts = 0;         // <= 256
  int top_k = 0;             // in [1, min(n_experts, 16)]
  int n_group = 1;           // divides n_experts, <= 16
  int topk_group = 1;        // groups kept, in [1, n_group]
  bool renormalize = false;  // norm_topk_prob (HF deepseek_v2 never renormalizes)
  float renorm_eps = 0.0f;   // deepseek_v3 adds 1e-20 to the denominator
  float scaling = 1.0f;      // routed_scaling_factor
  MoeRouteMode mode = MoeRouteMode::softmax_topk;
};
void cuda_moe_route(const MoeRouteArgs& args, cudaStream_t stream);

}  // namespace moebench
