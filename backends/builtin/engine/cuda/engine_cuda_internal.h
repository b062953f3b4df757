// Internal pieces of the CUDA engine: the bf16 weight pack (one device allocation, per-layer
// pointers into it), the activation workspaces and the per-forward batch description.
// CUDA builds only.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "backends/builtin/checkpoint/model_config.h"
#include "kernels/bf16.h"
#include "kernels/device_buffer.h"

namespace moebench {

// A Linear layer in the pack: y = x · wᵀ (+ b), w (out, in) bf16.
struct DevLinear {
  const bf16_bits* w = nullptr;
  const bf16_bits* b = nullptr;  // (out) or null
  int64_t out = 0;
  int64_t in = 0;
};

// One layer's weights. Projections that read the same input are stacked into one matrix so one
// GEMM serves them: GQA q|k|v, MLA q (or q_a)|kv_a, every SwiGLU's gate|up.
struct DevLayer {
  const bf16_bits* input_norm = nullptr;  // (hidden)
  const bf16_bits* post_norm = nullptr;   // (hidden)
  DevLinear qkv;                          // GQA: (q + 2 kv, hidden)
  const bf16_bits* q_norm = nullptr;      // qwen3 (head_dim) / olmoe (q dim)
  const bf16_bits* k_norm = nullptr;      // qwen3 (head_dim) / olmoe (kv dim)
  DevLinear q_kva;                        // MLA: (q_or_q_lora + kv_lora + rope, hidden)
  const bf16_bits* q_a_norm = nullptr;    // (q_lora)
  DevLinear q_b;                          // (heads * qk_head_dim, q_lora)
  const bf16_bits* kv_a_norm = nullptr;   // (kv_lora)
  DevLinear kv_b;                         // (heads * (nope + v), kv_lora)
  DevLinear o;                            // (hidden, heads * v)
  bool moe = false;
  DevLinear dense_gu, dense_down;           // (2 I, hidden), (hidden, I)
  DevLinear router;                         // (experts, hidden)
  const float* score_bias = nullptr;        // (experts) deepseek_v3, f32
  const bf16_bits* experts_gu = nullptr;    // (experts, 2 I, hidden)
  const bf16_bits* experts_down = nullptr;  // (experts, hidden, I)
  bool has_shared = false;
  DevLinear shared_gu, shared_down;  // (2 S, hidden), (hidden, S)
  DevLinear shared_gate;             // qwen2_moe (1, hidden)
};

struct DevModel {
  DeviceBuffer<uint8_t> memory;  // every weight, one allocation
  const bf16_bits* embed = nullptr;
  const bf16_bits* final_norm = nullptr;
  DevLinear lm_head;
  std::vector<DevLayer> layers;
  size_t bytes = 0;
};

// Packs the checkpoint in dir (safetensors or dummy_weights.json) into one bf16 allocation.
DevModel dev_model_load(const ModelConfig& config, const std::filesystem::path& dir);

// Activation scratch, sized once for the largest step (CudaEngineOptions::max_step_tokens).
struct Workspace {
  int64_t max_tokens = 0;      // rows of x / h / y
  int64_t max_gather = 0;      // key rows one prefill group may gather
  int64_t max_logit_rows = 0;  // rows of one lm_head block
  DeviceBuffer<uint8_t> memory;
  // (T, hidden): x the residual stream, in f32 as the CPU reference keeps it (a bf16 stream
  // rounds every layer's add); h the normed input of a layer's part; y its output.
  float* x = nullptr;
  bf16_bits *h = nullptr, *y = nullptr;
  bf16_bits* proj = nullptr;  // (T, first projection width)
  bf16_bits* q = nullptr;     // (T, heads * qk dim) MLA q_b output
  // (max_batch, heads, kv_lora + rope) absorbed MLA queries, (max_batch, heads, kv_lora) their
  // attention output: decode rows only (layout_step caps them at max_batch).
  bf16_bits* qcat = nullptr;
  bf16_bits* olat = nullptr;
  bf16_bits* attn = nullptr;                   // (T, heads * v) attention output before o_proj
  bf16_bits *gk = nullptr, *gv = nullptr;      // gathered keys / values (max_gather rows)
  bf16_bits *kvb = nullptr, *kfull = nullptr;  // MLA prefill: kv_b expansion, full keys
  bf16_bits *gu = nullptr, *act = nullptr;     // dense / shared SwiGLU (T, 2 I), (T, I)
  // (T, hidden) MoE layers: what h's bf16 rounding lost (bf16(norm - h)), so the router and the
  // shared gate see the f32 norm as h + h_lo (two bf16 GEMMs), as the CPU reference does.
  bf16_bits* h_lo = nullptr;
  float* router_logits = nullptr;  // (T, experts)
  int32_t* topk_ids = nullptr;     // (T, top_k)
  float* topk_w = nullptr;         // (T, top_k)
  int32_t *offsets = nullptr, *perm_to_slot = nullptr, *slot_to_perm = nullptr;
  bf16_bits *x_perm = nullptr, *gu_perm = nullptr, *act_perm = nullptr, *y_perm = nullptr;
  void* permute_ws = nullptr;
  float* gate = nullptr;  // (T) qwen2_moe shared gate logits
  void* decode_ws = nullptr;
  size_t decode_ws_bytes = 0;
  int32_t* decode_counters = nullptr;  // fused decode attention's merge counters (zeroed)
  int32_t* route_counter = nullptr;    // fused decode routing's last-block counter (zeroed)
  bf16_bits* hf = nullptr;             // (max_logit_rows, hidden) final-normed output rows
  float* logits = nullptr;             // (max_logit_rows, vocab)
  int32_t* sampled = nullptr;          // (max_logit_rows) drawn ids
  int32_t* non_finite = nullptr;       // (max_logit_rows) 1 where the row's logits were not finite
  uint64_t* argmax = nullptr;  // (max_logit_rows) the fused logits GEMV's greedy picks (zeroed)
};

// The sizes a workspace is laid out for.
struct WorkspaceShape {
  int64_t max_tokens = 0;      // rows of one step
  int64_t max_gather = 0;      // key rows one prefill group may gather
  int64_t max_logit_rows = 0;  // rows of one lm_head block
  int max_batch = 0;           // decode rows of one step
  int top_k = 1;
  int n_experts = 0;  // 0: no MoE layer
  // Routed rows the experts gather into x_perm and stage as [gate | up] rows in gu_perm: every
  // step's (max_tokens * top_k) unless the kernel set never needs them (kernels=wgmma).
  int64_t gathered_rows = 0, staged_rows = 0;
  int64_t decode_seq_len = 0;  // longest sequence decode attention may see
  int page_size = 0;
};

// Allocates ws as one device buffer laid out for shape and the model's widths.
void workspace_allocate(const ModelConfig& config, const DevModel& model,
                        const WorkspaceShape& shape, Workspace& ws);

// Device views of one step's metadata (all inside the engine's metadata buffer).
struct StepGroup {   // prefill chunks attended together
  int64_t row0 = 0;  // first row of the group
  int64_t rows = 0;  // its query rows
  int64_t keys = 0;  // its key rows (cached + new)
  int max_q = 0;
  int first_chunk = 0;  // index into seq_lens / block table rows
  int n_chunks = 0;
  int order_at = 0;  // index of its first piece in the step's row order
  int cu_at = 0;     // index of its cu_q / cu_k arrays (n_chunks + 1 each) in the metadata
  const int32_t* cu_q = nullptr;
  const int32_t* cu_k = nullptr;
};
struct StepView {
  int64_t rows = 0;     // T
  int n_decode = 0;     // rows [0, n_decode) are single-token decode chunks, one per sequence
  int table_width = 0;  // block table row length (pages)
  const int32_t* tokens = nullptr;
  const int32_t* positions = nullptr;
  const int32_t* slots = nullptr;
  const int32_t* seq_lens = nullptr;     // per chunk (reordered), after the append
  const int32_t* block_table = nullptr;  // (chunks, table_width)
  std::vector<StepGroup> groups;
};

}  // namespace moebench
