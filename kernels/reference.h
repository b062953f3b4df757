// Plain CPU references of the kernels in kernels/ops.h. The f32 cores (ref_*_f32, ref_rope_rotate)
// are the one CPU implementation of that maths: the CPU engine runs them as they are, and the ref_*
// functions the [gpu] tests compare against run them on bf16-rounded values and round every output
// to bf16 like the GPU's.
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/ops.h"

namespace moebench {

// out (n_tokens, hidden) = table (vocab, hidden)[ids]; bad ids give zero rows. Returns the number
// of bad ids. With prev_ids, an id < 0 stands for prev_ids[-1 - id] (bad past its end), as in
// cuda_embedding_gather.
int64_t ref_embedding_gather(const std::vector<int32_t>& ids, const std::vector<float>& table,
                             int64_t vocab, int64_t hidden, std::vector<float>& out,
                             const std::vector<int32_t>* prev_ids = nullptr);

// HF RMSNorm in f32: y (rows, dim) = w * (x * 1/sqrt(mean(x²) + eps)), the mean of squares summed
// in double. `w` (dim) may be null (unit weight); `x` and `y` may alias.
void ref_rmsnorm_f32(const float* x, int64_t rows, int64_t dim, const float* w, float eps,
                     float* y);

// One head's rotated dims v[0 .. dim) into out (f32); c, s (dim / 2) already carry the attention
// factor. `out` must not alias `v`.
void ref_rope_rotate(const float* v, int dim, const float* c, const float* s, RopePairing pairing,
                     float* out);

// The MoE router in f32 over host pointers: a.logits (n_tokens, n_experts), a.bias or null; writes
// a.topk_ids and a.topk_weights (n_tokens, top_k), ids in descending selection-score order.
void ref_moe_route_f32(const MoeRouteArgs& a);

// ref_rmsnorm_f32 with bf16 outputs.
void ref_rmsnorm(const std::vector<float>& x, const std::vector<float>& w, int64_t rows,
                 int64_t dim, float eps, std::vector<float>& y);

// residual = x (init) or residual + x, unrounded (f32), then y = ref_rmsnorm(residual); with
// y_lo, also bf16(n - y) for the f32 norm n (cuda_rmsnorm_residual_f32's y_lo).
void ref_rmsnorm_residual_f32(std::vector<float>& residual, const std::vector<float>& x, bool init,
                              const std::vector<float>& w, int64_t rows, int64_t dim, float eps,
                              std::vector<float>& y, std::vector<float>* y_lo = nullptr);
// residual = bf16(residual + x), then y = ref_rmsnorm(residual).
void ref_rmsnorm_residual(std::vector<float>& residual, const std::vector<float>& x,
                          const std::vector<float>& w, int64_t rows, int64_t dim, float eps,
                          std::vector<float>& y);

// out (n_tokens, inter) = silu(gate) * up with row strides ld_gate / ld_up (see cuda_swiglu).
void ref_swiglu(const float* gate, int64_t ld_gate, const float* up, int64_t ld_up,
                int64_t n_tokens, int64_t inter, std::vector<float>& out);

// In-place RoPE on x (n_tokens * token_stride), same layout and arguments as cuda_rope_apply
// (the pointers in args are ignored; x, positions and inv_freq are passed here).
void ref_rope_apply(std::vector<float>& x, const std::vector<int32_t>& positions,
                    const std::vector<float>& inv_freq, const RopeArgs& args);

// MoE router over logits (n_tokens, n_experts) with bias (n_experts) or empty; writes ids and
// weights (n_tokens, top_k). Same arguments as cuda_moe_route (the pointers in args are ignored).
// ref_moe_route_f32 over vectors; throws std::invalid_argument on bad shapes.
void ref_moe_route(const std::vector<float>& logits, const std::vector<float>& bias,
                   const MoeRouteArgs& args, std::vector<int32_t>& ids,
                   std::vector<float>& weights);

}  // namespace moebench
