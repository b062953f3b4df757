// CudaEngine: sequences over a paged KV pool, steps planned on the host (decode rows first, then
// prefill groups), metadata uploaded in one copy, the body launched eagerly or replayed from a
// CUDA graph (decode steps, keyed by padded batch and block-table width), sampling on the GPU.
// This file: construction (weights, workspace, KV pool) and sequences; engine_cuda_step.cpp: the
// steps.
#include "backends/builtin/engine/cuda/engine_cuda.h"

#include "kernels/device_info.h"

#ifdef MOEBENCH_HAVE_CUDA

#include <cuda_runtime_api.h>

#include <algorithm>
#include <limits>
#include <set>
#include <stdexcept>
#include <string>

#include "backends/builtin/engine/attn_dims.h"
#include "backends/builtin/engine/cuda/engine_cuda_engine.h"
#include "backends/builtin/engine/rope_table.h"
#include "common/error.h"
#include "kernels/cuda_check.h"
#include "kernels/grouped_gemm.h"
#include "kernels/pdl.h"

namespace moebench {
namespace {

// The attention kernels move 16-byte vectors and tile head dims by 16: every head width and
// row stride they see must be a multiple of 8 (all real checkpoints are).
void check_dims(const ModelConfig& c) {
  auto need = [&](const char* field, int64_t v, int64_t max) {
    if (v % 8 != 0 || v <= 0 || v > max) {
      throw InputError(std::string("config.json: ") + field + " = " + std::to_string(v) +
                       ": the CUDA engine needs a positive multiple of 8 up to " +
                       std::to_string(max) + " (use --device cpu)");
    }
  };
  need("hidden_size", c.hidden_size, 1 << 20);
  if (c.mla) {
    need("qk_nope_head_dim + qk_rope_head_dim", c.qk_nope_head_dim + c.qk_rope_head_dim, 256);
    need("v_head_dim", c.v_head_dim, 256);
    need("qk_nope_head_dim", c.qk_nope_head_dim, 256);
    need("kv_lora_rank", c.kv_lora_rank, 512);
    need("kv_lora_rank + qk_rope_head_dim", c.kv_lora_rank + c.qk_rope_head_dim, 576);
    if (c.q_lora_rank > 0) need("q_lora_rank", c.q_lora_rank, 1 << 20);
  } else {
    need("head_dim", c.head_dim, 256);
  }
}

// NOTE: the routing kernels hold a token's expert scores in one warp (8 per lane) and its picks
// in registers: refused here, before the weights load, not at the first MoE step.
void check_routing(const ModelConfig& c) {
  if (c.any_moe() && (c.n_routed_experts > kMoeMaxExperts || c.num_experts_per_tok > kMoeMaxTopK)) {
    throw InputError("config.json: n_routed_experts = " + std::to_string(c.n_routed_experts) +
                     ", num_experts_per_tok = " + std::to_string(c.num_experts_per_tok) +
                     ": the CUDA engine routes at most " + std::to_string(kMoeMaxExperts) +
                     " experts, top " + std::to_string(kMoeMaxTopK) + " (use --device cpu)");
  }
}

// kernels=wgmma: a Hopper device running this build's sm_90a code, and expert shapes the wgmma
// grouped GEMM takes (whole 16-byte rows, its shared-memory expert table).
void check_wgmma(const ModelConfig& c) {
  if (!cuda_grouped_gemm_wgmma_available()) {
    throw InputError(
        "kernels=wgmma: this device or build has no sm_90a code (it needs a Hopper GPU and a build "
        "configured with -DCMAKE_CUDA_ARCHITECTURES=90a, as scripts/device_bundle.sh makes; "
        "kernels=fused runs anywhere)");
  }
  if (c.moe_intermediate_size % 8 != 0 || c.n_routed_experts > 1024) {
    throw InputError(
        "config.json: kernels=wgmma needs moe_intermediate_size a multiple of 8 and "
        "at most 1024 routed experts, got " +
        std::to_string(c.moe_intermediate_size) + " and " + std::to_string(c.n_routed_experts));
  }
}

}  // namespace

// ----------------------------------------------------------------------------
// Construction: weights, workspace, KV pool

CudaEngine::CudaEngine(const ModelConfig& config, const std::filesystem::path& dir,
                       const CudaEngineOptions& options)
    : config_(config), options_(options) {
  config.validate();
  check_dims(config);
  check_routing(config);
  const ModelConfig& c = config_;
  if (options.page_size < 1 || options.max_batch < 1 || options.max_step_tokens < 1 ||
      options.max_step_tokens < options.max_batch || !(options.kv_memory_fraction > 0.0) ||
      options.kv_memory_fraction > 1.0 || options.max_context < 0) {
    throw InputError(
        "CUDA engine options: need page_size, max_batch >= 1, max_step_tokens >= "
        "max_batch, 0 < kv_memory_fraction <= 1, max_context >= 0");
  }
  CUDA_CHECK(cudaSetDevice(options.device));
  if (options.kernels == KernelSet::wgmma) check_wgmma(c);
  // NOTE: kernels built for an older architecture lack their waits: launched early, they race.
  if (options.programmatic_launch && !cuda_pdl_supported()) {
    throw InputError(
        "pdl: programmatic launch needs a compute capability 9 GPU and a build with sm_90 or "
        "later code (this device or build has neither)");
  }
  const std::vector<GpuInfo> gpus = gpu_list();
  for (const GpuInfo& g : gpus) {
    if (g.index == options.device)
      device_name_ = "cuda:" + std::to_string(g.index) + " (" + g.name + ")";
  }
  if (device_name_.empty()) device_name_ = "cuda:" + std::to_string(options.device);
  CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
  blas_ = std::make_unique<CublasContext>();
  model_ = dev_model_load(c, dir);
  init_constants();
  const WorkspaceShape shape = init_workspace();
  init_kv_pool();
  CUDA_CHECK(cudaMallocHost(reinterpret_cast<void**>(&sampled_host_),
                            2 * ws_.max_logit_rows * sizeof(int32_t)));
  for (int i = 0; i < 2; ++i) {
    CUDA_CHECK(cudaMallocHost(reinterpret_cast<void**>(&pipe_ids_[i]),
                              2 * options.max_batch * sizeof(int32_t)));
    CUDA_CHECK(cudaEventCreateWithFlags(&pipe_done_[i], cudaEventDisableTiming));
    CUDA_CHECK(cudaEventCreateWithFlags(&meta_uploaded_[i], cudaEventDisableTiming));
  }
  ensure_meta(meta_layout(shape.max_tokens, shape.max_tokens, options.max_batch, max_pages_per_seq_,
                          1, options.max_batch)
                  .bytes);
  if (options.programmatic_launch) cuda_stream_set_pdl(stream_, true);
}

// Attention and routing constants, as the CPU engine derives them.
void CudaEngine::init_constants() {
  const ModelConfig& c = config_;
  const AttnDims dims = attn_dims_of(c);
  pairing_ = dims.rope_style;
  scale_ = dims.scale;
  const RopeTable rope = rope_init_table(c.rope, c.rope_dim());
  inv_freq_ = DeviceBuffer<float>(rope.inv_freq);
  attention_factor_ = rope.attention_factor;
  const bool any_moe = c.any_moe();
  if (any_moe) router_ = moe_router_spec(c);
  const int top_k = any_moe ? router_.top_k : 1;
  moe_rule_ = MoePathRule{options_.kernels != KernelSet::separate,
                          options_.kernels == KernelSet::wgmma, options_.max_batch, top_k};
}

// Workspace for the largest step.
WorkspaceShape CudaEngine::init_workspace() {
  const ModelConfig& c = config_;
  const CudaEngineOptions& options = options_;
  const bool any_moe = c.any_moe();
  const int top_k = any_moe ? router_.top_k : 1;
  max_context_ = c.max_position_embeddings;
  if (options.max_context > 0) max_context_ = std::min(max_context_, options.max_context);
  max_pages_per_seq_ = static_cast<int>(div_up(max_context_, options.page_size));
  WorkspaceShape shape;
  shape.max_tokens = options.max_step_tokens;
  shape.max_gather = std::max<int64_t>(2 * shape.max_tokens, max_context_);
  shape.max_logit_rows = std::max<int64_t>(options.max_batch, 256);
  shape.max_batch = options.max_batch;
  shape.top_k = top_k;
  shape.n_experts = any_moe ? router_.n_experts : 0;
  const MoeStagedRows staged = moe_workspace_rows(moe_rule_, shape.max_tokens);
  shape.gathered_rows = staged.gathered;
  shape.staged_rows = staged.staged;
  shape.decode_seq_len = int64_t{max_pages_per_seq_} * options.page_size;
  shape.page_size = options.page_size;
  workspace_allocate(c, model_, shape, ws_);
  return shape;
}

// KV pool: a fraction of the memory left after weights and workspace.
void CudaEngine::init_kv_pool() {
  const ModelConfig& c = config_;
  const CudaEngineOptions& options = options_;
  size_t free_b = 0, total_b = 0;
  CUDA_CHECK(cudaMemGetInfo(&free_b, &total_b));
  const int64_t kv_row =
      c.mla ? c.kv_lora_rank + c.qk_rope_head_dim : int64_t{c.num_kv_heads} * c.head_dim;
  kv_.page_size = options.page_size;
  kv_.k_row = kv_row;
  kv_.shared_kv = c.mla;
  kv_.v_row = kv_row;
  const int64_t per_token = c.num_layers * (c.mla ? kv_row : 2 * kv_row) * 2;  // bytes
  const double budget = static_cast<double>(free_b) * options.kv_memory_fraction;
  kv_.n_pages = static_cast<int64_t>(budget / (per_token * options.page_size));
  kv_.n_pages = std::min<int64_t>(kv_.n_pages, int64_t{max_pages_per_seq_} * 4096);
  // NOTE: a cache slot (page * page_size + offset) is an int32 in the step metadata.
  kv_.n_pages = std::min<int64_t>(kv_.n_pages, std::numeric_limits<int32_t>::max() / kv_.page_size);
  if (kv_.n_pages < max_pages_per_seq_) {
    throw InputError("CUDA engine: the KV pool holds " + std::to_string(kv_.n_pages) +
                     " pages of " + std::to_string(options.page_size) +
                     " tokens, less than one sequence of max_context " +
                     std::to_string(max_context_) + "; lower max_context");
  }
  kv_.layer_stride = kv_.n_pages * options.page_size * (c.mla ? kv_row : 2 * kv_row);
  kv_.memory = DeviceBuffer<bf16_bits>(static_cast<size_t>(kv_.layer_stride) * c.num_layers);
  kv_.base = kv_.memory.data();
  // NOTE: zeroed so padded decode rows of a graph (reading page 0) see finite values.
  CUDA_CHECK(cudaMemset(kv_.base, 0, kv_.memory.size() * sizeof(bf16_bits)));
  free_pages_.resize(kv_.n_pages);
  for (int64_t i = 0; i < kv_.n_pages; ++i)
    free_pages_[i] = static_cast<int32_t>(kv_.n_pages - 1 - i);
}

CudaEngine::~CudaEngine() {
  if (stream_ != nullptr) cudaStreamSynchronize(stream_);  // steps launched ahead write pinned ids
  for (auto& [key, g] : graphs_) cudaGraphExecDestroy(g.exec);
  for (int i = 0; i < 2; ++i) {
    if (meta_bufs_[i] != nullptr) cudaFreeHost(meta_bufs_[i]);
    if (pipe_ids_[i] != nullptr) cudaFreeHost(pipe_ids_[i]);
    if (pipe_done_[i] != nullptr) cudaEventDestroy(pipe_done_[i]);
    if (meta_uploaded_[i] != nullptr) cudaEventDestroy(meta_uploaded_[i]);
  }
  if (sampled_host_ != nullptr) cudaFreeHost(sampled_host_);
  if (stream_ != nullptr) {
    cuda_stream_set_pdl(stream_, false);
    cudaStreamDestroy(stream_);
  }
}

void CudaEngine::ensure_meta(size_t bytes) {
  if (bytes <= meta_capacity_) return;
  // NOTE: graphs hold pointers into the device metadata buffer; a bigger one invalidates them.
  CUDA_CHECK(cudaStreamSynchronize(stream_));
  for (auto& [key, g] : graphs_) cudaGraphExecDestroy(g.exec);
  graphs_.clear();
  meta_capacity_ = std::max(bytes, meta_capacity_ * 2);
  for (uint8_t*& buf : meta_bufs_) {
    if (buf != nullptr) cudaFreeHost(buf);
    buf = nullptr;
    CUDA_CHECK(cudaMallocHost(reinterpret_cast<void**>(&buf), meta_capacity_));
  }
  meta_host_ = meta_bufs_[meta_slot_];
  meta_dev_ = DeviceBuffer<uint8_t>(meta_capacity_);
}

void CudaEngine::acquire_meta() {
  meta_slot_ ^= 1;
  CUDA_CHECK(cudaEventSynchronize(meta_uploaded_[meta_slot_]));
  meta_host_ = meta_bufs_[meta_slot_];
}

void CudaEngine::upload_meta(const Step& st) {
  CUDA_CHECK(cudaMemcpyAsync(meta_dev_.data(), meta_host_, st.layout.bytes, cudaMemcpyHostToDevice,
                             stream_));
  CUDA_CHECK(cudaEventRecord(meta_uploaded_[meta_slot_], stream_));
}

// ----------------------------------------------------------------------------
// Sequences

const CudaEngine::Seq& CudaEngine::find(int seq, const char* what) const {
  auto it = seqs_.find(seq);
  if (it == seqs_.end()) {
    throw std::invalid_argument(std::string("CudaEngine::") + what + ": unknown sequence " +
                                std::to_string(seq));
  }
  return it->second;
}

int CudaEngine::new_sequence() {
  const int id = next_seq_++;
  seqs_[id];
  return id;
}

void CudaEngine::free_sequence(int seq) {
  Seq& s = find(seq, "free_sequence");
  free_pages_.insert(free_pages_.end(), s.pages.rbegin(), s.pages.rend());
  seqs_.erase(seq);
}

void CudaEngine::truncate(int seq, int len) {
  Seq& s = find(seq, "truncate");
  if (len < 0 || len > s.len) {
    throw std::invalid_argument("CudaEngine::truncate: seq " + std::to_string(seq) + " len " +
                                std::to_string(len) + " outside [0, " + std::to_string(s.len) +
                                "]");
  }
  const size_t keep = static_cast<size_t>(div_up(len, kv_.page_size));
  while (s.pages.size() > keep) {
    free_pages_.push_back(s.pages.back());
    s.pages.pop_back();
  }
  s.len = len;
}

void CudaEngine::validate(const std::vector<EngineChunk>& chunks) const {
  std::set<int> seen;
  for (size_t i = 0; i < chunks.size(); ++i) {
    const EngineChunk& ch = chunks[i];
    const std::string where =
        "CudaEngine: chunk " + std::to_string(i) + " (seq " + std::to_string(ch.seq) + ")";
    const Seq& s = find(ch.seq, "forward");
    if (!seen.insert(ch.seq).second) {
      throw std::invalid_argument(where + ": sequence appears twice in one batch");
    }
    if (ch.tokens.empty()) throw std::invalid_argument(where + ": no tokens");
    for (size_t j = 0; j < ch.tokens.size(); ++j) {
      if (ch.tokens[j] < 0 || ch.tokens[j] >= config_.vocab_size) {
        throw std::invalid_argument(where + ": token[" + std::to_string(j) +
                                    "] = " + std::to_string(ch.tokens[j]) + " outside vocab [0, " +
                                    std::to_string(config_.vocab_size) + ")");
      }
    }
    if (s.len + static_cast<int64_t>(ch.tokens.size()) > max_context_) {
      throw std::invalid_argument(
          where + ": " + std::to_string(s.len) + " cached + " + std::to_string(ch.tokens.size()) +
          " new tokens exceed the engine's context of " + std::to_string(max_context_));
    }
  }
}

std::vector<ChunkDesc> CudaEngine::describe(const std::vector<EngineChunk>& chunks) const {
  std::vector<ChunkDesc> d;
  for (const EngineChunk& ch : chunks) {
    d.push_back({ch.seq, find(ch.seq, "forward").len, &ch.tokens, ch.all_logits});
  }
  return d;
}

void CudaEngine::reserve_pages(const std::vector<StepPiece>& pieces) {
  int64_t need = 0;
  for (const StepPiece& p : pieces) {
    const Seq& s = find(p.seq, "forward");
    need += std::max<int64_t>(
        0, div_up(p.past + p.tokens.size(), kv_.page_size) - static_cast<int64_t>(s.pages.size()));
  }
  if (need > static_cast<int64_t>(free_pages_.size())) {
    throw std::runtime_error("CudaEngine: KV pool exhausted: the step needs " +
                             std::to_string(need) + " more pages, " +
                             std::to_string(free_pages_.size()) + " are free");
  }
  for (const StepPiece& p : pieces) {
    Seq& s = find(p.seq, "forward");
    while (static_cast<int64_t>(s.pages.size()) < div_up(p.past + p.tokens.size(), kv_.page_size)) {
      s.pages.push_back(free_pages_.back());
      free_pages_.pop_back();
    }
  }
}

void CudaEngine::commit(const std::vector<StepPiece>& pieces) {
  for (const StepPiece& p : pieces)
    find(p.seq, "forward").len = p.past + static_cast<int>(p.tokens.size());
}

bool cuda_engine_available() { return !gpu_list().empty(); }

std::unique_ptr<Engine> make_cuda_engine(const ModelConfig& config,
                                         const std::filesystem::path& dir,
                                         const CudaEngineOptions& options) {
  return std::make_unique<CudaEngine>(config, dir, options);
}

}  // namespace moebench

#else  // no CUDA in this build

#include "common/error.h"

namespace moebench {

bool cuda_engine_available() { return false; }

std::unique_ptr<Engine> make_cuda_engine(const ModelConfig&, const std::filesystem::path& dir,
                                         const CudaEngineOptions&) {
  throw input_error(dir.string(), "this build has no CUDA (configure with -DMOEBENCH_CUDA=ON)");
}

}  // namespace moebench

#endif  // MOEBENCH_HAVE_CUDA
