// CudaEngine: sequences over a paged KV pool, steps planned on the host (decode rows first, then
// prefill groups), metadata uploaded in one copy, the body launched eagerly or replayed from a
// CUDA graph (decode steps, keyed by padded batch and block-table width), sampling on the GPU.
#include "backends/builtin/engine_cuda.h"

#include "kernels/device_info.h"

#ifdef MOEBENCH_HAVE_CUDA

#include <cuda_runtime_api.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <set>
#include <stdexcept>
#include <string>

#include "backends/builtin/engine_cpu_layers.h"
#include "backends/builtin/engine_cuda_body.h"
#include "backends/builtin/engine_cuda_plan.h"
#include "backends/builtin/model_config.h"
#include "common/error.h"
#include "kernels/attention.h"
#include "kernels/cuda_check.h"
#include "kernels/moe_permute.h"
#include "kernels/sampling.h"

namespace moebench {

namespace {

int64_t div_up(int64_t a, int64_t b) { return (a + b - 1) / b; }

int next_pow2(int v) {
  int p = 1;
  while (p < v) p *= 2;
  return p;
}

RopePairing pairing_of(RopeStyle s) {
  switch (s) {
    case RopeStyle::interleaved:
      return RopePairing::interleaved;
    case RopeStyle::pairs:
      return RopePairing::pairs;
    case RopeStyle::half:
      break;
  }
  return RopePairing::half;
}

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

class CudaEngine final : public Engine {
 public:
  CudaEngine(const ModelConfig& config, const std::filesystem::path& dir,
             const CudaEngineOptions& options);
  ~CudaEngine() override;

  int new_sequence() override;
  void free_sequence(int seq) override;
  int cache_len(int seq) const override { return find(seq, "cache_len").len; }
  void truncate(int seq, int len) override;
  std::vector<float> forward(const std::vector<EngineChunk>& chunks) override;
  std::vector<int> forward_sample(const std::vector<EngineChunk>& chunks,
                                  const std::vector<Sampler*>& samplers) override;
  int64_t free_kv_tokens() const override {
    return static_cast<int64_t>(free_pages_.size()) * kv_.page_size;
  }
  int max_context() const override { return max_context_; }
  std::string device_name() const override { return device_name_; }
  const ModelConfig& config() const override { return config_; }

 private:
  struct Seq {
    int len = 0;
    std::vector<int32_t> pages;
  };
  // One step, laid out: decode pieces first (rows [0, n_decode)), then prefill groups.
  struct Step {
    std::vector<int> order;  // piece indices in row order
    int n_decode = 0;        // real decode pieces
    int n_decode_rows = 0;   // decode rows with graph padding
    int64_t rows = 0;
    int table_width = 0;
    std::vector<StepGroup> groups;
    MetaLayout layout;
    int64_t out_rows = 0;
  };

  const Seq& find(int seq, const char* what) const;
  Seq& find(int seq, const char* what) {
    return const_cast<Seq&>(static_cast<const CudaEngine*>(this)->find(seq, what));
  }
  void validate(const std::vector<EngineChunk>& chunks) const;
  std::vector<ChunkDesc> describe(const std::vector<EngineChunk>& chunks) const;
  void reserve_pages(const std::vector<StepPiece>& pieces);
  Step layout_step(const std::vector<StepPiece>& pieces, int pad_decode_to, int sample_rows);
  void write_meta(const Step& st, const std::vector<StepPiece>& pieces, int pad_rows,
                  const std::vector<Sampler*>* samplers);
  StepView view_of(const Step& st) const;
  void ensure_meta(size_t bytes);
  void run_eager(const Step& st, const StepView& v);
  void sample_rows(const Step& st, int64_t n_rows);
  std::vector<int> decode_graph_step(const std::vector<StepPiece>& pieces,
                                     const std::vector<Sampler*>& samplers);
  void commit(const std::vector<StepPiece>& pieces);
  BodyContext body() {
    return {config_,
            model_,
            ws_,
            kv_,
            *blas_,
            stream_,
            inv_freq_.data(),
            attention_factor_,
            pairing_,
            scale_,
            router_,
            grouped_device_rows_};
  }

