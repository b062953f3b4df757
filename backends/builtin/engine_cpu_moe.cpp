// MoE of the CPU engine: the routers of every family (HF transformers 5.17 semantics) and the
// experts, each run as one product per expert over the rows routed to it.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>

#include "backends/builtin/engine_cpu_layers.h"
#include "common/error.h"

namespace moebench {

RouterSpec moe_router_spec(const ModelConfig& config) {
  RouterSpec s;
  s.n_experts = config.n_routed_experts;
  s.top_k = config.num_experts_per_tok;
  s.n_group = std::max(config.n_group, 1);
  s.topk_group = std::max(config.topk_group, 1);
  const std::string where = std::string("router (") + model_family_name(config.family) + ")";
  switch (config.family) {
    case ModelFamily::mixtral:  // MixtralTopKRouter always renormalizes
      s.kind = RouterKind::softmax_topk;
      s.renormalize = true;
      break;
    case ModelFamily::qwen2_moe:
    case ModelFamily::qwen3_moe:
    case ModelFamily::olmoe:
      s.kind = RouterKind::softmax_topk;
      s.renormalize = config.norm_topk_prob;
      break;
    case ModelFamily::deepseek_v2:
      // NOTE: HF DeepseekV2TopkRouter never renormalizes (norm_topk_prob is read by the config
      // but unused by the router); it always multiplies by routed_scaling_factor.
      if (config.router == RouterKind::sigmoid_noaux_tc) {
        throw input_error(where, "deepseek_v2 supports topk_method greedy or group_limited_greedy");
      }
      s.kind = config.router;
      s.scaling = static_cast<float>(config.routed_scaling_factor);
      break;
    case ModelFamily::deepseek_v3:
      // HF DeepseekV3TopkRouter is always sigmoid + noaux_tc, whatever topk_method says.
      s.kind = RouterKind::sigmoid_noaux_tc;
      s.renormalize = config.norm_topk_prob;
      s.renorm_eps = 1e-20f;
      s.scaling = static_cast<float>(config.routed_scaling_factor);
      break;
  }
  if (s.n_experts <= 0 || s.top_k <= 0 || s.top_k > s.n_experts) {
    throw input_error(where, "need 0 < num_experts_per_tok (" + std::to_string(s.top_k) +
                                 ") <= n_routed_experts (" + std::to_string(s.n_experts) + ")");
  }
  if (s.kind != RouterKind::softmax_topk) {
    if (s.n_experts % s.n_group != 0 || s.topk_group > s.n_group) {
      throw input_error(where, "n_group " + std::to_string(s.n_group) + " must divide " +
                                   std::to_string(s.n_experts) + " experts and be >= topk_group " +
                                   std::to_string(s.topk_group));
    }
    if (s.kind == RouterKind::sigmoid_noaux_tc && s.n_experts / s.n_group < 2) {
      throw input_error(where, "noaux_tc needs >= 2 experts per group (group score = top-2 sum)");
    }
  }
  return s;
}

namespace {

// Indices of the k largest values, largest first. NOTE: exact ties prefer the lower index;
// torch.topk does not document its tie order, this is its usual CPU behaviour.
void topk_desc(const float* v, int n, int k, int* out) {
  int idx[4096];
  if (n > 4096) throw std::logic_error("topk_desc: n > 4096");
  std::iota(idx, idx + n, 0);
  std::partial_sort(idx, idx + k, idx + n,
                    [v](int a, int b) { return v[a] > v[b] || (v[a] == v[b] && a < b); });
  std::copy(idx, idx + k, out);
}

// Keeps the topk_group best groups by group_score (n_group values); returns a per-expert mask.
void keep_groups(const RouterSpec& s, const float* group_score, bool* keep_expert) {
  int gidx[512];
  if (s.n_group > 512) throw std::logic_error("keep_groups: n_group > 512");
  topk_desc(group_score, s.n_group, s.topk_group, gidx);
  const int per = s.n_experts / s.n_group;
  std::fill(keep_expert, keep_expert + s.n_experts, false);
  for (int g = 0; g < s.topk_group; ++g) {
    std::fill(keep_expert + gidx[g] * per, keep_expert + (gidx[g] + 1) * per, true);
  }
}

// DeepSeek-V2 group_limited_greedy on softmax probs: group score = max; others masked to 0.0.
void route_softmax_group(const RouterSpec& s, float* probs, int* idx, float* w) {
  const int per = s.n_experts / s.n_group;
  float gscore[512];
  bool keep[4096];
  for (int g = 0; g < s.n_group; ++g) {
    gscore[g] = *std::max_element(probs + g * per, probs + (g + 1) * per);
  }
  keep_groups(s, gscore, keep);
  for (int e = 0; e < s.n_experts; ++e) {
    if (!keep[e]) probs[e] = 0.0f;  // HF masked_fill(~mask, 0.0)
  }
  topk_desc(probs, s.n_experts, s.top_k, idx);
  for (int j = 0; j < s.top_k; ++j) w[j] = probs[idx[j]];
}

// DeepSeek-V3 noaux_tc: sigmoid scores; selection on score + bias with group-limited top-k;
// weights from the unbiased scores.
void route_sigmoid_noaux(const RouterSpec& s, const float* logits, const float* bias, int* idx,
                         float* w) {
  const int per = s.n_experts / s.n_group;
  float score[4096], choice[4096], gscore[512];
  bool keep[4096];
  for (int e = 0; e < s.n_experts; ++e) {
    score[e] = 1.0f / (1.0f + std::exp(-logits[e]));
    choice[e] = score[e] + (bias != nullptr ? bias[e] : 0.0f);
  }
  for (int g = 0; g < s.n_group; ++g) {
    int top2[2];
    topk_desc(choice + g * per, per, 2, top2);
    gscore[g] = choice[g * per + top2[0]] + choice[g * per + top2[1]];
  }
  keep_groups(s, gscore, keep);
  // NOTE: HF transformers 5.17 (modeling_deepseek_v3.py) masks the experts of dropped groups
  // with -inf, like the DeepSeek reference inference/model.py. Older transformers (4.x) masked
  // with 0.0, which can pick a dropped group's expert when biased scores are negative; REFERENCE.md
  // describes that older behaviour. We follow the 5.17 code we test parity against.
  for (int e = 0; e < s.n_experts; ++e) {
    if (!keep[e]) choice[e] = -INFINITY;
  }
  topk_desc(choice, s.n_experts, s.top_k, idx);
  for (int j = 0; j < s.top_k; ++j) w[j] = score[idx[j]];
}

}  // namespace

void moe_route(const RouterSpec& s, const float* logits, int rows, const float* bias, int* idx,
               float* w) {
  if (s.n_experts > 4096) {
    throw std::invalid_argument("moe_route: n_experts " + std::to_string(s.n_experts) + " > 4096");
  }
  float probs[4096];
  for (int r = 0; r < rows; ++r) {
    const float* lr = logits + static_cast<int64_t>(r) * s.n_experts;
    int* ir = idx + static_cast<int64_t>(r) * s.top_k;
    float* wr = w + static_cast<int64_t>(r) * s.top_k;
    if (s.kind == RouterKind::sigmoid_noaux_tc) {
      route_sigmoid_noaux(s, lr, bias, ir, wr);
    } else {
      std::copy(lr, lr + s.n_experts, probs);
      ops_softmax(probs, s.n_experts);
      if (s.kind == RouterKind::softmax_group) {
        route_softmax_group(s, probs, ir, wr);
      } else {
        topk_desc(probs, s.n_experts, s.top_k, ir);
        for (int j = 0; j < s.top_k; ++j) wr[j] = probs[ir[j]];
      }
    }
    if (s.renormalize) {
      float sum = 0.0f;
      for (int j = 0; j < s.top_k; ++j) sum += wr[j];
      sum += s.renorm_eps;
      for (int j = 0; j < s.top_k; ++j) wr[j] /= sum;
    }
    if (s.scaling != 1.0f) {
      for (int j = 0; j < s.top_k; ++j) wr[j] *= s.scaling;
    }
  }
}

void mlp_forward(const MlpWeights& m, const float* x, int rows, float* y) {
  const int inter = m.gate.out;
  std::vector<float> g(static_cast<size_t>(rows) * inter);  // (rows, inter)
  std::vector<float> u(g.size());                           // (rows, inter)
  ops_linear(x, rows, m.gate, g.data());
  ops_linear(x, rows, m.up, u.data());
  ops_silu_mul(g.data(), u.data(), static_cast<int64_t>(g.size()));
  ops_linear(g.data(), rows, m.down, y);
}

void moe_forward(const RouterSpec& spec, const MoeWeights& m, const float* x, int rows, int hidden,
                 float* y) {
  const int E = spec.n_experts, K = spec.top_k;
  std::vector<float> logits(static_cast<size_t>(rows) * E);  // (rows, E)
  ops_linear(x, rows, m.router, logits.data());
  std::vector<int> idx(static_cast<size_t>(rows) * K);  // (rows, K)
  std::vector<float> w(idx.size());                     // (rows, K)
  moe_route(spec, logits.data(), rows, m.score_bias, idx.data(), w.data());

  // Rows routed to each expert, in row order (each expert appears at most once per row).
  std::vector<std::vector<std::pair<int, float>>> routed(E);
  for (int r = 0; r < rows; ++r) {
    for (int j = 0; j < K; ++j) routed[idx[r * K + j]].push_back({r, w[r * K + j]});
  }
  std::fill(y, y + static_cast<int64_t>(rows) * hidden, 0.0f);
  std::vector<float> xe, ye;
  // Experts in ascending order, like HF's expert_hit loop + index_add_, so the per-row sums
  // happen in the same order.
  for (int e = 0; e < E; ++e) {
    const auto& list = routed[e];
    if (list.empty()) continue;
    const int n = static_cast<int>(list.size());
    xe.resize(static_cast<size_t>(n) * hidden);  // (n, hidden) gathered rows
    ye.resize(xe.size());                        // (n, hidden)
    for (int i = 0; i < n; ++i) {
      std::copy_n(x + static_cast<int64_t>(list[i].first) * hidden, hidden, xe.data() + i * hidden);
    }
    mlp_forward(m.experts[e], xe.data(), n, ye.data());
    for (int i = 0; i < n; ++i) {
      float* yr = y + static_cast<int64_t>(list[i].first) * hidden;
      const float* er = ye.data() + static_cast<int64_t>(i) * hidden;
      for (int h = 0; h < hidden; ++h) yr[h] += er[h] * list[i].second;
    }
  }
  if (!m.has_shared) return;
  std::vector<float> shared(static_cast<size_t>(rows) * hidden);  // (rows, hidden)
  mlp_forward(m.shared, x, rows, shared.data());
  std::vector<float> gate(rows);  // (rows, 1) qwen2_moe shared_expert_gate
  if (m.shared_gate.w != nullptr) {
    ops_linear(x, rows, m.shared_gate, gate.data());
    for (float& g : gate) g = 1.0f / (1.0f + std::exp(-g));
  }
  for (int r = 0; r < rows; ++r) {
    float* yr = y + static_cast<int64_t>(r) * hidden;
    const float* sr = shared.data() + static_cast<int64_t>(r) * hidden;
    if (m.shared_gate.w != nullptr) {
      for (int h = 0; h < hidden; ++h) yr[h] += gate[r] * sr[h];
    } else {
      for (int h = 0; h < hidden; ++h) yr[h] += sr[h];
    }
  }
}

}  // namespace moebench
