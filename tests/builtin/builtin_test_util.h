// Tiny `model init` checkpoints for the builtin and serve tests, broken ones among them: one whose
// forward pass gives NaN logits (a tensor overwritten with NaN, as an overflowing bf16 checkpoint
// behaves), one whose tokenizer holds more ids than config.json's vocab_size; and a continuation's
// log-likelihood from one plain forward pass.
#pragma once

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "backends/builtin/builtin_model.h"
#include "backends/builtin/checkpoint/model_init.h"
#include "backends/builtin/engine/cpu/engine_cpu.h"
#include "tests/runner/cli_harness.h"

namespace moebench::testing {

// A tiny f32 checkpoint of `family` under a directory of its own named by tag.
inline std::filesystem::path tiny_checkpoint(const std::string& family, const std::string& tag,
                                             const nlohmann::json& overrides = {}) {
  ModelInitOptions o;
  o.family = model_family_parse(family, "test");
  o.preset = "tiny";
  o.dtype = "f32";
  if (overrides.is_object()) o.overrides.update(overrides);
  o.out_dir = temp_dir("broken-" + tag) / "model";
  o.training_text_dir = std::filesystem::path(MOEBENCH_SOURCE_DIR) / "tasks/samples";
  o.force = true;
  model_init_write(o);
  return o.out_dir;
}

// Overwrites every value of tensor `name` in dir/model.safetensors with NaN.
inline void poison_tensor(const std::filesystem::path& dir, const std::string& name) {
  const std::filesystem::path file = dir / "model.safetensors";
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  uint64_t header_len = 0;
  f.read(reinterpret_cast<char*>(&header_len), 8);
  std::string header(header_len, '\0');
  f.read(header.data(), static_cast<std::streamsize>(header_len));
  const nlohmann::json t = nlohmann::json::parse(header).at(name);
  const std::string dtype = t.at("dtype");
  const uint64_t begin = t.at("data_offsets")[0], end = t.at("data_offsets")[1];
  if (dtype != "F32") throw std::runtime_error("poison_tensor: " + name + " is " + dtype);
  const uint32_t nan_bits = 0x7fc00000u;
  f.seekp(static_cast<std::streamoff>(8 + header_len + begin));
  for (uint64_t at = begin; at < end; at += 4) f.write(reinterpret_cast<const char*>(&nan_bits), 4);
}

// A tiny checkpoint of `family` whose final norm is NaN: every logit of every forward is NaN.
inline std::filesystem::path nan_checkpoint(const std::string& family) {
  const std::filesystem::path dir = tiny_checkpoint(family, "nan-" + family);
  poison_tensor(dir, "model.norm.weight");
  return dir;
}

// A tiny checkpoint of config vocab_size 600 holding the 1024-token tokenizer of the default tiny
// one (ids 600..1023 have no embedding row).
inline std::filesystem::path vocab_short_checkpoint(const std::string& family) {
  const std::filesystem::path full = tiny_checkpoint(family, "vocab-full-" + family);
  const std::filesystem::path dir =
      tiny_checkpoint(family, "vocab-short-" + family, {{"vocab_size", 600}});
  for (const char* f : {"tokenizer.json", "tokenizer_config.json"}) {
    std::filesystem::copy_file(full / f, dir / f,
                               std::filesystem::copy_options::overwrite_existing);
  }
  return dir;
}

// Summed log-probability of `cont` after `ctx` from one plain forward with every position's logits.
inline double direct_loglik(BuiltinModel& m, const std::vector<int>& ctx,
                            const std::vector<int>& cont) {
  const ModelConfig& c = m.config();
  ModelWeights w = model_weights_load(m.dir(), c);
  CpuEngine engine(c, w, 1);
  std::vector<int> all = ctx;
  all.insert(all.end(), cont.begin(), cont.end() - 1);
  int seq = engine.new_sequence();
  std::vector<float> logits = engine.forward({{seq, all, true}});  // (all, vocab)
  double sum = 0;
  for (size_t t = 0; t < cont.size(); ++t) {
    sum += logprob_of(logits.data() + (ctx.size() - 1 + t) * c.vocab_size, c.vocab_size, cont[t]);
  }
  return sum;
}

}  // namespace moebench::testing
