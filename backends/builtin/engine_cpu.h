// CpuEngine: the reference forward pass of every built-in family (f32 compute, OpenBLAS matrix
// products, a KV cache per sequence). Simple and obviously right; the CUDA engine is checked
// against it.
#pragma once

#include <memory>
#include <vector>

#include "backends/builtin/model_config.h"
#include "backends/builtin/model_weights.h"

namespace moebench {

// One sequence's slice of a forward batch: new tokens appended after what its cache holds.
struct EngineChunk {
  int seq = 0;              // from CpuEngine::new_sequence()
  std::vector<int> tokens;  // appended at positions cache_len .. cache_len + tokens.size() - 1
  bool all_logits = false;  // logits for every appended position, else only for the last one
};

class CpuEngine {
 public:
  CpuEngine(const ModelConfig& config, const ModelWeights& weights, int threads = 0);
  ~CpuEngine();

  int new_sequence();
  void free_sequence(int seq);
  int cache_len(int seq) const;
  // Drops cached positions >= len (to reuse a shared prefix).
  void truncate(int seq, int len);

  // Runs every chunk (prefill or decode, mixed) and returns logits rows, (rows, vocab) flattened:
  // for each chunk in order, tokens.size() rows when all_logits, else one row.
  std::vector<float> forward(const std::vector<EngineChunk>& chunks);

  const ModelConfig& config() const { return config_; }

 private:
  struct Impl;
  ModelConfig config_;  // a copy: callers may pass a temporary
  std::unique_ptr<Impl> impl_;
};

}  // namespace moebench
