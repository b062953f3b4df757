// The MoE router on the CPU: the f32 core the CPU engine runs (engine_cpu_moe.cpp moe_route) and
// the reference of cuda_moe_route the [gpu] tests compare against.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>

#include "kernels/reference.h"

namespace moebench {
namespace {

// Indices of the k largest of v (n values) into idx[0, k), largest first; exact ties prefer the
// lower index. `idx` is the caller's scratch (n entries), reused across tokens: the CPU engine
// routes every token of every MoE layer through here.
void ref_topk_desc(const float* v, int n, int k, std::vector<int>& idx) {
  idx.resize(n);
  std::iota(idx.begin(), idx.end(), 0);
  std::partial_sort(idx.begin(), idx.begin() + k, idx.end(),
                    [v](int a, int b) { return v[a] > v[b] || (v[a] == v[b] && a < b); });
}

// Drops the experts of all but the topk_group best groups: key = fill there. A group's score is its
// max key (softmax_group) or the sum of its top-2 keys (sigmoid_noaux_tc).
void ref_mask_groups(const MoeRouteArgs& a, float* key, float fill) {
  const int per = a.n_experts / a.n_group;
  std::vector<float> gscore(a.n_group);
  std::vector<int> top2, groups;
  for (int g = 0; g < a.n_group; ++g) {
    ref_topk_desc(key + g * per, per, std::min(per, 2), top2);
    gscore[g] = a.mode == MoeRouteMode::softmax_group
                    ? key[g * per + top2[0]]
                    : key[g * per + top2[0]] + key[g * per + top2[1]];
  }
  std::vector<bool> keep(a.n_group, false);
  ref_topk_desc(gscore.data(), a.n_group, a.topk_group, groups);
  for (int i = 0; i < a.topk_group; ++i) keep[groups[i]] = true;
  for (int e = 0; e < a.n_experts; ++e) {
    if (!keep[e / per]) key[e] = fill;
  }
}

void ref_check(const std::vector<float>& logits, const std::vector<float>& bias,
               const MoeRouteArgs& a) {
  const auto fail = [](const std::string& m) {
    throw std::invalid_argument("ref_moe_route: " + m);
  };
  if (a.n_experts <= 0 || a.top_k <= 0 || a.top_k > a.n_experts) {
    fail("need 0 < top_k (" + std::to_string(a.top_k) + ") <= n_experts (" +
         std::to_string(a.n_experts) + ")");
  }
  if (static_cast<int64_t>(logits.size()) != a.n_tokens * a.n_experts) {
    fail("logits has " + std::to_string(logits.size()) +
         " values, want n_tokens * n_experts = " + std::to_string(a.n_tokens * a.n_experts));
  }
  if (!bias.empty() && static_cast<int>(bias.size()) != a.n_experts) {
    fail("bias has " + std::to_string(bias.size()) + " values, want " +
         std::to_string(a.n_experts));
  }
  if (a.mode != MoeRouteMode::softmax_topk && (a.n_group <= 0 || a.n_experts % a.n_group != 0 ||
                                               a.topk_group <= 0 || a.topk_group > a.n_group)) {
    fail("n_group " + std::to_string(a.n_group) + " must divide n_experts " +
         std::to_string(a.n_experts) + " and be >= topk_group " + std::to_string(a.topk_group));
  }
  if (a.mode == MoeRouteMode::sigmoid_noaux_tc && a.n_experts / a.n_group < 2) {
    fail("sigmoid_noaux_tc needs >= 2 experts per group (group score = top-2 sum)");
  }
}

}  // namespace

void ref_moe_route_f32(const MoeRouteArgs& a) {
  const int E = a.n_experts, K = a.top_k;
  std::vector<float> key(E), wt(E);  // selection key and weight per expert
  std::vector<int> top;              // scratch of ref_topk_desc
  for (int64_t t = 0; t < a.n_tokens; ++t) {
    const float* lr = a.logits + t * E;
    if (a.mode == MoeRouteMode::sigmoid_noaux_tc) {
      for (int e = 0; e < E; ++e) {
        wt[e] = 1.0f / (1.0f + std::exp(-lr[e]));
        key[e] = wt[e] + (a.bias == nullptr ? 0.0f : a.bias[e]);
      }
      // NOTE: HF transformers 5.17 (modeling_deepseek_v3.py) masks the experts of dropped groups
      // with -inf, like the DeepSeek reference inference/model.py. Older transformers (4.x)
      // masked with 0.0, which can pick a dropped group's expert when biased scores are negative;
      // REFERENCE.md describes that older behaviour. We follow the 5.17 code we test parity
      // against.
      if (a.n_group > 1) ref_mask_groups(a, key.data(), -INFINITY);
    } else {
      float m = -INFINITY, sum = 0.0f;
      for (int e = 0; e < E; ++e) m = std::max(m, lr[e]);
      for (int e = 0; e < E; ++e) {
        key[e] = std::exp(lr[e] - m);
        sum += key[e];
      }
      for (int e = 0; e < E; ++e) key[e] /= sum;
      if (a.mode == MoeRouteMode::softmax_group && a.n_group > 1) {
        ref_mask_groups(a, key.data(), 0.0f);  // HF masked_fill(~mask, 0.0)
      }
      wt = key;
    }
    ref_topk_desc(key.data(), E, K, top);
    float* wr = a.topk_weights + t * K;
    for (int j = 0; j < K; ++j) {
      a.topk_ids[t * K + j] = top[j];
      wr[j] = wt[top[j]];
    }
    if (a.renormalize) {
      float sum = 0.0f;
      for (int j = 0; j < K; ++j) sum += wr[j];
      sum += a.renorm_eps;
      for (int j = 0; j < K; ++j) wr[j] /= sum;
    }
    for (int j = 0; j < K; ++j) wr[j] *= a.scaling;
  }
}

void ref_moe_route(const std::vector<float>& logits, const std::vector<float>& bias,
                   const MoeRouteArgs& a, std::vector<int32_t>& ids, std::vector<float>& weights) {
  ref_check(logits, bias, a);
  ids.assign(a.n_tokens * a.top_k, 0);         // (n_tokens, top_k)
  weights.assign(a.n_tokens * a.top_k, 0.0f);  // (n_tokens, top_k)
  MoeRouteArgs host = a;
  host.logits = logits.data();
  host.bias = bias.empty() ? nullptr : bias.data();
  host.topk_ids = ids.data();
  host.topk_weights = weights.data();
  ref_moe_route_f32(host);
}

}  // namespace moebench
