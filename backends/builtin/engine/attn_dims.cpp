// attn_dims_of: the attention geometry of each family.
#include "backends/builtin/engine/attn_dims.h"

#include <cmath>
#include <stdexcept>
#include <string>

namespace moebench {

AttnDims attn_dims_of(const ModelConfig& c) {
  AttnDims d;
  d.n_heads = c.num_heads;
  if (c.mla) {
    // NOTE: MLA expands keys per query head, so n_kv = n_heads (HF configs set
    // num_key_value_heads = num_attention_heads for deepseek).
    d.n_kv = c.num_heads;
    d.k_dim = c.qk_nope_head_dim + c.qk_rope_head_dim;
    d.v_dim = c.v_head_dim;
    d.scale = static_cast<float>(mla_softmax_scale(c));
    if (c.family == ModelFamily::deepseek_v2) {
      d.rope_style = RopePairing::pairs;  // HF deepseek_v2 always uses the complex form
    } else {
      d.rope_style = c.rope.interleave ? RopePairing::interleaved : RopePairing::half;
    }
  } else {
    d.n_kv = c.num_kv_heads;
    d.k_dim = c.head_dim;
    d.v_dim = c.head_dim;
    d.scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(c.head_dim)));
    d.rope_style = RopePairing::half;  // qwen, mixtral and olmoe all use rotate_half
  }
  if (d.n_kv <= 0 || d.n_heads % d.n_kv != 0) {
    throw std::invalid_argument("attention: num_heads " + std::to_string(d.n_heads) +
                                " is not a multiple of num_kv_heads " + std::to_string(d.n_kv));
  }
  return d;
}

}  // namespace moebench
