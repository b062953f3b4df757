// BuiltinModel: a loaded checkpoint directory (config, tokenizer, chat format) on an Engine (CPU or
// CUDA), with continuous-batching generation (sampling, stop strings, streaming) and continuation
// scoring.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "backends/builtin/checkpoint/model_config.h"
#include "backends/builtin/engine/engine.h"
#include "backends/builtin/engine/sampler.h"
#include "backends/builtin/engine_select.h"
#include "backends/builtin/tokenizer/chat_format.h"
#include "backends/builtin/tokenizer/tokenizer.h"

namespace moebench {

// How many sequences decode together and how many tokens one engine step may hold.
struct GenerateLimits {
  int max_active = 64;         // sequences in flight (the CUDA engine's max_batch)
  int max_step_tokens = 8192;  // tokens per step: longer prompts prefill over several steps
  int64_t max_kv_tokens = 0;   // KV positions generation may reserve, 0 = the engine's whole pool
  // Engine steps started before the oldest one's ids are read: 1 (each step's ids read before the
  // next starts), 2 (the next decode step starts while this one runs; a sequence that stopped is
  // dropped one step late; on CUDA the ids feed the next step on the device) or 0, the engine's
  // choice (Engine::steps_in_flight: 2 on CUDA).
  // NOTE: 1 by default until a device run has verified CUDA's launches ahead (--backend-opt
  // overlap=true asks for 2).
  int steps_in_flight = 1;
  void validate() const;  // InputError naming the field
};

// Thrown where a forward pass's logits hold NaN or infinity: one line naming the checkpoint.
class NonFiniteLogits : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct BuiltinLoadOptions {
  int threads = 0;              // CPU engine threads, 0 = all cores
  std::string device = "auto";  // auto | cpu | cuda | cuda:N
  GenerateLimits limits;
  KernelSet kernels = KernelSet::separate;  // CUDA: CudaEngineOptions::kernels
  bool programmatic_launch = false;         // CUDA: CudaEngineOptions::programmatic_launch
};

struct GenerateRequest {
  std::vector<int> prompt;  // token ids (at least one)
  int max_tokens = 256;
  SamplingParams sampling;
  std::vector<std::string> stop;  // the text is cut before the first of these
  bool ignore_eos = false;        // vLLM's: EOS does not end the generation (benchmarks)
  // Reasoning: the prompt opened a <think> span (the chat template), so the generation starts
  // inside it. Stop strings are looked for only after the thinking (common/thinking.h).
  bool starts_in_thinking = false;
  int thinking_budget = 0;  // > 0: a generation still thinking after this many tokens stops
};

struct GenerateResult {
  std::string text;
  std::vector<int> tokens;  // generated ids (the stop token or string included)
  // "stop" (EOS or stop string) | "length" | "interrupted" | "cancelled" | "error" (a request
  // that joined a running call and could not run: `error` says why)
  std::string finish_reason;
  std::string error;
  bool non_finite = false;  // the error: the logits a token was drawn from held NaN or infinity
  int thinking_tokens = 0;  // generated while thinking (up to and with the closing tag)
  double thinking_s = 0;    // from the start until the thinking closed (0: none)
  double ttft_s = 0;        // until the first token was sampled
  double total_s = 0;
};

// Log-probabilities along a token sequence, as OpenAI's echo + logprobs report a prompt's.
struct TokenLogprobs {
  std::vector<double> logprob;  // (n) log p(ids[i] | ids[0..i)); logprob[0] is NaN (no context)
  // (n) the top_n most likely tokens at each position as (id, log p), best first; top[0] empty
  std::vector<std::vector<std::pair<int, double>>> top;
};

// Called with (request index, new text) as complete UTF-8 text becomes final (never text that a
// stop string might still cut).
using TextCallback = std::function<void(size_t, const std::string&)>;

// What generate() tells its caller while it runs, and how it is told to stop.
struct GenerateCallbacks {
  TextCallback on_text;  // (request index, new text)
  // (request index, its result) the moment a request finished: as it ends, or at the start for
  // one with max_tokens 0, or at the end for one never admitted because of should_stop.
  std::function<void(size_t, const GenerateResult&)> on_done;
  // Polled before each admission: true admits no more requests; those never admitted end with
  // finish_reason "interrupted" (no tokens), the running ones finish.
  std::function<bool()> should_stop;
  // Polled before each admission while a sequence slot is free and no request waits: requests
  // that join the running call (a server's new arrivals), indexed after the given ones in the
  // order returned. One that cannot run (an empty prompt, too long, bigger than the KV cache) ends
  // alone through on_done with finish_reason "error". Their results follow the given ones'.
  std::function<std::vector<GenerateRequest>()> more;
  // Polled before each step for every unfinished request: true ends it with finish_reason
  // "cancelled" (a client that went away), keeping the text generated so far, and frees its cache.
  std::function<bool(size_t)> cancelled;
};

class BuiltinModel {
 public:
  static std::unique_ptr<BuiltinModel> load(const std::filesystem::path& dir,
                                            const BuiltinLoadOptions& options = {});

