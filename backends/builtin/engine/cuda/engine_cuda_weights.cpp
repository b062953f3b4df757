// The CUDA engine's weight pack: one device allocation holding every tensor in bf16 (the router's
// score bias in f32), with same-input projections stacked, filled from safetensors (streamed one
// tensor at a time) or generated on the GPU for dummy-weight checkpoints.
#ifdef MOEBENCH_HAVE_CUDA

#include <cuda_runtime_api.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <thread>

#include "backends/builtin/checkpoint/model_weights.h"
#include "backends/builtin/checkpoint/random_init.h"
#include "backends/builtin/engine/cuda/engine_cuda_internal.h"
#include "common/error.h"
#include "kernels/cuda_check.h"
#include "kernels/random_init.h"

namespace moebench {

namespace {

constexpr size_t kAlign = 256;

// Where one checkpoint tensor lands in the pack: `count` values at byte `offset`.
struct Dest {
  size_t offset = 0;
  int64_t count = 0;
  bool f32 = false;
};

// Assigns byte offsets; pointers are resolved once the allocation exists.
class PackPlan {
 public:
  // A new region of `count` values; returns its byte offset.
  size_t region(int64_t count, bool f32 = false) {
    const size_t off = (bytes_ + kAlign - 1) / kAlign * kAlign;
    bytes_ = off + static_cast<size_t>(count) * (f32 ? 4 : 2);
    return off;
  }
  // Maps checkpoint tensor `name` (count values) to `offset` (inside a region).
  void map(const std::string& name, size_t offset, int64_t count, bool f32 = false) {
    dests_[name] = {offset, count, f32};
  }
  // A region holding exactly one tensor.
  size_t single(const std::string& name, int64_t count, bool f32 = false) {
    const size_t off = region(count, f32);
    map(name, off, count, f32);
    return off;
  }
  // A region stacking several tensors row-wise; returns its offset. Each part is (rows, in).
  size_t stack(const std::vector<std::pair<std::string, int64_t>>& parts, int64_t in) {
    int64_t rows = 0;
    for (const auto& p : parts) rows += p.second;
    const size_t off = region(rows * in);
    size_t at = off;
    for (const auto& p : parts) {
      if (!p.first.empty()) map(p.first, at, p.second * in);
      at += static_cast<size_t>(p.second * in) * 2;
    }
    return off;
  }
  const std::map<std::string, Dest>& dests() const { return dests_; }
  size_t bytes() const { return bytes_; }

