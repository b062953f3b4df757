// Engine: the forward pass behind BuiltinModel, on the CPU (CpuEngine, the reference) or a CUDA
// GPU (engine_cuda.h). Sequences own a KV cache; a forward runs prefill and decode chunks mixed.
#pragma once

#include <cstdint>
#include <deque>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "backends/builtin/checkpoint/model_config.h"
#include "backends/builtin/engine/sampler.h"

namespace moebench {

// One sequence's slice of a forward batch: new tokens appended after what its cache holds.
struct EngineChunk {
  int seq = 0;              // from Engine::new_sequence()
  std::vector<int> tokens;  // appended at positions cache_len .. cache_len + tokens.size() - 1
  bool all_logits = false;  // logits for every appended position, else only for the last one
};

// A chunk token given to start_sample that stands for the id the previous start_sample drew for
// the chunk's sequence: the next decode step can start before that id reaches the host.
inline constexpr int kSampledToken = -1;
// The id forward_sample / finish_sample give for a chunk whose logits held NaN or an infinity,
// from an engine that samples on the device (its draw is no token of the model; the caller ends
// the sequence with an error). The host sampler says the same through Sampler::saw_non_finite.
inline constexpr int kNonFiniteDraw = -2;

class Engine {
 public:
  virtual ~Engine() = default;

  virtual int new_sequence() = 0;
  virtual void free_sequence(int seq) = 0;
  virtual int cache_len(int seq) const = 0;
  // Drops cached positions >= len (to reuse a shared prefix).
  virtual void truncate(int seq, int len) = 0;

  // Runs every chunk (prefill or decode, mixed) and returns logits rows, (rows, vocab) flattened:
  // for each chunk in order, tokens.size() rows when all_logits, else one row.
  virtual std::vector<float> forward(const std::vector<EngineChunk>& chunks) = 0;

  // Runs the chunks and draws one token per chunk from its last position with samplers[i]
  // (all_logits is ignored). The default runs forward() and samples on the host; a GPU engine
  // samples on the device and only the ids come back.
  virtual std::vector<int> forward_sample(const std::vector<EngineChunk>& chunks,
                                          const std::vector<Sampler*>& samplers);

  // forward_sample in two halves, so the next step can be started before this one's ids are read:
  // start_sample(chunks, samplers) starts it (a token kSampledToken is the id the previous
  // start_sample drew for that sequence, which must have been in it), finish_sample() returns the
  // ids of the oldest started, unfinished step in chunk order. At most two steps are unfinished:
  // start, start, finish, start, finish, ... The default runs forward_sample at once; the CUDA
  // engine launches a decode step and returns, feeding sampled ids to the next step on the device.
  // Throws std::invalid_argument for a kSampledToken without a previous draw, std::logic_error
  // for a third unfinished step or a finish with none.
  virtual void start_sample(const std::vector<EngineChunk>& chunks,
                            const std::vector<Sampler*>& samplers);
  virtual std::vector<int> finish_sample();
  // Unfinished steps start_sample allows before a finish_sample: 1 when a step's ids are ready as
  // start_sample returns (nothing to overlap), 2 when the engine runs them asynchronously.
  virtual int steps_in_flight() const { return 1; }
  // Steps start_sample launched with their kSampledToken ids read on the device, never crossing to
  // the host (0 where the engine resolves them on the host).
  virtual int64_t device_fed_steps() const { return 0; }

  // KV positions that can still be cached across all sequences (admission control for
  // continuous batching); the CPU engine has no fixed pool.
  virtual int64_t free_kv_tokens() const { return std::numeric_limits<int64_t>::max(); }

  // Longest sequence (cached + new tokens) the engine holds: the model's context unless the
  // engine caps it (the CUDA engine's KV pool and max_context option).
  virtual int max_context() const { return config().max_position_embeddings; }

  // Kernels in one decode step of `batch` sequences as last captured in a CUDA graph (its kernel
  // nodes: the launches per step, for the profile); 0 when none was captured (the CPU engine).
  virtual int decode_step_kernels(int /*batch*/) const { return 0; }

  // "cpu" or "cuda:0 (NVIDIA H100 80GB HBM3)".
  virtual std::string device_name() const = 0;

  virtual const ModelConfig& config() const = 0;

 protected:
  // chunks with each kSampledToken replaced by the id the previous start_sample drew for its
  // sequence (last_ids); std::invalid_argument naming the chunk when there is none.
  static std::vector<EngineChunk> resolve_sampled(const std::vector<EngineChunk>& chunks,
                                                  const std::map<int, int>& last_ids,
                                                  const char* who);
  // Checks a start against the unfinished count (std::logic_error past `most`).
  static void check_in_flight(size_t unfinished, size_t most, const char* who);
  // One sampler per chunk, none null (std::invalid_argument naming the count or the index).
  static void check_samplers(size_t n_chunks, const std::vector<Sampler*>& samplers,
                             const char* who);

 private:
  std::map<int, int> last_ids_;        // sequence -> the id the last start_sample drew
  std::deque<std::vector<int>> done_;  // started steps' ids, oldest first
};

}  // namespace moebench
