// BuiltinModel: a loaded checkpoint directory (config, weights, tokenizer, chat format) on the CPU
// engine, with batched generation (sampling, stop strings, streaming) and continuation scoring.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "backends/builtin/chat_format.h"
#include "backends/builtin/engine_cpu.h"
#include "backends/builtin/model_config.h"
#include "backends/builtin/model_weights.h"
#include "backends/builtin/sampler.h"
#include "backends/builtin/tokenizer.h"

namespace moebench {

struct BuiltinLoadOptions {
  int threads = 0;  // 0 = all cores
};

struct GenerateRequest {
  std::vector<int> prompt;  // token ids (at least one)
  int max_tokens = 256;
  SamplingParams sampling;
  std::vector<std::string> stop;  // the text is cut before the first of these
};

struct GenerateResult {
  std::string text;
  std::vector<int> tokens;    // generated ids (the stop token or string included)
  std::string finish_reason;  // "stop" (EOS or stop string) | "length"
  double ttft_s = 0;          // until the first token was sampled
  double total_s = 0;
};

// Called with (request index, new text) as complete UTF-8 text becomes final (never text that a
// stop string might still cut).
using TextCallback = std::function<void(size_t, const std::string&)>;

class BuiltinModel {
 public:
  static std::unique_ptr<BuiltinModel> load(const std::filesystem::path& dir,
                                            const BuiltinLoadOptions& options = {});

  const ModelConfig& config() const { return config_; }
  const Tokenizer& tokenizer() const { return *tokenizer_; }
  const std::optional<ChatFormat>& chat_format() const { return chat_; }
  const std::filesystem::path& dir() const { return dir_; }
  const std::string& name() const { return name_; }
  int max_context() const;

  // Prompt ids of a chat (the family's template, generation prompt appended). InputError when
  // the checkpoint has no chat template.
  std::vector<int> encode_chat(const std::vector<ChatMessage>& messages) const;
  std::vector<int> encode_text(const std::string& text, bool add_special) const;

  // All requests decode together, one batched forward per step. Not thread-safe: one caller at
  // a time (the server serializes through its scheduler).
  std::vector<GenerateResult> generate(const std::vector<GenerateRequest>& requests,
                                       const TextCallback& on_text = {});

  // Summed log-probability of each continuation after its context, as lm-eval computes it: a
  // context's trailing spaces move to the continuation, context+continuation is encoded whole,
  // and the continuation is the tokens past the context's own encoding. The contexts of a batch
  // are prefilled together once; the j-th continuations of all items then run together.
  struct LoglikItem {
    std::string context;
    std::vector<std::string> continuations;
  };
  struct LoglikResult {
    std::vector<double> logliks;  // one per continuation
    long prompt_tokens = 0;       // tokens run through the model for this item
  };
  std::vector<LoglikResult> loglikelihood(const std::vector<LoglikItem>& items);

 private:
  BuiltinModel() = default;
  bool is_eos(int id) const;

  std::filesystem::path dir_;
  std::string name_;
  ModelConfig config_;
  ModelWeights weights_;
  std::unique_ptr<Tokenizer> tokenizer_;
  std::optional<ChatFormat> chat_;
  std::unique_ptr<CpuEngine> engine_;
  std::vector<int> eos_ids_;
};

}  // namespace moebench
