// `moebench model init`: writes a random-weight HF checkpoint directory (config.json,
// model.safetensors, generation_config.json, tokenizer.json, tokenizer_config.json) for any
// family and size preset, loadable by model_weights_load and by transformers.
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "backends/builtin/model_config.h"

namespace moebench {

struct ModelInitOptions {
  ModelFamily family = ModelFamily::deepseek_v3;
  // tiny: CI (~1 MB, f32); small: a few hundred MB; v2-lite: the DeepSeek-V2-Lite shape (exact
  // for the deepseek families, the nearest analogue for the others; ~31 GB in bf16).
  std::string preset = "tiny";
  std::filesystem::path out_dir;
  uint64_t seed = 0;
  // "f32" or "bf16"; empty = the preset's default: f32 for tiny (exact CPU-vs-reference tests),
  // bf16 otherwise (the dtype real checkpoints ship in; halves the disk size).
  std::string dtype;
  // HF config.json keys merged over the preset (JSON merge patch), e.g. {"num_hidden_layers": 2}.
  nlohmann::json overrides = nlohmann::json::object();
  // Text the tokenizer's merges are learned from: every file under this directory except *.gz,
  // concatenated in path order (the CLI passes <source>/tasks/samples). Required.
  std::filesystem::path training_text_dir;
  bool force = false;  // write into a non-empty out_dir (replacing the checkpoint files)
};

struct ModelInitResult {
  ModelConfig config;
  int64_t params = 0;  // elements over every tensor written
  uint64_t safetensors_bytes = 0;
  uint64_t total_bytes = 0;  // every file written
};

// Writes the checkpoint; throws InputError for an unknown preset, a bad dtype, overrides that
// make an invalid config, or an output directory that is not empty (unless force).
ModelInitResult model_init_write(const ModelInitOptions& options);

// "tiny", "small", "v2-lite".
std::vector<std::string> model_preset_names();
// The HF config.json a preset describes for a family (model_type, architectures and every
// architecture key; bos/eos ids assume the family's special tokens at the top of the vocab, as
// model_init_write's tokenizer places them). Throws InputError for an unknown preset.
nlohmann::json model_preset_config(ModelFamily family, const std::string& preset);
// Parameters of a config: the element count over model_tensor_specs.
int64_t model_param_count(const ModelConfig& config);

}  // namespace moebench
