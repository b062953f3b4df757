// The CudaEngine class, shared by its source files: engine_cuda.cpp (construction, sequences),
// engine_cuda_step.cpp (step layout, metadata, forward entries) and engine_cuda_pipeline.cpp
// (start_sample / finish_sample: decode steps launched ahead). Internal to engine/cuda/.
#pragma once

#ifdef MOEBENCH_HAVE_CUDA

#include <cuda_runtime_api.h>

#include <cstdint>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "backends/builtin/checkpoint/model_config.h"
#include "backends/builtin/engine/cuda/engine_cuda.h"
#include "backends/builtin/engine/cuda/engine_cuda_body.h"
#include "backends/builtin/engine/cuda/engine_cuda_plan.h"
#include "backends/builtin/engine/router_spec.h"

namespace moebench {

inline int64_t div_up(int64_t a, int64_t b) { return (a + b - 1) / b; }

inline int next_pow2(int v) {
  int p = 1;
  while (p < v) p *= 2;
  return p;
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
  void start_sample(const std::vector<EngineChunk>& chunks,
                    const std::vector<Sampler*>& samplers) override;
  std::vector<int> finish_sample() override;
  int steps_in_flight() const override { return 2; }
  int64_t device_fed_steps() const override { return device_fed_steps_; }
  int64_t free_kv_tokens() const override {
    return static_cast<int64_t>(free_pages_.size()) * kv_.page_size;
  }
  int max_context() const override { return max_context_; }
  int decode_step_kernels(int batch) const override;
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
  // The steps of a sampled forward over chunks: only each chunk's last logits are wanted.
  std::vector<std::vector<StepPiece>> plan_sampled(const std::vector<EngineChunk>& chunks) const;
  void reserve_pages(const std::vector<StepPiece>& pieces);
  Step layout_step(const std::vector<StepPiece>& pieces, int pad_decode_to, int sample_rows);
  void write_meta(const Step& st, const std::vector<StepPiece>& pieces, int pad_rows,
                  const std::vector<Sampler*>* samplers);
  // Pieces of write_meta: rows, chunks and block tables (returns each piece's first row); cu_q /
  // cu_k per prefill group; the output rows; the sampling parameters.
  std::vector<int64_t> write_rows(const Step& st, const std::vector<StepPiece>& pieces,
                                  int pad_rows);
  void write_cu(const Step& st, const std::vector<StepPiece>& pieces);
  void write_out_rows(const Step& st, const std::vector<StepPiece>& pieces, int pad_rows,
                      const std::vector<int64_t>& row_of_piece);
  void write_sampling(const Step& st, const std::vector<StepPiece>& pieces, int pad_rows,
                      const std::vector<Sampler*>& samplers);
  StepView view_of(const Step& st) const;
  void ensure_meta(size_t bytes);
  // The next of the two pinned metadata buffers, once its last upload is done (meta_host_).
  void acquire_meta();
  // meta_host_ -> meta_dev_ on the stream (st's bytes), marking the buffer's upload.
  void upload_meta(const Step& st);
  // Pieces of the constructor: attention and routing constants, the workspace, the KV pool.
  void init_constants();
  WorkspaceShape init_workspace();
  void init_kv_pool();
  void run_eager(const Step& st, const StepView& v);
  // ws_.sampled and ws_.non_finite (n_rows) drawn from ws_.logits; argmax: run_logits' answer
  // for these rows (the greedy picks it left), or nullptr.
  void sample_rows(const Step& st, int64_t n_rows, uint64_t* argmax);
  // Ids drawn on the device, each with whether its logits held NaN or an infinity; the ids stay
  // the drawn ones, so a later step can be fed them.
  struct Draws {
    std::vector<int> ids;
    std::vector<uint8_t> non_finite;
    // ids with kNonFiniteDraw where non_finite, as forward_sample and finish_sample give them.
    std::vector<int> reported() const;
  };
  // Copies n rows of ws_.sampled and ws_.non_finite to host (pinned, 2 n ints: ids, then flags).
  void copy_draws(int32_t* host, int64_t n);
  static void append_draws(const int32_t* host, int64_t n, Draws& out);
  // forward_sample's body (the drawn ids, flagged).
  Draws draw(const std::vector<EngineChunk>& chunks, const std::vector<Sampler*>& samplers);
  // Enqueues one decode step from its CUDA graph (captured on first use): metadata upload, the
  // graph, then the pieces' draws copied to ids_host (copy_draws); commits the pieces. Does not
  // wait.
  void launch_graph_step(const std::vector<StepPiece>& pieces,
                         const std::vector<Sampler*>& samplers, int32_t* ids_host);
  Draws decode_graph_step(const std::vector<StepPiece>& pieces,
                          const std::vector<Sampler*>& samplers);
  // The decode pieces of chunks when they make one graph step (single tokens, at most
  // max_batch, CUDA graphs on), else an empty vector.
  std::vector<StepPiece> graph_step_pieces(const std::vector<EngineChunk>& chunks) const;
  // The batch a decode graph of `batch` sequences is captured for: powers of two to 8, then
  // multiples of 8, at most max_batch.
  int padded_batch(int batch) const;
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
            moe_rule_,
            options_.kernels != KernelSet::separate,
            options_.kernels == KernelSet::wgmma};
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
  MoePathRule moe_rule_;  // set with router_ (init_constants)
  int max_context_ = 0;
  int max_pages_per_seq_ = 0;

  std::map<int, Seq> seqs_;
  int next_seq_ = 0;
  std::vector<int32_t> free_pages_;

  // NOTE: two pinned metadata buffers taken in turn, so the host writes one step's while the
  // previous step's upload may still be queued behind a running step (meta_uploaded_).
  uint8_t* meta_bufs_[2] = {nullptr, nullptr};
  cudaEvent_t meta_uploaded_[2] = {nullptr, nullptr};
  int meta_slot_ = 0;
  uint8_t* meta_host_ = nullptr;  // the buffer being written: meta_bufs_[meta_slot_]
  DeviceBuffer<uint8_t> meta_dev_;
  size_t meta_capacity_ = 0;
  int32_t* sampled_host_ = nullptr;  // pinned (2 max_logit_rows): copy_draws

  // start_sample's steps. A launched decode step's draws land in pipe_ids_[slot] (pinned,
  // 2 max_batch: copy_draws) when pipe_done_[slot] fires; ws_.sampled still holds them on the
  // device until another step samples (last_on_device_), so the next step's kSampledToken reads
  // them there.
  struct Started {
    std::vector<int> seqs;  // chunk order
    Draws draws;            // chunk order, once ready
    bool ready = false;
    int slot = -1;  // pipe slot while not ready
  };
  // The last started step's ids on the host (waiting for them if needed): sequence -> id.
  std::map<int, int> last_ids_on_host();
  void collect(Started& s);
  std::deque<std::shared_ptr<Started>> started_;  // unfinished, oldest first
  std::shared_ptr<Started> last_started_;
  bool last_on_device_ = false;
  int64_t device_fed_steps_ = 0;
  int32_t* pipe_ids_[2] = {nullptr, nullptr};
  cudaEvent_t pipe_done_[2] = {nullptr, nullptr};

  struct Graph {
    cudaGraphExec_t exec = nullptr;
  };
  std::map<std::pair<int, int>, Graph> graphs_;  // (padded batch, table width)
  std::map<int, int> graph_kernels_;             // padded batch -> kernel nodes, last captured
};

}  // namespace moebench

#endif  // MOEBENCH_HAVE_CUDA