  const ModelConfig& config() const { return config_; }
  const Tokenizer& tokenizer() const { return *tokenizer_; }
  const std::optional<ChatFormat>& chat_format() const { return chat_; }
  // Why chat_format() is empty: no chat_template, or one no format matches (its error, naming
  // tokenizer_config.json). "" when there is a format.
  const std::string& no_chat_reason() const { return no_chat_reason_; }
  const std::filesystem::path& dir() const { return dir_; }
  const Engine& engine() const { return *engine_.engine; }
  std::string device_name() const { return engine_.engine->device_name(); }
  const GenerateLimits& limits() const { return limits_; }
  // KV positions free for new sequences: the engine's, capped by limits().max_kv_tokens less
  // `reserved` (what admitted sequences hold back).
  int64_t kv_free(int64_t reserved) const;
  // KV positions a sequence of `tokens` may occupy (the cache's allocation granule included).
  int64_t kv_need(int64_t tokens) const { return tokens + engine_.kv_page_tokens - 1; }
  // Lowers the limits below the ones loaded with (the CUDA engine sized its buffers for those).
  void set_limits(const GenerateLimits& limits);
  const std::string& name() const { return name_; }
  int max_context() const;
  // The one-line error of a forward pass whose logits held NaN or an infinity at `where`, naming
  // the checkpoint (GenerateResult::error, LoglikResult::error, NonFiniteLogits).
  std::string non_finite_error(const std::string& where) const;

  // Prompt ids of a chat (the family's template, generation prompt appended). InputError
  // (no_chat_reason()) when the checkpoint has no chat format.
  std::vector<int> encode_chat(const std::vector<ChatMessage>& messages) const;
  // True when a chat prompt ends inside a thinking span its template opened (R1's "<think>\n"):
  // the generation starts in the thinking (GenerateRequest::starts_in_thinking).
  bool chat_opens_thinking(const std::vector<int>& prompt) const;
  std::vector<int> encode_text(const std::string& text, bool add_special) const;

  // Continuous batching: requests wait in order; up to max_active run at once, admitted while the
  // engine's KV cache has room for prompt + max_tokens of every admitted one. Each step runs one
  // sampled forward over the new prompts' (last) prefill chunks and one decode token per running
  // sequence; finished ones leave and free their cache. Greedy results do not depend on the
  // limits. InputError for an empty prompt, one that does not fit the context, or a request too
  // big for the whole KV cache (naming its index). Not thread-safe: one caller at a time (the
  // server serializes through its scheduler).
  std::vector<GenerateResult> generate(const std::vector<GenerateRequest>& requests,
                                       const TextCallback& on_text = {});
  std::vector<GenerateResult> generate(std::vector<GenerateRequest> requests,
                                       const GenerateCallbacks& callbacks);

  // Summed log-probability of each continuation after its context, as lm-eval's HF model
  // computes it: a context's trailing whitespace (Python's rstrip) moves to the continuation,
  // context+continuation is encoded whole, and the continuation is the tokens past the context's
  // own encoding; an empty context is the prefix token (BOS, else EOS). A context that does not
  // fit is cut from the left per continuation as lm-eval's _loglikelihood_tokens does (context +
  // continuation keeps its last max_context() + 1 tokens). The contexts of a batch are prefilled
  // together once; the j-th continuations of all items then run together.
  struct LoglikItem {
    std::string context;
    std::vector<std::string> continuations;
    // lm-eval's add_bos_token: every encoding adds the tokenizer's special tokens (the BOS).
    bool add_special = false;
  };
  struct LoglikResult {
    std::vector<double> logliks;  // one per continuation
    long prompt_tokens = 0;       // tokens run through the model for this item
    bool interrupted = false;     // never run: should_stop was true before its group
    long truncated_tokens = 0;    // context tokens dropped from the start to fit (lm-eval's rule)
    // Non-empty: a log-likelihood came out NaN or infinite (the forward pass's logits did), one
    // line naming the checkpoint; logliks are then not scores.
    std::string error;
  };
  struct LoglikCallbacks {
    std::function<void(size_t, const LoglikResult&)> on_done;  // as each group finishes
    std::function<bool()> should_stop;                         // polled before each group
  };
  // Items run in groups of at most max_active whose tokens fit the KV cache.
  std::vector<LoglikResult> loglikelihood(const std::vector<LoglikItem>& items,
                                          const LoglikCallbacks& callbacks = {});

  // Every position's log-probability of a token sequence and its top_n alternatives, from one
  // sequence run in steps (of max_step_tokens, fewer for a large vocabulary) with all positions'
  // logits. InputError for an empty
  // sequence, an id outside the vocabulary, or one longer than the context or the free KV cache.
  TokenLogprobs prompt_logprobs(const std::vector<int>& ids, int top_n);

 private:
  BuiltinModel() = default;
  bool is_eos(int id) const;
  // One prefill of a loglikelihood item: a context and the continuations scored after it. An item
  // whose context fits beside its longest continuation is one unit; one that does not is a unit
  // per continuation, each context cut on its own (lm-eval's rule).
  struct LoglikUnit {
    size_t item = 0;
    std::vector<int> context;
    std::vector<size_t> choices;          // continuation indices in the item
    std::vector<std::vector<int>> conts;  // their ids
  };
  // The units of every item in order (lm-eval's _encode_pair, then its truncation: each
  // context + continuation keeps its last max_context() + 1 tokens, the last one not fed;
  // results[i].truncated_tokens is the most any of item i's contexts lost).
  std::vector<LoglikUnit> loglik_encode(const std::vector<LoglikItem>& items,
                                        std::vector<LoglikResult>* results) const;
  void loglik_group(const std::vector<LoglikUnit>& units, size_t begin, size_t end,
                    std::vector<LoglikResult>& results);

  std::filesystem::path dir_;
  std::string name_;
  ModelConfig config_;
  std::unique_ptr<Tokenizer> tokenizer_;
  std::optional<ChatFormat> chat_;
  LoadedEngine engine_;
  GenerateLimits loaded_limits_, limits_;
  std::vector<int> eos_ids_;
  int prefix_id_ = 0;  // lm-eval's prefix_token_id: what an empty context is scored after
  std::string no_chat_reason_;
};

// A checkpoint's name (BuiltinModel::name(), in the backend id): its directory's.
std::string builtin_model_name(const std::filesystem::path& dir);

}  // namespace moebench
