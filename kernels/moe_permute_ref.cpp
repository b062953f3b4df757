// CPU references of cuda_moe_permute (stable counting sort of the slots by expert, row gather) and
// cuda_moe_combine (weighted f32 sum of the experts' rows back in token order).
#include <cmath>
#include <stdexcept>
#include <string>

#include "kernels/moe_permute.h"

namespace moebench {
namespace {

void ref_require(bool ok, const char* fn, const std::string& what) {
  if (!ok) throw std::invalid_argument(std::string(fn) + ": " + what);
}

}  // namespace

void ref_moe_permute(const std::vector<int32_t>& topk_ids, const std::vector<float>& x,
                     const MoePermuteArgs& a, std::vector<int32_t>& offsets,
                     std::vector<int32_t>& perm_to_slot, std::vector<int32_t>& slot_to_perm,
                     std::vector<float>& x_perm) {
  const char* fn = "ref_moe_permute";
  const int64_t n_slots = a.n_tokens * a.top_k;
  ref_require(a.n_tokens >= 0 && a.top_k > 0 && a.n_experts > 0 && a.hidden > 0, fn,
              "need n_tokens >= 0, top_k > 0, n_experts > 0, hidden > 0");
  ref_require(static_cast<int64_t>(topk_ids.size()) == n_slots, fn,
              "topk_ids has " + std::to_string(topk_ids.size()) + " values, want " +
                  std::to_string(n_slots));
  ref_require(a.ld_x >= a.hidden && (a.n_tokens == 0 || static_cast<int64_t>(x.size()) >=
                                                            (a.n_tokens - 1) * a.ld_x + a.hidden),
              fn, "x too small for (n_tokens, hidden) with stride ld_x");
  offsets.assign(a.n_experts + 1, 0);
  perm_to_slot.assign(n_slots, 0);
  slot_to_perm.assign(n_slots, -1);
  x_perm.assign(n_slots * a.hidden, 0.0f);
  std::vector<int32_t> count(a.n_experts, 0);  // (n_experts)
  for (int32_t e : topk_ids) {
    if (e >= 0 && e < a.n_experts) ++count[e];
  }
  for (int e = 0; e < a.n_experts; ++e) offsets[e + 1] = offsets[e] + count[e];
  std::vector<int32_t> next(offsets.begin(), offsets.end() - 1);  // (n_experts) next free row
  for (int64_t s = 0; s < n_slots; ++s) {  // flat slot order: the placement is stable
    const int32_t e = topk_ids[s];
    if (e < 0 || e >= a.n_experts) continue;
    const int32_t r = next[e]++;
    perm_to_slot[r] = static_cast<int32_t>(s);
    slot_to_perm[s] = r;
    const float* src = x.data() + (s / a.top_k) * a.ld_x;
    for (int64_t i = 0; i < a.hidden; ++i) x_perm[r * a.hidden + i] = src[i];
  }
}

void ref_moe_combine(const std::vector<float>& y_perm, const std::vector<int32_t>& slot_to_perm,
                     const std::vector<float>& weights, const MoeCombineArgs& a,
                     std::vector<float>& out) {
  const char* fn = "ref_moe_combine";
  const int64_t n_slots = a.n_tokens * a.top_k;
  ref_require(a.n_tokens >= 0 && a.top_k > 0 && a.hidden > 0 && a.ld_out >= a.hidden, fn,
              "need n_tokens >= 0, top_k > 0, hidden > 0, ld_out >= hidden");
  ref_require(static_cast<int64_t>(slot_to_perm.size()) == n_slots &&
                  static_cast<int64_t>(weights.size()) == n_slots &&
                  static_cast<int64_t>(y_perm.size()) == n_slots * a.hidden,
              fn, "slot_to_perm / weights / y_perm sizes do not match (n_tokens * top_k)");
  if (static_cast<int64_t>(out.size()) < a.n_tokens * a.ld_out) out.resize(a.n_tokens * a.ld_out);
  for (int64_t t = 0; t < a.n_tokens; ++t) {
    for (int64_t i = 0; i < a.hidden; ++i) {
      float acc = a.accumulate ? out[t * a.ld_out + i] : 0.0f;
      for (int j = 0; j < a.top_k; ++j) {
        const int32_t r = slot_to_perm[t * a.top_k + j];
        if (r < 0) continue;
        acc = std::fma(weights[t * a.top_k + j], y_perm[r * a.hidden + i], acc);
      }
      out[t * a.ld_out + i] = bf16_round(acc);
    }
  }
}

}  // namespace moebench