 private:
  size_t bytes_ = 0;
  std::map<std::string, Dest> dests_;
};

// Offsets of one layer's pieces (SIZE_MAX = absent).
constexpr size_t kNone = SIZE_MAX;
struct LinearPlan {
  size_t w = kNone, b = kNone;
  int64_t out = 0, in = 0;
};
struct LayerPlan {
  size_t input_norm = kNone, post_norm = kNone, q_norm = kNone, k_norm = kNone;
  size_t q_a_norm = kNone, kv_a_norm = kNone, score_bias = kNone;
  size_t experts_gu = kNone, experts_down = kNone;
  LinearPlan qkv, q_kva, q_b, kv_b, o, dense_gu, dense_down, router, shared_gu, shared_down,
      shared_gate;
  bool moe = false, has_shared = false;
};

std::string mlp_name(const std::string& p, const char* which, bool mixtral) {
  if (!mixtral) return p + "." + which + "_proj.weight";
  const std::string w = which == std::string("gate") ? "w1"
                        : which == std::string("up") ? "w3"
                                                     : "w2";
  return p + "." + w + ".weight";
}

// SwiGLU weights under `p`: gate|up stacked (2 width, hidden) and down (hidden, width).
void plan_mlp(PackPlan& plan, const std::string& p, int64_t hidden, int64_t width, bool mixtral,
              LinearPlan& gu, LinearPlan& down) {
  gu.w = plan.stack({{mlp_name(p, "gate", mixtral), width}, {mlp_name(p, "up", mixtral), width}},
                    hidden);
  gu.out = 2 * width;
  gu.in = hidden;
  down.w = plan.single(mlp_name(p, "down", mixtral), hidden * width);
  down.out = hidden;
  down.in = width;
}

void plan_attention(PackPlan& plan, const ModelConfig& c, const std::string& p, LayerPlan& L) {
  const int64_t H = c.hidden_size, nh = c.num_heads;
  if (c.mla) {
    const int64_t dk = c.qk_nope_head_dim + c.qk_rope_head_dim;
    const int64_t kva = c.kv_lora_rank + c.qk_rope_head_dim;
    const bool lora = c.q_lora_rank > 0;
    const int64_t q_rows = lora ? c.q_lora_rank : nh * dk;
    const std::string q_name = p + (lora ? "q_a_proj" : "q_proj");
    L.q_kva.w =
        plan.stack({{q_name + ".weight", q_rows}, {p + "kv_a_proj_with_mqa.weight", kva}}, H);
    L.q_kva.out = q_rows + kva;
    L.q_kva.in = H;
    if (c.qkv_bias) {  // HF: biases on q_a_proj and kv_a_proj_with_mqa only
      L.q_kva.b = plan.region(q_rows + kva);
      if (lora) plan.map(q_name + ".bias", L.q_kva.b, q_rows);
      plan.map(p + "kv_a_proj_with_mqa.bias", L.q_kva.b + q_rows * 2, kva);
    }
    if (lora) {
      L.q_a_norm = plan.single(p + "q_a_layernorm.weight", c.q_lora_rank);
      L.q_b = {plan.single(p + "q_b_proj.weight", nh * dk * c.q_lora_rank), kNone, nh * dk,
               c.q_lora_rank};
    }
    L.kv_a_norm = plan.single(p + "kv_a_layernorm.weight", c.kv_lora_rank);
    const int64_t kvb_out = nh * (c.qk_nope_head_dim + c.v_head_dim);
    L.kv_b = {plan.single(p + "kv_b_proj.weight", kvb_out * c.kv_lora_rank), kNone, kvb_out,
              c.kv_lora_rank};
    L.o = {plan.single(p + "o_proj.weight", H * nh * c.v_head_dim), kNone, H, nh * c.v_head_dim};
  } else {
    const int64_t q = nh * c.head_dim, kv = int64_t{c.num_kv_heads} * c.head_dim;
    L.qkv.w = plan.stack(
        {{p + "q_proj.weight", q}, {p + "k_proj.weight", kv}, {p + "v_proj.weight", kv}}, H);
    L.qkv.out = q + 2 * kv;
    L.qkv.in = H;
    if (c.qkv_bias) {
      L.qkv.b = plan.region(q + 2 * kv);
      plan.map(p + "q_proj.bias", L.qkv.b, q);
      plan.map(p + "k_proj.bias", L.qkv.b + q * 2, kv);
      plan.map(p + "v_proj.bias", L.qkv.b + (q + kv) * 2, kv);
    }
    if (c.qk_norm == ModelConfig::QkNorm::per_head) {
      L.q_norm = plan.single(p + "q_norm.weight", c.head_dim);
      L.k_norm = plan.single(p + "k_norm.weight", c.head_dim);
    } else if (c.qk_norm == ModelConfig::QkNorm::full) {
      L.q_norm = plan.single(p + "q_norm.weight", q);
      L.k_norm = plan.single(p + "k_norm.weight", kv);
    }
    L.o = {plan.single(p + "o_proj.weight", H * q), kNone, H, q};
  }
  if (c.o_bias) L.o.b = plan.single(p + "o_proj.bias", H);
}

void plan_moe(PackPlan& plan, const ModelConfig& c, const std::string& layer, LayerPlan& L) {
  const int64_t H = c.hidden_size, E = c.n_routed_experts, I = c.moe_intermediate_size;
  const bool mixtral = c.family == ModelFamily::mixtral;
  const std::string p = layer + (mixtral ? "block_sparse_moe." : "mlp.");
  L.router = {plan.single(p + "gate.weight", E * H), kNone, E, H};
  if (c.router == MoeRouteMode::sigmoid_noaux_tc) {
    L.score_bias = plan.single(p + "gate.e_score_correction_bias", E, true);
  }
  L.experts_gu = plan.region(E * 2 * I * H);
  L.experts_down = plan.region(E * H * I);
  for (int64_t e = 0; e < E; ++e) {
    const std::string q = p + "experts." + std::to_string(e);
    const size_t gu = L.experts_gu + static_cast<size_t>(e * 2 * I * H) * 2;
    plan.map(mlp_name(q, "gate", mixtral), gu, I * H);
    plan.map(mlp_name(q, "up", mixtral), gu + static_cast<size_t>(I * H) * 2, I * H);
    plan.map(mlp_name(q, "down", mixtral), L.experts_down + static_cast<size_t>(e * H * I) * 2,
             H * I);
  }
  if (c.family == ModelFamily::qwen2_moe) {
    L.has_shared = true;
    plan_mlp(plan, p + "shared_expert", H, c.shared_expert_intermediate_size, false, L.shared_gu,
             L.shared_down);
    L.shared_gate = {plan.single(p + "shared_expert_gate.weight", H), kNone, 1, H};
  } else if (c.mla && c.n_shared_experts > 0) {
    L.has_shared = true;
    plan_mlp(plan, p + "shared_experts", H, int64_t{c.n_shared_experts} * I, false, L.shared_gu,
             L.shared_down);
  }
}

template <typename T>
const T* at(const DeviceBuffer<uint8_t>& mem, size_t off) {
  return off == kNone ? nullptr : reinterpret_cast<const T*>(mem.data() + off);
}

DevLinear bind(const DeviceBuffer<uint8_t>& mem, const LinearPlan& p) {
  return {at<bf16_bits>(mem, p.w), at<bf16_bits>(mem, p.b), p.out, p.in};
}

// Fills the pack from a safetensors checkpoint: each tensor streamed in f32, rounded to bf16 on
// the host (in parallel) and copied to its place.
void fill_from_checkpoint(const ModelConfig& config, const std::filesystem::path& dir,
                          const PackPlan& plan, DeviceBuffer<uint8_t>& mem) {
  std::vector<uint16_t> staging;
  model_weights_for_each(dir, config, [&](const TensorSpec& spec, const float* data) {
    auto it = plan.dests().find(spec.name);
    if (it == plan.dests().end()) {
      throw input_error(dir.string(), "tensor '" + spec.name + "' has no place in the CUDA engine");
    }
    const Dest& d = it->second;
    int64_t n = 1;
    for (int64_t s : spec.shape) n *= s;
    if (n != d.count) {
      throw input_error(dir.string(), "tensor '" + spec.name + "' has " + std::to_string(n) +
                                          " values, the engine expects " + std::to_string(d.count));
    }
    if (d.f32) {
      CUDA_CHECK(cudaMemcpy(mem.data() + d.offset, data, n * 4, cudaMemcpyHostToDevice));
      return;
    }
    staging.resize(n);
    const int threads =
        std::clamp<int>(static_cast<int>(std::thread::hardware_concurrency()), 1, 16);
    const int64_t per = (n + threads - 1) / threads;
    std::vector<std::thread> pool;
    for (int t = 0; t < threads && t * per < n; ++t) {
      pool.emplace_back([&, t] {
        const int64_t e = std::min(n, (t + 1) * per);
        for (int64_t i = t * per; i < e; ++i) staging[i] = f32_to_bf16(data[i]);
      });
    }
    for (auto& th : pool) th.join();
    CUDA_CHECK(cudaMemcpy(mem.data() + d.offset, staging.data(), n * 2, cudaMemcpyHostToDevice));
  });
}

// Fills the pack for a dummy-weight checkpoint: the same values `model init` would write,
// generated on the GPU (vectors on the host).
void fill_dummy(const ModelConfig& config, const DummyWeights& dummy, const PackPlan& plan,
                DeviceBuffer<uint8_t>& mem) {
  for (const TensorSpec& spec : model_tensor_specs(config)) {
    const Dest& d = plan.dests().at(spec.name);
    const InitKind kind = init_kind(spec.name);
    const uint64_t key = init_tensor_key(dummy.seed, spec.name);
    if (spec.shape.size() == 1 || d.f32) {
      std::vector<float> v(d.count);
      fill_parallel(kind, key, dummy.std, 0, d.count, v.data());
      if (d.f32) {
        CUDA_CHECK(
            cudaMemcpy(mem.data() + d.offset, v.data(), d.count * 4, cudaMemcpyHostToDevice));
      } else {
        std::vector<uint16_t> h(d.count);
        for (int64_t i = 0; i < d.count; ++i) h[i] = f32_to_bf16(v[i]);
        CUDA_CHECK(
            cudaMemcpy(mem.data() + d.offset, h.data(), d.count * 2, cudaMemcpyHostToDevice));
      }
      continue;
    }
    cuda_random_init(reinterpret_cast<bf16_bits*>(mem.data() + d.offset), d.count,
                     static_cast<int>(kind), key, static_cast<float>(dummy.std), nullptr);
  }
  CUDA_CHECK(cudaDeviceSynchronize());
}

}  // namespace

DevModel dev_model_load(const ModelConfig& c, const std::filesystem::path& dir) {
  PackPlan plan;
  const int64_t H = c.hidden_size;
  const size_t embed = plan.single("model.embed_tokens.weight", int64_t{c.vocab_size} * H);
  const size_t final_norm = plan.single("model.norm.weight", H);
  const size_t lm_head =
      c.tie_word_embeddings ? embed : plan.single("lm_head.weight", int64_t{c.vocab_size} * H);
  std::vector<LayerPlan> layers(c.num_layers);
  for (int l = 0; l < c.num_layers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    LayerPlan& L = layers[l];
    L.input_norm = plan.single(p + "input_layernorm.weight", H);
    L.post_norm = plan.single(p + "post_attention_layernorm.weight", H);
    plan_attention(plan, c, p + "self_attn.", L);
    L.moe = l < static_cast<int>(c.moe_layer.size()) && c.moe_layer[l];
    if (L.moe) {
      plan_moe(plan, c, p, L);
    } else {
      plan_mlp(plan, p + "mlp", H, c.intermediate_size, false, L.dense_gu, L.dense_down);
    }
  }
  for (const TensorSpec& s : model_tensor_specs(c)) {
    if (!plan.dests().count(s.name)) {
      throw InputError("CUDA engine: no place for tensor '" + s.name + "' of " +
                       model_family_name(c.family));
    }
  }

  DevModel m;
  m.bytes = plan.bytes();
  size_t free_b = 0, total_b = 0;
  CUDA_CHECK(cudaMemGetInfo(&free_b, &total_b));
  if (m.bytes > free_b) {
    throw input_error(dir.string(), "the weights need " + std::to_string(m.bytes >> 20) +
                                        " MiB in bf16 but the GPU has " +
                                        std::to_string(free_b >> 20) + " MiB free");
  }
  m.memory = DeviceBuffer<uint8_t>(m.bytes);
  CUDA_CHECK(cudaMemset(m.memory.data(), 0, m.bytes));  // stacked biases may have absent parts
  if (const auto dummy = dummy_weights_read(dir)) {
    fill_dummy(c, *dummy, plan, m.memory);
  } else {
    fill_from_checkpoint(c, dir, plan, m.memory);
  }

  m.embed = at<bf16_bits>(m.memory, embed);
  m.final_norm = at<bf16_bits>(m.memory, final_norm);
  m.lm_head = {at<bf16_bits>(m.memory, lm_head), nullptr, c.vocab_size, H};
  m.layers.resize(c.num_layers);
  for (int l = 0; l < c.num_layers; ++l) {
    const LayerPlan& P = layers[l];
    DevLayer& L = m.layers[l];
    L.input_norm = at<bf16_bits>(m.memory, P.input_norm);
    L.post_norm = at<bf16_bits>(m.memory, P.post_norm);
    L.qkv = bind(m.memory, P.qkv);
    L.q_norm = at<bf16_bits>(m.memory, P.q_norm);
    L.k_norm = at<bf16_bits>(m.memory, P.k_norm);
    L.q_kva = bind(m.memory, P.q_kva);
    L.q_a_norm = at<bf16_bits>(m.memory, P.q_a_norm);
    L.q_b = bind(m.memory, P.q_b);
    L.kv_a_norm = at<bf16_bits>(m.memory, P.kv_a_norm);
    L.kv_b = bind(m.memory, P.kv_b);
    L.o = bind(m.memory, P.o);
    L.moe = P.moe;
    L.dense_gu = bind(m.memory, P.dense_gu);
    L.dense_down = bind(m.memory, P.dense_down);
    L.router = bind(m.memory, P.router);
    L.score_bias = at<float>(m.memory, P.score_bias);
    L.experts_gu = at<bf16_bits>(m.memory, P.experts_gu);
    L.experts_down = at<bf16_bits>(m.memory, P.experts_down);
    L.has_shared = P.has_shared;
    L.shared_gu = bind(m.memory, P.shared_gu);
    L.shared_down = bind(m.memory, P.shared_down);
    L.shared_gate = bind(m.memory, P.shared_gate);
  }
  return m;
}

}  // namespace moebench

#endif  // MOEBENCH_HAVE_CUDA
