// BuiltinBackend: the harness backend `builtin:<checkpoint dir>` on the built-in engine (CPU or
// CUDA): continuous-batching generation (completion or chat prompts) and continuation
// log-likelihoods.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "backends/backend.h"
#include "backends/backend_registry.h"
#include "backends/builtin/builtin_model.h"

namespace moebench {

struct BuiltinBackendOptions {
  int threads = 0;              // CPU engine threads, 0 = all cores
  std::string device = "auto";  // auto | cpu | cuda | cuda:N
  int max_batch = 64;           // sequences in flight (continuous batching)
  // Completion prompts and scored contexts: add the tokenizer's special tokens (lm-eval's
  // add_bos_token, off by default).
  bool add_bos = false;
  bool chat_only = false;  // send chat messages even when raw prompts are possible
  // Prompts longer than the context: refused (false, the default) or cut from the left to leave
  // room for max_tokens, as lm-eval's HF model does (truncate=left); the cut is recorded per
  // sample.
  bool truncate_left = false;
  // The CUDA engine's launches: kernels=fused|wgmma and pdl=true (model bench's --kernels,
  // --pdl). Separate, fused and pdl give the same values; wgmma is within bf16 tolerance.
  KernelSet kernels = KernelSet::separate;
  bool programmatic_launch = false;
  // overlap=true: generation starts each decode step before the previous one's ids are read
  // (GenerateLimits::steps_in_flight 2: on CUDA the host prepares step n + 1 while step n runs).
  // The same tokens; a sequence that stopped decodes one wasted step.
  bool overlap = false;
  // Polled while a call runs: true admits no more requests (SIGINT); those answer "interrupted".
  std::function<bool()> should_stop;
};

class BuiltinBackend : public Backend {
 public:
  BuiltinBackend(const std::filesystem::path& dir, const BuiltinBackendOptions& options);
  BackendInfo info() const override;
  std::string render(const Request& r) const override;
  std::vector<Response> run(const std::vector<Request>& batch) override;
  // Tells of each request as its generation (all n samples) or its log-likelihood group ends.
  std::vector<Response> run_streaming(const std::vector<Request>& batch,
                                      const ResponseSink& on_done) override;
  // Requests per run() call: several times the sequences in flight, so that finished sequences
  // are replaced from the queue instead of the batch draining to its slowest request.
  int max_batch() const override { return kCallsPerSlot * options_.max_batch; }
  int concurrency() const override { return 1; }

  BuiltinModel& model() { return *model_; }

 private:
  static constexpr int kCallsPerSlot = 8;
  std::vector<int> prompt_ids(const Request& r) const;
  // The prompt (left-truncated with truncate=left) and the tokens the request may generate; an
  // error text when it cannot run.
  std::string fit_prompt(const Request& r, GenerateRequest* g, long* truncated) const;
  void run_generation(const std::vector<Request>& batch, const std::vector<size_t>& which,
                      std::vector<Response>* out, const ResponseSink& on_done);
  void run_loglik(const std::vector<Request>& batch, const std::vector<size_t>& which,
                  std::vector<Response>* out, const ResponseSink& on_done);

  std::filesystem::path dir_;
  BuiltinBackendOptions options_;
  std::unique_ptr<BuiltinModel> model_;
  std::string fingerprint_;
  std::mutex mutex_;  // the engine runs one batch at a time
};

// A short content hash of a checkpoint directory (config, tokenizer and weight files), so the
// response cache never mixes two different checkpoints saved at the same path.
std::string builtin_checkpoint_fingerprint(const std::filesystem::path& dir);

// The backend id a BuiltinBackend of the checkpoint `dir` records on the CPU engine (the CUDA
// engine's adds "/cuda"): "builtin:<name>@<fingerprint>", without loading the model. As costly as
// the fingerprint: files up to 256 MiB are read whole, larger ones by their size and 64 blocks.
std::string builtin_checkpoint_id(const std::filesystem::path& dir);

// Registers "builtin:<checkpoint dir>", with its --backend-opt options device, threads,
// max_batch, add_bos, chat, truncate, kernels, pdl and overlap.
void builtin_register(BackendRegistry& registry);

}  // namespace moebench
