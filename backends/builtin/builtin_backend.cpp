// BuiltinBackend: Requests to engine batches and back; per-request failures become data.
#include "backends/builtin/builtin_backend.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <optional>
#include <string>

#include "backends/backend_options.h"
#include "backends/builtin/engine_select.h"
#include "common/clock.h"
#include "common/error.h"
#include "common/hash.h"
#include "common/thinking.h"

namespace moebench {
namespace {

namespace fs = std::filesystem;

// Files above this size are fingerprinted by their header, size and sampled blocks, not read
// whole (a V2-Lite checkpoint is 31 GB).
constexpr uintmax_t kHashWholeBelow = 256ull << 20;
constexpr size_t kSampleBytes = 1 << 16;

std::string file_digest_input(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  const uintmax_t size = fs::file_size(p);
  std::string out = p.filename().string() + ":" + std::to_string(size) + ":";
  if (size <= kHashWholeBelow) {
    out.append(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    return out;
  }
  std::string block(kSampleBytes, '\0');
  for (uintmax_t at = 0; at < size; at += size / 64) {
    in.seekg(static_cast<std::streamoff>(at));
    in.read(block.data(), static_cast<std::streamsize>(block.size()));
    out.append(block.data(), static_cast<size_t>(in.gcount()));
    in.clear();
  }
  return out;
}

// The id of a checkpoint named `name` of fingerprint `fingerprint` on the CPU engine (the CUDA
// engine's adds "/cuda").
std::string builtin_id(const std::string& name, const std::string& fingerprint) {
  return "builtin:" + name + "@" + fingerprint;
}

}  // namespace

std::string builtin_checkpoint_fingerprint(const fs::path& dir) {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (!e.is_regular_file()) continue;
    if (name.ends_with(".json") || name.ends_with(".safetensors")) files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  std::string all;
  for (const fs::path& p : files) all += sha256_hex(file_digest_input(p));
  return sha256_hex(all).substr(0, 12);
}

std::string builtin_checkpoint_id(const fs::path& dir) {
  if (!fs::is_directory(dir)) throw input_error(dir.string(), "not a checkpoint directory");
  return builtin_id(builtin_model_name(dir), builtin_checkpoint_fingerprint(dir));
}

BuiltinBackend::BuiltinBackend(const fs::path& dir, const BuiltinBackendOptions& options)
    : dir_(dir), options_(options) {
  if (options_.max_batch < 1) throw InputError("--backend-opt max_batch: must be >= 1");
  BuiltinLoadOptions load;
  load.threads = options.threads;
  load.device = options.device;
  load.limits.max_active = options.max_batch;
  load.limits.max_step_tokens = std::max(load.limits.max_step_tokens, options.max_batch);
  load.kernels = options.kernels;
  load.programmatic_launch = options.programmatic_launch;
  load.limits.steps_in_flight = options.overlap ? 2 : 1;
  model_ = BuiltinModel::load(dir, load);
  // Base-model checkpoints often ship without a chat template, others with one no format
  // matches: they run completion prompts, and what needs chat messages is refused.
  if (options_.chat_only && !model_->chat_format()) {
    throw InputError(model_->no_chat_reason() + " (--backend-opt chat=1 sends chat messages)");
  }
  fingerprint_ = builtin_checkpoint_fingerprint(dir);
}

BackendInfo BuiltinBackend::info() const {
  BackendInfo b;
  // NOTE: the CUDA engine computes in bf16, the CPU one in f32: their responses differ, so they
  // never share cache entries. The CPU id is unchanged from before there was a CUDA engine.
  const bool cuda = model_->device_name() != "cpu";
  b.id = builtin_id(model_->name(), fingerprint_) + (cuda ? "/cuda" : "");
  b.family = "builtin";
  b.chat = model_->chat_format().has_value();
  if (!b.chat) b.no_chat_reason = model_->no_chat_reason();
  b.completion = !options_.chat_only;
  b.loglikelihood = true;
  b.streaming = true;
  const ModelConfig& c = model_->config();
  b.details = {{"dir", fs::absolute(dir_).string()},
               {"fingerprint", fingerprint_},
               {"engine", cuda ? "cuda" : "cpu"},
               {"device", model_->device_name()},
               {"max_batch", options_.max_batch},
               {"config", c.to_json()},
               {"chat_format", b.chat ? nlohmann::json(model_->chat_format()->name()) : nullptr},
               {"add_bos", options_.add_bos},
               {"truncate", options_.truncate_left ? "left" : "none"}};
  // NOTE: separate, fused and pdl give the same values, so no cache tag: recorded for the
  // throughput's sake. wgmma accumulates in another order: its answers get their own entries.
  if (cuda) {
    b.details["kernels"] = kernel_set_name(options_.kernels);
    b.details["pdl"] = options_.programmatic_launch;
    b.details["overlap"] = options_.overlap;
  }
  // Left-truncated answers differ from refusals, and prompts encoded with the BOS from those
  // without: they never share cache entries.
  std::vector<std::string> tags;
  if (options_.truncate_left) tags.push_back("truncate-left");
  if (options_.add_bos) tags.push_back("add-bos");
  if (cuda && options_.kernels == KernelSet::wgmma) tags.push_back("kernels-wgmma");
  for (const std::string& t : tags) b.cache_tag += (b.cache_tag.empty() ? "" : ",") + t;
  return b;
}

std::vector<int> BuiltinBackend::prompt_ids(const Request& r) const {
  if (!r.messages.empty()) return model_->encode_chat(r.messages);
  return model_->encode_text(r.prompt, options_.add_bos);
}

std::string BuiltinBackend::render(const Request& r) const {
  try {
    return model_->tokenizer().decode(prompt_ids(r));
  } catch (const InputError& e) {
    return std::string("(cannot render: ") + e.what() + ")";
  }
}

std::vector<Response> BuiltinBackend::run(const std::vector<Request>& batch) {
  return run_streaming(batch, [](size_t, const Response&) {});
}

std::vector<Response> BuiltinBackend::run_streaming(const std::vector<Request>& batch,
                                                    const ResponseSink& on_done) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<Response> out(batch.size());
  std::vector<size_t> gen, ll;
  for (size_t i = 0; i < batch.size(); ++i) {
    (batch[i].continuations.empty() ? gen : ll).push_back(i);
  }
  if (!gen.empty()) run_generation(batch, gen, &out, on_done);
  if (!ll.empty()) run_loglik(batch, ll, &out, on_done);
  return out;
}

std::string BuiltinBackend::fit_prompt(const Request& r, GenerateRequest* g,
                                       long* truncated) const {
  try {
    g->prompt = prompt_ids(r);
  } catch (const InputError& e) {
    return e.what();
  }
  const int ctx = model_->max_context();
  const int size = static_cast<int>(g->prompt.size());
  if (options_.truncate_left && size + r.generation.max_tokens > ctx) {
    // lm-eval: the prompt keeps its last (context - max_tokens) tokens, at least one.
    const int keep = std::max(1, ctx - r.generation.max_tokens);
    if (size > keep) {
      g->prompt.erase(g->prompt.begin(), g->prompt.begin() + (size - keep));
      *truncated = size - keep;
    }
  }
  const int room = ctx - static_cast<int>(g->prompt.size());
  if (g->prompt.empty() || room <= 0) {
    return "prompt of " + std::to_string(g->prompt.size()) +
           " tokens does not fit the context of " + std::to_string(ctx) +
           " (--backend-opt truncate=left cuts it as lm-eval does)";
  }
  // Reasoning: a chat template that ends the prompt with "<think>" starts the generation inside
  // the thinking; a thinking budget is room on top of max_tokens.
  if (!r.messages.empty()) g->starts_in_thinking = model_->chat_opens_thinking(g->prompt);
  g->thinking_budget = r.generation.thinking_budget;
  g->max_tokens = std::min(r.generation.max_tokens + r.generation.thinking_budget, room);
  return "";
}

void BuiltinBackend::run_generation(const std::vector<Request>& batch,
                                    const std::vector<size_t>& which, std::vector<Response>* out,
                                    const ResponseSink& on_done) {
  std::vector<GenerateRequest> reqs;
  std::vector<size_t> owner;  // request index of each generation (n_samples of each)
  std::vector<int> samples_left(batch.size(), 0);
  // The engine is idle here (run() holds the lock): what is free is the whole KV cache.
  const int64_t free_kv = model_->kv_free(0);
  for (size_t i : which) {
    const Request& r = batch[i];
    Response& resp = (*out)[i];
    GenerateRequest g;
    std::string refused = fit_prompt(r, &g, &resp.truncated_prompt_tokens);
    const int64_t kv = model_->kv_need(static_cast<int64_t>(g.prompt.size()) + g.max_tokens);
    if (refused.empty() && kv > free_kv) {
      refused = "prompt + max_tokens need " + std::to_string(kv) + " KV positions, more than " +
                model_->device_name() + " holds (" + std::to_string(free_kv) + ")";
    }
    if (!refused.empty()) {
      resp.error = ResponseError{ErrorType::refused, refused};
      on_done(i, resp);
      continue;
    }
    g.stop = r.generation.stop;
    g.sampling.temperature = r.generation.temperature;
    g.sampling.top_p = r.generation.top_p;
    resp.tokens.prompt = static_cast<long>(g.prompt.size()) * r.generation.n_samples;
    for (int s = 0; s < std::max(1, r.generation.n_samples); ++s) {
      g.sampling.seed = r.seed + static_cast<uint64_t>(s) * 0x9E3779B97F4A7C15ull;
      reqs.push_back(g);
      owner.push_back(i);
      ++samples_left[i];
    }
  }
  if (reqs.empty()) return;
  GenerateCallbacks callbacks;
  callbacks.should_stop = options_.should_stop;
  // NOTE: samples of one request are appended in the order they finish; each carries its seed,
  // so a greedy or seeded result does not depend on that order.
  callbacks.on_done = [&](size_t k, const GenerateResult& result) {
    Response& r = (*out)[owner[k]];
    if (result.finish_reason == "interrupted") {
      r.error = ResponseError{ErrorType::interrupted,
                              "not run: the run was stopped (SIGINT); the next run sends it"};
    } else if (result.finish_reason == "error") {
      r.error = ResponseError{result.non_finite ? ErrorType::non_finite : ErrorType::backend,
                              result.error};
    } else if (reqs[k].starts_in_thinking) {
      // The text starts inside the thinking the template opened: it is given with that
      // `<think>`, so scoring splits it by the one rule (common/thinking) and tells a thinking
      // still open at the end (truncated_thinking) from one closed without an answer.
      r.texts.push_back(kThinkOpen + result.text);
    } else {
      r.texts.push_back(result.text);
    }
    if (result.finish_reason != "interrupted") {
      r.tokens.completion += static_cast<long>(result.tokens.size());
      r.tokens.reasoning += result.thinking_tokens;
      r.thinking_s = std::max(r.thinking_s, result.thinking_s);
      r.ttft_s = r.texts.size() == 1 ? result.ttft_s : std::min(r.ttft_s, result.ttft_s);
      r.total_s = std::max(r.total_s, result.total_s);
    }
    if (--samples_left[owner[k]] == 0) {
      if (r.error) r.texts.clear();
      on_done(owner[k], r);
    }
  };
  model_->generate(reqs, callbacks);
}

void BuiltinBackend::run_loglik(const std::vector<Request>& batch, const std::vector<size_t>& which,
                                std::vector<Response>* out, const ResponseSink& on_done) {
  std::vector<BuiltinModel::LoglikItem> items;
  std::vector<size_t> owner;
  for (size_t i : which) {
    items.push_back({batch[i].prompt, batch[i].continuations, options_.add_bos});
    owner.push_back(i);
  }
  auto t0 = Clock::now();
  auto fill = [&](size_t k, const BuiltinModel::LoglikResult& result) {
    Response& r = (*out)[owner[k]];
    if (result.interrupted) {
      r.error = ResponseError{ErrorType::interrupted,
                              "not run: the run was stopped (SIGINT); the next run sends it"};
    } else if (!result.error.empty()) {
      r.error = ResponseError{ErrorType::non_finite, result.error};
    } else {
      r.logliks = result.logliks;
      r.tokens.prompt = result.prompt_tokens;
      r.truncated_prompt_tokens = result.truncated_tokens;
      r.total_s = seconds_since(t0);
    }
    on_done(owner[k], r);
  };
  BuiltinModel::LoglikCallbacks callbacks;
  callbacks.should_stop = options_.should_stop;
  callbacks.on_done = fill;
  try {
    model_->loglikelihood(items, callbacks);
  } catch (const InputError&) {
    // One item that cannot fit fails alone: run the items one at a time. (loglikelihood checks
    // every item before it runs any, so none was told of yet.)
    for (size_t k = 0; k < items.size(); ++k) {
      t0 = Clock::now();
      try {
        fill(k, model_->loglikelihood({items[k]}, {nullptr, options_.should_stop})[0]);
      } catch (const InputError& e1) {
        (*out)[owner[k]].error = ResponseError{ErrorType::refused, e1.what()};
        on_done(owner[k], (*out)[owner[k]]);
      }
    }
  }
}

namespace {

BuiltinBackendOptions builtin_options(const BackendContext& context) {
  BuiltinBackendOptions o;
  for (const auto& [k, v] : context.options) {
    if (k == "threads") {
      o.threads = static_cast<int>(backend_opt_integer(k, v));
    } else if (k == "max_batch") {
      o.max_batch = static_cast<int>(backend_opt_integer(k, v));
    } else if (k == "device") {
      engine_device_parse(v);  // a bad string fails here, before the checkpoint loads
      o.device = v;
    } else if (k == "add_bos") {
      o.add_bos = backend_opt_bool(k, v);
    } else if (k == "chat") {
      o.chat_only = backend_opt_bool(k, v);
    } else if (k == "kernels") {
      const std::optional<KernelSet> set = kernel_set_parse(v);
      if (!set) {
        throw InputError("--backend-opt kernels=" + v + ": expected " + kKernelSetChoices);
      }
      o.kernels = *set;
    } else if (k == "pdl") {
      o.programmatic_launch = backend_opt_bool(k, v);
    } else if (k == "overlap") {
      o.overlap = backend_opt_bool(k, v);
    } else if (k == "truncate") {
      if (v != "left" && v != "none") {
        throw InputError("--backend-opt truncate=" + v + ": expected left or none");
      }
      o.truncate_left = v == "left";
    } else {
      throw InputError("--backend-opt " + k +
                       ": unknown option for the builtin backend (known: device, threads, "
                       "max_batch, add_bos, chat, truncate, kernels, pdl, overlap)");
    }
  }
  o.should_stop = context.should_stop;
  return o;
}

}  // namespace

void builtin_register(BackendRegistry& registry) {
  registry.add({"builtin", true, "builtin:<checkpoint dir>",
                [](const std::string& dir, const BackendContext& context) {
                  if (dir.empty()) {
                    throw InputError("--backend builtin:<dir>: the checkpoint directory is empty");
                  }
                  return std::make_unique<BuiltinBackend>(dir, builtin_options(context));
                }});
}

}  // namespace moebench
