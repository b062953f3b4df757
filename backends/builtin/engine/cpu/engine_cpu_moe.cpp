// MoE of the CPU engine: the router (the f32 core of kernels/moe_route_ref.cpp, HF
// transformers 5.17 semantics) and the experts, each run as one product per expert over the rows
// routed to it.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>

#include "backends/builtin/engine/cpu/engine_cpu_layers.h"
#include "common/error.h"
#include "kernels/reference.h"

namespace moebench {

void moe_route(const RouterSpec& s, const float* logits, int rows, const float* bias, int* idx,
               float* w) {
  if (s.n_experts > 4096) {
    throw std::invalid_argument("moe_route: n_experts " + std::to_string(s.n_experts) + " > 4096");
  }
  MoeRouteArgs a = moe_route_args(s);
  a.logits = logits;
  a.bias = bias;
  a.topk_ids = idx;
  a.topk_weights = w;
  a.n_tokens = rows;
  ref_moe_route_f32(a);
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
