// ModelWeights: every tensor of a checkpoint by its HF name, checked against the names and shapes
// the config implies, converted to f32 (bf16, f16, f32 and fp8 e4m3 with 128x128 block scales).
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "backends/builtin/model_config.h"
#include "backends/builtin/tensor.h"

namespace moebench {

// One tensor the config requires: HF name and shape.
struct TensorSpec {
  std::string name;
  std::vector<int64_t> shape;
};

// The full table of tensors a family's config requires, in a stable order (llama.cpp style: a
// missing, unused or misshaped tensor is an error naming it).
std::vector<TensorSpec> model_tensor_specs(const ModelConfig& config);

class ModelWeights {
 public:
  // Throws InputError naming the tensor when absent.
  const Tensor& get(const std::string& name) const;
  const Tensor* find(const std::string& name) const;
  void add(const std::string& name, Tensor t);
  const std::map<std::string, Tensor>& all() const { return tensors_; }

 private:
  std::map<std::string, Tensor> tensors_;
};

// Loads config.json's model from `dir` (model.safetensors or model.safetensors.index.json
// shards). Validates every tensor against model_tensor_specs: missing, unused (other than the
// fp8 `weight_scale_inv` companions) and misshaped tensors are one-line InputErrors.
ModelWeights model_weights_load(const std::filesystem::path& dir, const ModelConfig& config);

}  // namespace moebench
