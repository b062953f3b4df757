// The CUDA engine's activation workspace: every scratch array of the largest step carved out of
// one device allocation. CUDA builds only.
#ifdef MOEBENCH_HAVE_CUDA

#include <algorithm>

#include "backends/builtin/engine/cuda/engine_cuda_internal.h"
#include "kernels/attention.h"
#include "kernels/cuda_check.h"
#include "kernels/moe_permute.h"

namespace moebench {

namespace {

// Hands out 256-byte-aligned arrays: sizes only while base is null (the first pass), pointers
// into base on the second.
class Carver {
 public:
  explicit Carver(uint8_t* base) : base_(base) {}
  template <typename T>
  T* take(int64_t count) {
    const size_t off = (bytes_ + 255) / 256 * 256;
    bytes_ = off + static_cast<size_t>(count) * sizeof(T);
    return base_ == nullptr ? nullptr : reinterpret_cast<T*>(base_ + off);
  }
  size_t bytes() const { return bytes_; }

 private:
  uint8_t* base_;
  size_t bytes_ = 0;
};

void carve(const ModelConfig& c, const DevModel& m, const WorkspaceShape& s, Workspace& ws,
           Carver& cv) {
  const int64_t T = s.max_tokens, G = s.max_gather, H = c.hidden_size, nh = c.num_heads;
  const int64_t lat = c.kv_lora_rank + c.qk_rope_head_dim;
  const int64_t dk = c.mla ? c.qk_nope_head_dim + c.qk_rope_head_dim : c.head_dim;
  const int64_t dv = c.mla ? c.v_head_dim : c.head_dim;
  const int64_t kv_row = c.mla ? lat : int64_t{c.num_kv_heads} * c.head_dim;
  int64_t proj = 0, mlp_w = 0;
  for (const DevLayer& L : m.layers) {
    proj = std::max({proj, L.qkv.out, L.q_kva.out});
    mlp_w = std::max({mlp_w, L.dense_gu.out, L.shared_gu.out});
  }
  ws.x = cv.take<float>(T * H);
  ws.h = cv.take<bf16_bits>(T * H);
  ws.y = cv.take<bf16_bits>(T * H);
  ws.proj = cv.take<bf16_bits>(T * proj);
  ws.attn = cv.take<bf16_bits>(T * nh * dv);
  ws.gk = cv.take<bf16_bits>(G * kv_row);
  ws.gu = cv.take<bf16_bits>(T * mlp_w);
  ws.act = cv.take<bf16_bits>(T * mlp_w / 2);
  if (c.mla) {
    ws.q = cv.take<bf16_bits>(T * nh * dk);
    ws.qcat = cv.take<bf16_bits>(int64_t{s.max_batch} * nh * lat);
    ws.olat = cv.take<bf16_bits>(int64_t{s.max_batch} * nh * c.kv_lora_rank);
    ws.kvb = cv.take<bf16_bits>(G * nh * (c.qk_nope_head_dim + dv));
    ws.kfull = cv.take<bf16_bits>(G * nh * dk);
  } else {
    ws.gv = cv.take<bf16_bits>(G * kv_row);
  }
  if (s.n_experts > 0) {
    const int64_t TK = T * s.top_k, E = s.n_experts, I = c.moe_intermediate_size;
    ws.h_lo = cv.take<bf16_bits>(T * H);
    ws.router_logits = cv.take<float>(T * E);
    ws.topk_ids = cv.take<int32_t>(TK);
    ws.topk_w = cv.take<float>(TK);
    ws.offsets = cv.take<int32_t>(E + 1);
    ws.perm_to_slot = cv.take<int32_t>(TK);
    ws.slot_to_perm = cv.take<int32_t>(TK);
    ws.x_perm = cv.take<bf16_bits>(s.gathered_rows * H);
    ws.gu_perm = cv.take<bf16_bits>(s.staged_rows * 2 * I);
    ws.act_perm = cv.take<bf16_bits>(TK * I);
    ws.y_perm = cv.take<bf16_bits>(TK * H);
    ws.permute_ws = cv.take<uint8_t>(moe_permute_workspace_bytes(T, s.top_k, s.n_experts));
    ws.gate = cv.take<float>(T);
    ws.route_counter = cv.take<int32_t>(1);
  }
  const int dv_decode = static_cast<int>(c.mla ? c.kv_lora_rank : dv);
  // NOTE: the bound covers every step's decode rows (up to max_batch) and table (up to
  // decode_seq_len keys), whose splits differ.
  ws.decode_ws_bytes =
      decode_attention_workspace_bytes(s.max_batch, static_cast<int>(nh), dv_decode,
                                       static_cast<int>(s.decode_seq_len), s.page_size);
  ws.decode_ws = cv.take<uint8_t>(static_cast<int64_t>(ws.decode_ws_bytes));
  // NOTE: every kv head's own block of query heads is the most the counters can need.
  ws.decode_counters = cv.take<int32_t>(
      decode_attention_counters(s.max_batch, static_cast<int>(nh), static_cast<int>(nh)));
  ws.hf = cv.take<bf16_bits>(s.max_logit_rows * H);
  ws.logits = cv.take<float>(s.max_logit_rows * c.vocab_size);
  ws.sampled = cv.take<int32_t>(s.max_logit_rows);
  ws.non_finite = cv.take<int32_t>(s.max_logit_rows);
  ws.argmax = cv.take<uint64_t>(s.max_logit_rows);
}

}  // namespace

void workspace_allocate(const ModelConfig& config, const DevModel& model,
                        const WorkspaceShape& shape, Workspace& ws) {
  ws.max_tokens = shape.max_tokens;
  ws.max_gather = shape.max_gather;
  ws.max_logit_rows = shape.max_logit_rows;
  Carver sizes(nullptr);
  carve(config, model, shape, ws, sizes);
  ws.memory = DeviceBuffer<uint8_t>(sizes.bytes());
  Carver place(ws.memory.data());
  carve(config, model, shape, ws, place);
  // The fused decode attention's merge counters, the routing's counter and the logits' argmax
  // keys start at zero (each call leaves them so).
  CUDA_CHECK(cudaMemset(ws.memory.data(), 0, sizes.bytes()));
}

}  // namespace moebench

#endif  // MOEBENCH_HAVE_CUDA
