// CpuEngine: the reference forward pass of every built-in family (f32 compute, OpenBLAS matrix
// products, a KV cache per sequence). Simple and obviously right; the CUDA engine is checked
// against it.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "backends/builtin/checkpoint/model_config.h"
#include "backends/builtin/checkpoint/model_weights.h"
#include "backends/builtin/engine/engine.h"

namespace moebench {

class CpuEngine : public Engine {
 public:
  CpuEngine(const ModelConfig& config, const ModelWeights& weights, int threads = 0);
  ~CpuEngine() override;

  int new_sequence() override;
  void free_sequence(int seq) override;
  int cache_len(int seq) const override;
  void truncate(int seq, int len) override;
  std::vector<float> forward(const std::vector<EngineChunk>& chunks) override;
  std::string device_name() const override { return "cpu"; }
  const ModelConfig& config() const override { return config_; }

 private:
  struct Impl;
  ModelConfig config_;  // a copy: callers may pass a temporary
  std::unique_ptr<Impl> impl_;
};

}  // namespace moebench
