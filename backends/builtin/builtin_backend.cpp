// BuiltinBackend: Requests to engine batches and back; per-request failures become data.
#include "backends/builtin/builtin_backend.h"

#include <algorithm>
#include <chrono>
#include <fstream>

#include "common/error.h"
#include "common/hash.h"

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

BuiltinBackend::BuiltinBackend(const fs::path& dir, const BuiltinBackendOptions& options)
    : dir_(dir), options_(options) {
  if (options_.max_batch < 1) throw InputError("--backend-opt max_batch: must be >= 1");
  BuiltinLoadOptions load;
  load.threads = options.threads;
  load.device = options.device;
  load.limits.max_active = options.max_batch;
  load.limits.max_step_tokens = std::max(load.limits.max_step_tokens, options.max_batch);
  model_ = BuiltinModel::load(dir, load);
  fingerprint_ = builtin_checkpoint_fingerprint(dir);
}

BackendInfo BuiltinBackend::info() const {
  BackendInfo b;
  // NOTE: the CUDA engine computes in bf16, the CPU one in f32: their responses differ, so they
  // never share cache entries. The CPU id is unchanged from before there was a CUDA engine.
  const bool cuda = model_->device_name() != "cpu";
  b.id = "builtin:" + model_->name() + "@" + fingerprint_ + (cuda ? "/cuda" : "");
  b.family = "builtin";
  b.chat = model_->chat_format().has_value();
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
               {"chat_format", b.chat ? model_->chat_format()->name() : nullptr},
               {"add_bos", options_.add_bos}};
  return b;
}

std::vector<int> BuiltinBackend::prompt_ids(const Request& r) const {
  if (!r.messages.empty()) return model_->encode_chat(r.messages);
  return model_->encode_text(r.prompt, options_.add_bos);
}

std::vector<Response> BuiltinBackend::run(const std::vector<Request>& batch) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<Response> out(batch.size());
  std::vector<size_t> gen, ll;
  for (size_t i = 0; i < batch.size(); ++i) {
    (batch[i].continuations.empty() ? gen : ll).push_back(i);
  }
  if (!gen.empty()) run_generation(batch, gen, &out);
  if (!ll.empty()) run_loglik(batch, ll, &out);
  return out;
}

void BuiltinBackend::run_generation(const std::vector<Request>& batch,
                                    const std::vector<size_t>& which, std::vector<Response>* out) {
  std::vector<GenerateRequest> reqs;
  std::vector<size_t> owner;  // request index of each generation (n_samples of each)
  // The engine is idle here (run() holds the lock): what is free is the whole KV cache.
  const int64_t free_kv = model_->kv_free(0);
  for (size_t i : which) {
    const Request& r = batch[i];
    GenerateRequest g;
    try {
      g.prompt = prompt_ids(r);
    } catch (const InputError& e) {
      (*out)[i].error = ResponseError{"refused", e.what()};
      continue;
    }
    const int room = model_->max_context() - static_cast<int>(g.prompt.size());
    if (g.prompt.empty() || room <= 0) {
      (*out)[i].error = ResponseError{"refused", "prompt of " + std::to_string(g.prompt.size()) +
                                                     " tokens does not fit the context of " +
                                                     std::to_string(model_->max_context())};
      continue;
    }
    g.max_tokens = std::min(r.generation.max_tokens, room);
    const int64_t kv = model_->kv_need(static_cast<int64_t>(g.prompt.size()) + g.max_tokens);
    if (kv > free_kv) {
      (*out)[i].error =
          ResponseError{"refused", "prompt + max_tokens need " + std::to_string(kv) +
                                       " KV positions, more than " + model_->device_name() +
                                       " holds (" + std::to_string(free_kv) + ")"};
      continue;
    }
    g.stop = r.generation.stop;
    g.sampling.temperature = r.generation.temperature;
    g.sampling.top_p = r.generation.top_p;
    (*out)[i].tokens.prompt = static_cast<long>(g.prompt.size()) * r.generation.n_samples;
    for (int s = 0; s < std::max(1, r.generation.n_samples); ++s) {
      g.sampling.seed = r.seed + static_cast<uint64_t>(s) * 0x9E3779B97F4A7C15ull;
      reqs.push_back(g);
      owner.push_back(i);
    }
  }
  if (reqs.empty()) return;
  std::vector<GenerateResult> results = model_->generate(reqs);
  for (size_t k = 0; k < results.size(); ++k) {
    Response& r = (*out)[owner[k]];
    r.texts.push_back(results[k].text);
    r.tokens.completion += static_cast<long>(results[k].tokens.size());
    r.ttft_s = r.texts.size() == 1 ? results[k].ttft_s : std::min(r.ttft_s, results[k].ttft_s);
    r.total_s = std::max(r.total_s, results[k].total_s);
  }
}

void BuiltinBackend::run_loglik(const std::vector<Request>& batch, const std::vector<size_t>& which,
                                std::vector<Response>* out) {
  std::vector<BuiltinModel::LoglikItem> items;
  std::vector<size_t> owner;
  for (size_t i : which) {
    items.push_back({batch[i].prompt, batch[i].continuations});
    owner.push_back(i);
  }
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<BuiltinModel::LoglikResult> results;
  try {
    results = model_->loglikelihood(items);
  } catch (const InputError&) {
    // One item that cannot fit fails alone: retry the items one at a time.
    for (size_t k = 0; k < items.size(); ++k) {
      try {
        auto one = model_->loglikelihood({items[k]});
        (*out)[owner[k]].logliks = one[0].logliks;
        (*out)[owner[k]].tokens.prompt = one[0].prompt_tokens;
      } catch (const InputError& e1) {
        (*out)[owner[k]].error = ResponseError{"refused", e1.what()};
      }
    }
    return;
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  for (size_t k = 0; k < results.size(); ++k) {
    Response& r = (*out)[owner[k]];
    r.logliks = results[k].logliks;
    r.tokens.prompt = results[k].prompt_tokens;
    r.total_s = s;
  }
}

}  // namespace moebench
