// ModelWeights, model_weights_load and model_weights_for_each: checks a checkpoint's tensors
// against model_tensor_specs (missing, unused and misshaped tensors are errors), then converts to
// f32; or generates a dummy checkpoint's tensors from its seed.
#include "backends/builtin/checkpoint/model_weights.h"

#include <cctype>
#include <cmath>
#include <nlohmann/json.hpp>
#include <set>

#include "backends/builtin/checkpoint/random_init.h"
#include "backends/builtin/checkpoint/safetensors.h"
#include "common/error.h"
#include "common/json_file.h"

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

int64_t numel_of(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

// Each tensor as `model init` with the same seed, std and dtype would have written it.
void for_each_dummy(const DummyWeights& d, const std::vector<TensorSpec>& specs,
                    const std::function<void(const TensorSpec&, const float*)>& fn) {
  std::vector<float> buf;  // (numel) of the current tensor only
  for (const TensorSpec& spec : specs) {
    buf.resize(static_cast<size_t>(numel_of(spec.shape)));
    fill_parallel(init_kind(spec.name), init_tensor_key(d.seed, spec.name), d.std, 0,
                  static_cast<int64_t>(buf.size()), buf.data());
    if (d.dtype == "bf16") {
      for (float& v : buf) v = bf16_to_f32(f32_to_bf16(v));
    }
    fn(spec, buf.data());
  }
}

void for_each_safetensors(const std::filesystem::path& dir, const ModelConfig& config,
                          const std::vector<TensorSpec>& specs,
                          const std::function<void(const TensorSpec&, const float*)>& fn) {
  const SafetensorsCheckpoint ck = SafetensorsCheckpoint::open(dir);
  check_checkpoint(ck, specs, config);
  for (const TensorSpec& spec : specs) {
    const auto* e = ck.find(spec.name);
    Tensor t = e->file->read_f32(*e->info);
    if (e->info->dtype == StDtype::f8_e4m3) {
      const auto* s = ck.find(spec.name + kScaleSuffix);
      fp8_block_dequant(t, s->file->read_f32(*s->info), s->file->path(), spec.name);
    }
    fn(spec, t.data.data());
  }
}

// The validated fields of a parsed dummy_weights.json; `where` is its path.
DummyWeights dummy_weights_parse(const nlohmann::json& j, const std::string& where) {
  if (!j.is_object()) throw input_error(where, "expected a JSON object");
  for (const auto& [key, value] : j.items()) {
    if (key != "format" && key != "seed" && key != "std" && key != "dtype") {
      throw input_error(where, "unknown field '" + key + "' (format, seed, std, dtype)");
    }
  }
  if (!j.contains("format") || j["format"] != kDummyWeightsFormat) {
    throw input_error(where, std::string("field 'format' must be \"") + kDummyWeightsFormat + "\"");
  }
  DummyWeights d;
  if (!j.contains("seed") || !j["seed"].is_number_unsigned()) {
    throw input_error(where, "field 'seed' must be a non-negative integer");
  }
  d.seed = j["seed"].get<uint64_t>();
  if (!j.contains("std") || !j["std"].is_number() || !std::isfinite(j["std"].get<double>()) ||
      j["std"].get<double>() <= 0) {
    throw input_error(where, "field 'std' must be a finite number > 0");
  }
  d.std = j["std"].get<double>();
  if (j.contains("dtype")) {
    if (j["dtype"] != "f32" && j["dtype"] != "bf16") {
      throw input_error(where, "field 'dtype' must be \"f32\" or \"bf16\"");
    }
    d.dtype = j["dtype"].get<std::string>();
  }
  return d;
}

}  // namespace

std::optional<DummyWeights> dummy_weights_read(const std::filesystem::path& dir) {
  const std::filesystem::path path = dir / kDummyWeightsFile;
  if (!std::filesystem::exists(path)) return std::nullopt;
  const nlohmann::json j = json_read_file(path, path.string(), "cannot open", "not valid JSON");
  return dummy_weights_parse(j, path.string());
}

void model_weights_for_each(
    const std::filesystem::path& dir, const ModelConfig& config,
    const std::function<void(const TensorSpec& spec, const float* data)>& fn) {
  const std::vector<TensorSpec> specs = model_tensor_specs(config);
  const std::optional<DummyWeights> dummy = dummy_weights_read(dir);
  if (!dummy) return for_each_safetensors(dir, config, specs, fn);
  for (const char* other : {"model.safetensors", "model.safetensors.index.json"}) {
    if (std::filesystem::exists(dir / other)) {
      throw input_error((dir / kDummyWeightsFile).string(),
                        std::string("the directory also holds ") + other +
                            ": two weight sources; remove one of them");
    }
  }
  for_each_dummy(*dummy, specs, fn);
}

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
  ModelWeights w;
  model_weights_for_each(dir, config, [&](const TensorSpec& spec, const float* data) {
    Tensor t;
    t.shape = spec.shape;
    t.data.assign(data, data + numel_of(spec.shape));
    w.add(spec.name, std::move(t));
  });
  return w;
}

}  // namespace moebench
