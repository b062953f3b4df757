// Plain CPU references of the kernels in kernels/ops.h, on f32 vectors holding bf16-rounded values;
// every output is rounded to bf16 like the GPU's. Same math as backends/builtin/engine_cpu_ops.
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/ops.h"

namespace moebench {

// out (n_tokens, hidden) = table (vocab, hidden)[ids]; bad ids give zero rows. Returns the number
// of bad ids.
int64_t ref_embedding_gather(const std::vector<int32_t>& ids, const std::vector<float>& table,
                             int64_t vocab, int64_t hidden, std::vector<float>& out);

// y (rows, dim) = w * (x * 1/sqrt(mean(x²) + eps)), mean of squares in double like the engine.
void ref_rmsnorm(const std::vector<float>& x, const std::vector<float>& w, int64_t rows,
                 int64_t dim, float eps, std::vector<float>& y);

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
// A plain transcription of the CPU engine's moe_route; throws std::invalid_argument on bad shapes.
void ref_moe_route(const std::vector<float>& logits, const std::vector<float>& bias,
                   const MoeRouteArgs& args, std::vector<int32_t>& ids,
                   std::vector<float>& weights);

}  // namespace moebench
