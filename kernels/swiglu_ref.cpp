// CPU reference of cuda_swiglu: silu(gate) * up in f32 (the engine's ops_silu_mul), bf16 output.
#include <cmath>

#include "kernels/reference.h"

namespace moebench {

void ref_swiglu(const float* gate, int64_t ld_gate, const float* up, int64_t ld_up,
                int64_t n_tokens, int64_t inter, std::vector<float>& out) {
  out.resize(n_tokens * inter);  // (n_tokens, inter)
  for (int64_t t = 0; t < n_tokens; ++t) {
    for (int64_t i = 0; i < inter; ++i) {
      const float g = gate[t * ld_gate + i];
      const float u = up[t * ld_up + i];
      out[t * inter + i] = bf16_round(g / (1.0f + std::exp(-g)) * u);
    }
  }
}

}  // namespace moebench