  ModelConfig config_;
  CudaEngineOptions options_;
  std::string device_name_;
  cudaStream_t stream_ = nullptr;
  std::unique_ptr<CublasContext> blas_;
  DevModel model_;
  Workspace ws_;
  KvPool kv_;
  DeviceBuffer<float> inv_freq_;
  float attention_factor_ = 1.0f;
  RopePairing pairing_ = RopePairing::half;
  float scale_ = 1.0f;
  RouterSpec router_;
  int64_t grouped_device_rows_ = 0;
  int max_context_ = 0;
  int max_pages_per_seq_ = 0;

  std::map<int, Seq> seqs_;
  int next_seq_ = 0;
  std::vector<int32_t> free_pages_;

  uint8_t* meta_host_ = nullptr;  // pinned
  DeviceBuffer<uint8_t> meta_dev_;
  size_t meta_capacity_ = 0;
  int32_t* sampled_host_ = nullptr;  // pinned (max_batch)

  struct Graph {
    cudaGraphExec_t exec = nullptr;
  };
  std::map<std::pair<int, int>, Graph> graphs_;  // (padded batch, table width)
};

// ----------------------------------------------------------------------------
// Construction: weights, workspace, KV pool

CudaEngine::CudaEngine(const ModelConfig& config, const std::filesystem::path& dir,
                       const CudaEngineOptions& options)
    : config_(config), options_(options) {
  config.validate();
  check_dims(config);
  const ModelConfig& c = config_;
  if (options.page_size < 1 || options.max_batch < 1 || options.max_step_tokens < 1 ||
      options.max_step_tokens < options.max_batch || !(options.kv_memory_fraction > 0.0) ||
      options.kv_memory_fraction > 1.0 || options.max_context < 0) {
    throw InputError(
        "CUDA engine options: need page_size, max_batch >= 1, max_step_tokens >= "
        "max_batch, 0 < kv_memory_fraction <= 1, max_context >= 0");
  }
  CUDA_CHECK(cudaSetDevice(options.device));
  const std::vector<GpuInfo> gpus = gpu_list();
  for (const GpuInfo& g : gpus) {
    if (g.index == options.device)
      device_name_ = "cuda:" + std::to_string(g.index) + " (" + g.name + ")";
  }
  if (device_name_.empty()) device_name_ = "cuda:" + std::to_string(options.device);
  CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
  blas_ = std::make_unique<CublasContext>();
  model_ = dev_model_load(c, dir);

  // Attention and routing constants, as the CPU engine derives them.
  const AttnDims dims = attn_dims_of(c);
  pairing_ = pairing_of(dims.rope_style);
  scale_ = dims.scale;
  const RopeTable rope = rope_init_table(c.rope, c.rope_dim());
  inv_freq_ = DeviceBuffer<float>(rope.inv_freq);
  attention_factor_ = rope.attention_factor;
  const bool any_moe =
      std::any_of(c.moe_layer.begin(), c.moe_layer.end(), [](bool b) { return b; });
  if (any_moe) router_ = moe_router_spec(c);
  const int top_k = any_moe ? router_.top_k : 1;
  grouped_device_rows_ = int64_t{options.max_batch} * top_k;

  // Workspace for the largest step.
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
  shape.decode_seq_len = int64_t{max_pages_per_seq_} * options.page_size;
  shape.page_size = options.page_size;
  workspace_allocate(c, model_, shape, ws_);

  // KV pool: a fraction of what is left.
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
  CUDA_CHECK(cudaMallocHost(reinterpret_cast<void**>(&sampled_host_),
                            ws_.max_logit_rows * sizeof(int32_t)));
  ensure_meta(meta_layout(shape.max_tokens, shape.max_tokens, options.max_batch, max_pages_per_seq_,
                          1, options.max_batch)
                  .bytes);
}

CudaEngine::~CudaEngine() {
  for (auto& [key, g] : graphs_) cudaGraphExecDestroy(g.exec);
  if (meta_host_ != nullptr) cudaFreeHost(meta_host_);
  if (sampled_host_ != nullptr) cudaFreeHost(sampled_host_);
  if (stream_ != nullptr) cudaStreamDestroy(stream_);
}

void CudaEngine::ensure_meta(size_t bytes) {
  if (bytes <= meta_capacity_) return;
  // NOTE: graphs hold pointers into the metadata buffers; a bigger buffer invalidates them.
  CUDA_CHECK(cudaStreamSynchronize(stream_));
  for (auto& [key, g] : graphs_) cudaGraphExecDestroy(g.exec);
  graphs_.clear();
  if (meta_host_ != nullptr) cudaFreeHost(meta_host_);
  meta_capacity_ = std::max(bytes, meta_capacity_ * 2);
  CUDA_CHECK(cudaMallocHost(reinterpret_cast<void**>(&meta_host_), meta_capacity_));
  meta_dev_ = DeviceBuffer<uint8_t>(meta_capacity_);
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

// ----------------------------------------------------------------------------
// Step layout and metadata

CudaEngine::Step CudaEngine::layout_step(const std::vector<StepPiece>& pieces, int pad_decode_to,
                                         int sample_rows) {
  Step st;
  // Decode rows first: single-token pieces, up to max_batch of them.
  std::vector<int> prefill;
  for (size_t i = 0; i < pieces.size(); ++i) {
    if (pieces[i].tokens.size() == 1 && st.n_decode < options_.max_batch) {
      st.order.push_back(static_cast<int>(i));
      ++st.n_decode;
    } else {
      prefill.push_back(static_cast<int>(i));
    }
  }
  int width = 1;
  for (const StepPiece& p : pieces) {
    width = std::max<int>(width, static_cast<int>(div_up(p.past + p.tokens.size(), kv_.page_size)));
  }
  st.table_width = std::min(next_pow2(width), max_pages_per_seq_);
  const int n_decode_rows = std::max(st.n_decode, pad_decode_to);
  st.n_decode_rows = n_decode_rows;
  st.rows = n_decode_rows;
  // Prefill groups: consecutive pieces whose keys fit the gather buffer.
  StepGroup g;
  g.row0 = st.rows;
  g.first_chunk = n_decode_rows;
  g.order_at = st.n_decode;
  int chunk_index = n_decode_rows, cu_at = 0;
  for (int i : prefill) {
    const StepPiece& p = pieces[i];
    const int64_t keys = p.past + static_cast<int64_t>(p.tokens.size());
    if (keys > ws_.max_gather) {
      throw std::invalid_argument("CudaEngine: a prefill of " + std::to_string(keys) +
                                  " keys exceeds the gather workspace of " +
                                  std::to_string(ws_.max_gather));
    }
    if (g.n_chunks > 0 && g.keys + keys > ws_.max_gather) {
      g.cu_at = cu_at;
      cu_at += g.n_chunks + 1;
      st.groups.push_back(g);
      g = StepGroup();
      g.row0 = st.rows;
      g.first_chunk = chunk_index;
      g.order_at = static_cast<int>(st.order.size());
    }
    st.order.push_back(i);
    g.rows += static_cast<int64_t>(p.tokens.size());
    g.keys += keys;
    g.max_q = std::max<int>(g.max_q, static_cast<int>(p.tokens.size()));
    ++g.n_chunks;
    ++chunk_index;
    st.rows += static_cast<int64_t>(p.tokens.size());
  }
  if (g.n_chunks > 0) {
    g.cu_at = cu_at;
    st.groups.push_back(g);
  }
  for (const StepPiece& p : pieces) st.out_rows += p.out_rows;
  if (pad_decode_to > 0) st.out_rows = pad_decode_to;
  st.layout = meta_layout(st.rows, st.out_rows, chunk_index, st.table_width,
                          static_cast<int>(st.groups.size()), sample_rows);
  return st;
}

void CudaEngine::write_meta(const Step& st, const std::vector<StepPiece>& pieces, int pad_rows,
                            const std::vector<Sampler*>* samplers) {
  ensure_meta(st.layout.bytes);
  const MetaLayout& L = st.layout;
  std::memset(meta_host_, 0, L.bytes);
  auto i32 = [&](size_t off) { return reinterpret_cast<int32_t*>(meta_host_ + off); };
  int32_t* tokens = i32(L.tokens);
  int32_t* positions = i32(L.positions);
  int32_t* slots = i32(L.slots);
  int32_t* seq_lens = i32(L.seq_lens);
  int32_t* table = i32(L.block_table);
  const int W = st.table_width, P = kv_.page_size;
  // Rows and chunks in layout order; padded decode rows write nothing (slot -1).
  int64_t row = 0;
  std::vector<int64_t> row_of_piece(pieces.size());
  int chunk = 0;
  for (size_t k = 0; k < st.order.size(); ++k) {
    if (static_cast<int>(k) == st.n_decode) {
      for (; chunk < pad_rows; ++chunk, ++row) {  // padding after the real decode rows
        slots[row] = -1;
        seq_lens[chunk] = 1;
      }
    }
    const StepPiece& p = pieces[st.order[k]];
    const Seq& s = find(p.seq, "forward");
    row_of_piece[st.order[k]] = row;
    for (size_t j = 0; j < p.tokens.size(); ++j, ++row) {
      const int pos = p.past + static_cast<int>(j);
      tokens[row] = p.tokens[j];
      positions[row] = pos;
      slots[row] = s.pages[pos / P] * P + pos % P;
    }
    seq_lens[chunk] = p.past + static_cast<int>(p.tokens.size());
    const int n_pages = static_cast<int>(div_up(seq_lens[chunk], P));
    for (int j = 0; j < n_pages; ++j) table[int64_t{chunk} * W + j] = s.pages[j];
    ++chunk;
  }
  for (; chunk < pad_rows; ++chunk, ++row) {  // a step of only padding (all rows padded)
    slots[row] = -1;
    seq_lens[chunk] = 1;
  }
  // cu_q / cu_k per prefill group (group g's arrays start at first_chunk + g).
  int32_t* cu_q = i32(L.cu_q);
  int32_t* cu_k = i32(L.cu_k);
  for (const StepGroup& g : st.groups) {
    const int at = g.cu_at;
    int32_t q = 0, kk = 0;
    cu_q[at] = 0;
    cu_k[at] = 0;
    for (int c = 0; c < g.n_chunks; ++c) {
      const StepPiece& p = pieces[st.order[g.order_at + c]];
      q += static_cast<int32_t>(p.tokens.size());
      kk += p.past + static_cast<int32_t>(p.tokens.size());
      cu_q[at + c + 1] = q;
      cu_k[at + c + 1] = kk;
    }
  }
  // Output rows in caller (piece) order.
  int32_t* out = i32(L.out_rows);
  int64_t o = 0;
  if (pad_rows > 0) {
    for (int r = 0; r < pad_rows; ++r) out[r] = r;
  } else {
    for (size_t i = 0; i < pieces.size(); ++i) {
      const StepPiece& p = pieces[i];
      const int64_t first = row_of_piece[i] + static_cast<int64_t>(p.tokens.size()) - p.out_rows;
      for (int r = 0; r < p.out_rows; ++r) out[o++] = static_cast<int32_t>(first + r);
    }
  }
  if (samplers != nullptr) {
    float* temp = reinterpret_cast<float*>(meta_host_ + L.temperature);
    float* top_p = reinterpret_cast<float*>(meta_host_ + L.top_p);
    int32_t* top_k = i32(L.top_k);
    uint64_t* seed = reinterpret_cast<uint64_t*>(meta_host_ + L.seed);
    uint64_t* draw = reinterpret_cast<uint64_t*>(meta_host_ + L.draw);
    int64_t r = 0;
    for (size_t i = 0; i < pieces.size(); ++i) {
      if (pieces[i].out_rows == 0) continue;
      Sampler* smp = (*samplers)[pieces[i].chunk];
      const SamplingParams& sp = smp->params();
      temp[r] = static_cast<float>(sp.temperature);
      top_p[r] = static_cast<float>(sp.top_p);
      top_k[r] = sp.top_k;
      seed[r] = sp.seed;
      draw[r] = smp->next_draw();
      ++r;
    }
    for (; r < pad_rows; ++r) top_p[r] = 1.0f;  // padded rows: greedy
  }
}

StepView CudaEngine::view_of(const Step& st) const {
  const MetaLayout& L = st.layout;
  const uint8_t* d = meta_dev_.data();
  auto i32 = [&](size_t off) { return reinterpret_cast<const int32_t*>(d + off); };
  StepView v;
  v.rows = st.rows;
  v.n_decode = st.n_decode_rows;
  v.table_width = st.table_width;
  v.tokens = i32(L.tokens);
  v.positions = i32(L.positions);
  v.slots = i32(L.slots);
  v.seq_lens = i32(L.seq_lens);
  v.block_table = i32(L.block_table);
  v.groups = st.groups;
  for (StepGroup& g : v.groups) {
    g.cu_q = i32(L.cu_q) + g.cu_at;
    g.cu_k = i32(L.cu_k) + g.cu_at;
  }
  return v;
}

void CudaEngine::sample_rows(const Step& st, int64_t n_rows) {
  const MetaLayout& L = st.layout;
  const uint8_t* d = meta_dev_.data();
  SampleArgs a;
  a.logits = ws_.logits;
  a.ld = config_.vocab_size;
  a.n_rows = n_rows;
  a.vocab = config_.vocab_size;
  a.temperature = reinterpret_cast<const float*>(d + L.temperature);
  a.top_p = reinterpret_cast<const float*>(d + L.top_p);
  a.top_k = reinterpret_cast<const int32_t*>(d + L.top_k);
  a.seed = reinterpret_cast<const uint64_t*>(d + L.seed);
  a.draw = reinterpret_cast<const uint64_t*>(d + L.draw);
  a.out = ws_.sampled;
  cuda_sample(a, stream_);
  CUDA_CHECK(cudaMemcpyAsync(sampled_host_, ws_.sampled, n_rows * sizeof(int32_t),
                             cudaMemcpyDeviceToHost, stream_));
}

void CudaEngine::run_eager(const Step& st, const StepView& v) {
  CUDA_CHECK(cudaMemcpyAsync(meta_dev_.data(), meta_host_, st.layout.bytes, cudaMemcpyHostToDevice,
                             stream_));
  run_body(body(), v);
}

// ----------------------------------------------------------------------------
// Forward entries

std::vector<float> CudaEngine::forward(const std::vector<EngineChunk>& chunks) {
  validate(chunks);
  const int64_t V = config_.vocab_size;
  std::vector<float> logits;
  for (const std::vector<StepPiece>& pieces :
       plan_steps(describe(chunks), options_.max_step_tokens)) {
    reserve_pages(pieces);
    const Step st = layout_step(pieces, 0, 0);
    write_meta(st, pieces, 0, nullptr);
    run_eager(st, view_of(st));
    const int32_t* rows = reinterpret_cast<const int32_t*>(meta_dev_.data() + st.layout.out_rows);
    for (int64_t r0 = 0; r0 < st.out_rows; r0 += ws_.max_logit_rows) {
      const int64_t n = std::min(ws_.max_logit_rows, st.out_rows - r0);
      run_logits(body(), rows + r0, n);
      const size_t at = logits.size();
      logits.resize(at + n * V);
      CUDA_CHECK(cudaMemcpyAsync(logits.data() + at, ws_.logits, n * V * sizeof(float),
                                 cudaMemcpyDeviceToHost, stream_));
      CUDA_CHECK(cudaStreamSynchronize(stream_));
    }
    CUDA_CHECK(cudaStreamSynchronize(stream_));
    commit(pieces);
  }
  return logits;
}

std::vector<int> CudaEngine::decode_graph_step(const std::vector<StepPiece>& pieces,
                                               const std::vector<Sampler*>& samplers) {
  const int B = static_cast<int>(pieces.size());
  int padded = 1;
  while (padded < B) padded = padded < 8 ? padded * 2 : padded + 8;
  padded = std::min(padded, options_.max_batch);
  reserve_pages(pieces);
  const Step st = layout_step(pieces, padded, padded);
  write_meta(st, pieces, padded, &samplers);
  const StepView v = view_of(st);
  const auto key = std::make_pair(padded, st.table_width);
  auto it = graphs_.find(key);
  if (it == graphs_.end()) {
    cudaGraph_t graph = nullptr;
    CUDA_CHECK(cudaStreamBeginCapture(stream_, cudaStreamCaptureModeThreadLocal));
    run_eager(st, v);
    run_logits(body(), reinterpret_cast<const int32_t*>(meta_dev_.data() + st.layout.out_rows),
               padded);
    sample_rows(st, padded);
    CUDA_CHECK(cudaStreamEndCapture(stream_, &graph));
    Graph g;
    CUDA_CHECK(cudaGraphInstantiate(&g.exec, graph, 0));
    cudaGraphDestroy(graph);
    it = graphs_.emplace(key, g).first;
  }
  CUDA_CHECK(cudaGraphLaunch(it->second.exec, stream_));
  CUDA_CHECK(cudaStreamSynchronize(stream_));
  commit(pieces);
  return std::vector<int>(sampled_host_, sampled_host_ + B);
}

std::vector<int> CudaEngine::forward_sample(const std::vector<EngineChunk>& chunks,
                                            const std::vector<Sampler*>& samplers) {
  validate(chunks);
  if (samplers.size() != chunks.size()) {
    throw std::invalid_argument("CudaEngine::forward_sample: " + std::to_string(samplers.size()) +
                                " samplers for " + std::to_string(chunks.size()) + " chunks");
  }
  std::vector<EngineChunk> last_only = chunks;
  for (EngineChunk& ch : last_only) ch.all_logits = false;
  std::vector<int> out(chunks.size(), -1);
  for (const std::vector<StepPiece>& pieces :
       plan_steps(describe(last_only), options_.max_step_tokens)) {
    const bool decode = std::all_of(pieces.begin(), pieces.end(),
                                    [](const StepPiece& p) { return p.tokens.size() == 1; });
    if (options_.cuda_graphs && decode && static_cast<int>(pieces.size()) <= options_.max_batch) {
      const std::vector<int> ids = decode_graph_step(pieces, samplers);
      for (size_t i = 0; i < pieces.size(); ++i) out[pieces[i].chunk] = ids[i];
      continue;
    }
    reserve_pages(pieces);
    int n_sample = 0;
    for (const StepPiece& p : pieces) n_sample += p.out_rows > 0 ? 1 : 0;
    const Step sampled = layout_step(pieces, 0, n_sample);
    write_meta(sampled, pieces, 0, &samplers);
    run_eager(sampled, view_of(sampled));
    const int32_t* rows =
        reinterpret_cast<const int32_t*>(meta_dev_.data() + sampled.layout.out_rows);
    // NOTE: one row per sampled piece; a step never has more than max_logit_rows of them
    // unless many prompts finish at once, so sample in blocks.
    std::vector<int> ids;
    for (int64_t r0 = 0; r0 < sampled.out_rows; r0 += ws_.max_logit_rows) {
      const int64_t n = std::min(ws_.max_logit_rows, sampled.out_rows - r0);
      run_logits(body(), rows + r0, n);
      Step block = sampled;
      block.layout.temperature += r0 * sizeof(float);
      block.layout.top_p += r0 * sizeof(float);
      block.layout.top_k += r0 * sizeof(int32_t);
      block.layout.seed += r0 * sizeof(uint64_t);
      block.layout.draw += r0 * sizeof(uint64_t);
      sample_rows(block, n);
      CUDA_CHECK(cudaStreamSynchronize(stream_));
      ids.insert(ids.end(), sampled_host_, sampled_host_ + n);
    }
    commit(pieces);
    size_t k = 0;
    for (const StepPiece& p : pieces) {
      if (p.out_rows > 0) out[p.chunk] = ids[k++];
    }
  }
  return out;
}

}  // namespace

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
  throw InputError(dir.string() + ": this build has no CUDA (configure with -DMOEBENCH_CUDA=ON)");
}

}  // namespace moebench

#endif  // MOEBENCH_HAVE_CUDA
