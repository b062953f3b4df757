// ModelWeights and model_weights_load: checks a checkpoint's tensors against
// model_tensor_specs (missing, unused and misshaped tensors are errors), then converts to f32.
#include "backends/builtin/model_weights.h"

#include <cctype>
#include <set>

#include "backends/builtin/safetensors.h"
#include "common/error.h"

namespace moebench {

namespace {

constexpr const char* kScaleSuffix = "_scale_inv";  // "X.weight" -> "X.weight_scale_inv"

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// DECISION: DeepSeek-V3 checkpoints carry num_nextn_predict_layers multi-token-prediction
// modules as model.layers.{num_layers ..}. HF skips them on load (_keys_to_ignore_on_load_
// unexpected) and so do we: the engine does no speculative decoding, and loading them would
// cost memory (an MTP layer is a full MoE layer). Only that exact index range is tolerated.
bool is_mtp_tensor(const ModelConfig& c, const std::string& name) {
  if (c.family != ModelFamily::deepseek_v3 || c.num_nextn_predict_layers <= 0) return false;
  const std::string prefix = "model.layers.";
  if (name.compare(0, prefix.size(), prefix) != 0) return false;
  size_t pos = prefix.size();
  int64_t layer = 0;
  size_t digits = 0;
  while (pos < name.size() && std::isdigit(static_cast<unsigned char>(name[pos])) && digits < 9) {
    layer = layer * 10 + (name[pos++] - '0');
    ++digits;
  }
  if (digits == 0 || pos >= name.size() || name[pos] != '.') return false;
  return layer >= c.num_layers && layer < c.num_layers + c.num_nextn_predict_layers;
}

// Tensors that may be present without being used: MTP layers (above), the fp8 scales of those,
// and rotary inv_freq buffers that old exports saved (they are recomputed from the config).
bool tolerated_unused(const ModelConfig& c, const std::string& name) {
  if (is_mtp_tensor(c, name)) return true;
  return ends_with(name, ".rotary_emb.inv_freq");
}

std::string shape_text(const std::vector<int64_t>& shape) {
  Tensor t;
  t.shape = shape;
  return t.shape_str();
}

// Pass 1 (no data read): every spec'd tensor present with its exact shape, fp8 weights with
// their scales, nothing left over. Returns the names of the scales used.
std::set<std::string> check_checkpoint(const SafetensorsCheckpoint& ck,
                                       const std::vector<TensorSpec>& specs, const ModelConfig& c) {
  std::set<std::string> used;
  for (const TensorSpec& spec : specs) {
    const auto* e = ck.find(spec.name);
    if (!e) {
      throw input_error(ck.where(), "missing tensor '" + spec.name + "' (expected shape " +
                                        shape_text(spec.shape) + " for the " +
                                        model_family_name(c.family) + " config)");
    }
    if (e->info->shape != spec.shape) {
      throw input_error(e->file->path(), "tensor '" + spec.name + "' has shape " +
                                             e->info->shape_str() + ", expected " +
                                             shape_text(spec.shape));
    }
    used.insert(spec.name);
    if (e->info->dtype != StDtype::f8_e4m3) continue;
    const std::string scale = spec.name + kScaleSuffix;
    const auto* s = ck.find(scale);
    if (!s) {
      throw input_error(e->file->path(), "tensor '" + spec.name +
                                             "' is F8_E4M3 but its block "
                                             "scales '" +
                                             scale + "' are missing");
    }
    if (s->info->dtype == StDtype::f8_e4m3) {
      throw input_error(s->file->path(),
                        "tensor '" + scale + "' must be a float scale, not F8_E4M3");
    }
    used.insert(scale);
  }
  std::string first;
  size_t extra = 0;
  for (const auto& [name, e] : ck.entries()) {
    if (used.count(name) || tolerated_unused(c, name)) continue;
    if (first.empty()) {
      first = name;
    } else {
      ++extra;
    }
  }
  if (!first.empty()) {
    throw input_error(ck.find(first)->file->path(),
                      "unused tensor '" + first + "' (not part of the " +
                          model_family_name(c.family) + " architecture in config.json)" +
                          (extra ? " and " + std::to_string(extra) + " more" : ""));
  }
  return used;
}

}  // namespace

const Tensor* ModelWeights::find(const std::string& name) const {
  auto it = tensors_.find(name);
  return it == tensors_.end() ? nullptr : &it->second;
}

const Tensor& ModelWeights::get(const std::string& name) const {
  const Tensor* t = find(name);
  if (!t) throw input_error("model weights", "no tensor '" + name + "'");
  return *t;
}

void ModelWeights::add(const std::string& name, Tensor t) { tensors_[name] = std::move(t); }

ModelWeights model_weights_load(const std::filesystem::path& dir, const ModelConfig& config) {
  const SafetensorsCheckpoint ck = SafetensorsCheckpoint::open(dir);
  const std::vector<TensorSpec> specs = model_tensor_specs(config);
  check_checkpoint(ck, specs, config);
  ModelWeights w;
  for (const TensorSpec& spec : specs) {
    const auto* e = ck.find(spec.name);
    Tensor t = e->file->read_f32(*e->info);
    if (e->info->dtype == StDtype::f8_e4m3) {
      const auto* s = ck.find(spec.name + kScaleSuffix);
      fp8_block_dequant(t, s->file->read_f32(*s->info), s->file->path(), spec.name);
    }
    w.add(spec.name, std::move(t));
  }
  return w;
}

}  // namespace moebench
