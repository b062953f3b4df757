// ModelWeights: every tensor of a checkpoint by its HF name, checked against the names and shapes
// the config implies, converted to f32 (bf16, f16, f32 and fp8 e4m3 with 128x128 block scales).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "backends/builtin/checkpoint/model_config.h"
#include "backends/builtin/checkpoint/tensor.h"

namespace moebench {

// One tensor the config requires: HF name and shape.
struct TensorSpec {
  std::string name;
  std::vector<int64_t> shape;
};

// The full table of tensors a family's config requires, in a stable order (llama.cpp style: a
// missing, unused or misshaped tensor is an error naming it).
std::vector<TensorSpec> model_tensor_specs(const ModelConfig& config);
// Parameters of a config: the element count over model_tensor_specs.
int64_t model_param_count(const ModelConfig& config);

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

// Calls fn for every tensor of model_tensor_specs(config), in spec order, with its values
// converted to f32 (data has the spec's element count and is valid only during the call). One
// tensor is in memory at a time. A safetensors checkpoint is validated first exactly as by
// model_weights_load; a dummy one (dummy_weights.json) is generated with fill_parallel, rounded
// to its dtype, so it yields what `model init --weights random` would have written.
void model_weights_for_each(
    const std::filesystem::path& dir, const ModelConfig& config,
    const std::function<void(const TensorSpec& spec, const float* data)>& fn);

// dummy_weights.json: {"format": "moebench-dummy", "seed": S, "std": 0.02, "dtype": "bf16"}.
inline constexpr const char* kDummyWeightsFile = "dummy_weights.json";
inline constexpr const char* kDummyWeightsFormat = "moebench-dummy";

struct DummyWeights {
  uint64_t seed = 0;
  double std = 0.02;  // normal std of matrices (config.json initializer_range)
  // "f32" or "bf16" (optional in the file, default f32): the values are rounded to it, as the
  // safetensors `model init` writes would hold them.
  std::string dtype = "f32";
};

// The dummy description of `dir`, or nullopt when it has no dummy_weights.json. Throws InputError
// naming the file and the field for bad JSON, a wrong format, or a missing or invalid field.
std::optional<DummyWeights> dummy_weights_read(const std::filesystem::path& dir);

}  // namespace moebench
