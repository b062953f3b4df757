// BuiltinModel: loading a checkpoint directory onto an engine, and continuation scoring
// (generation is in builtin_model_generate.cpp).
#include "backends/builtin/builtin_model.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/json_file.h"
#include "common/thinking.h"

namespace moebench {
namespace {

namespace fs = std::filesystem;
}  // namespace

std::unique_ptr<BuiltinModel> BuiltinModel::load(const fs::path& dir,
                                                 const BuiltinLoadOptions& options) {
  if (!fs::is_directory(dir)) throw input_error(dir.string(), "not a checkpoint directory");
  std::unique_ptr<BuiltinModel> m(new BuiltinModel());
  m->dir_ = dir;
  m->name_ = fs::absolute(dir).lexically_normal().filename().string();
  if (m->name_.empty()) m->name_ = fs::absolute(dir).parent_path().filename().string();
  m->config_ = model_config_load(dir / "config.json");
  options.limits.validate();
  const fs::path tok = dir / "tokenizer.json";
  if (!fs::exists(tok)) throw input_error(tok.string(), "missing (the model needs its tokenizer)");
  m->tokenizer_ = std::make_unique<Tokenizer>(Tokenizer::load(tok));
  const fs::path tok_config = dir / "tokenizer_config.json";
  if (fs::exists(tok_config)) {
    const nlohmann::json j =
        json_read_file(tok_config, tok_config.string(), "cannot open", "not valid JSON");
    if (j.contains("chat_template")) m->chat_ = chat_format_detect(tok_config);
  }
  m->eos_ids_ = m->config_.eos_token_ids;
  if (m->chat_ && !m->chat_->eos.empty()) {
    int id = m->tokenizer_->token_to_id(m->chat_->eos);
    if (id >= 0) m->eos_ids_.push_back(id);
  }
  // The engine last: it is the expensive part (the CUDA one sizes its KV cache to the GPU).
  EngineLoadOptions e;
  e.device = options.device;
  e.threads = options.threads;
  e.max_batch = options.limits.max_active;
  e.max_step_tokens = options.limits.max_step_tokens;
  e.kernels = options.kernels;
  e.programmatic_launch = options.programmatic_launch;
  m->engine_ = engine_load(m->config_, dir, e);
  m->loaded_limits_ = m->limits_ = options.limits;
  return m;
}

// The engine may cap the model's context (the CUDA engine: its max_context option).
int BuiltinModel::max_context() const { return engine_.engine->max_context(); }

bool BuiltinModel::is_eos(int id) const {
  return std::find(eos_ids_.begin(), eos_ids_.end(), id) != eos_ids_.end();
}

bool BuiltinModel::chat_opens_thinking(const std::vector<int>& prompt) const {
  const size_t tail = std::min<size_t>(prompt.size(), 8);  // "<think>\n" and a few more
  return thinking_prompt_opens(
      tokenizer_->decode(std::vector<int>(prompt.end() - static_cast<long>(tail), prompt.end())));
}

std::vector<int> BuiltinModel::encode_chat(const std::vector<ChatMessage>& messages) const {
  if (!chat_) {
    throw InputError(dir_.string() +
                     ": the checkpoint has no chat_template in tokenizer_config.json; use "
                     "completion prompts");
  }
  return tokenizer_->encode(chat_->render(messages, true), false);
}

std::vector<int> BuiltinModel::encode_text(const std::string& text, bool add_special) const {
  return tokenizer_->encode(text, add_special);
}

std::vector<BuiltinModel::LoglikResult> BuiltinModel::loglikelihood(
    const std::vector<LoglikItem>& items, const LoglikCallbacks& callbacks) {
  std::vector<LoglikResult> results(items.size());
  std::vector<std::vector<int>> context_ids(items.size());
  std::vector<std::vector<std::vector<int>>> cont_ids(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    std::string context = items[i].context;
    size_t keep = context.find_last_not_of(' ');
    keep = keep == std::string::npos ? 0 : keep + 1;
    const std::string moved = context.substr(keep);
    context.resize(keep);
    context_ids[i] = context.empty() ? std::vector<int>{} : tokenizer_->encode(context, false);
    for (const std::string& cont : items[i].continuations) {
      std::vector<int> whole = tokenizer_->encode(context + moved + cont, false);
      const size_t n = std::min(context_ids[i].size(), whole.size());
      cont_ids[i].emplace_back(whole.begin() + n, whole.end());
    }
    // lm-eval scores an empty context after the end-of-text token, and keeps the last
    // max_length tokens of a context that does not fit with its longest continuation.
    if (context_ids[i].empty()) context_ids[i].push_back(eos_ids_.empty() ? 0 : eos_ids_[0]);
    size_t longest_cont = 0;
    for (const auto& c : cont_ids[i]) longest_cont = std::max(longest_cont, c.size());
    const size_t room = static_cast<size_t>(max_context());
    if (longest_cont >= room) {
      throw InputError("loglikelihood: a continuation of " + std::to_string(longest_cont) +
                       " tokens does not fit the context of " + std::to_string(room));
    }
    if (context_ids[i].size() + longest_cont > room) {
      auto& ctx = context_ids[i];
      const size_t drop = ctx.size() + longest_cont - room;
      ctx.erase(ctx.begin(), ctx.begin() + static_cast<std::ptrdiff_t>(drop));
      results[i].truncated_tokens = static_cast<long>(drop);
    }
    results[i].logliks.assign(items[i].continuations.size(), 0.0);
  }
  // Groups of items whose caches fit the engine at once (context + longest continuation each).
  const int64_t pool = kv_free(0);
  std::vector<int64_t> need(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    size_t longest_cont = 0;
    for (const auto& c : cont_ids[i]) longest_cont = std::max(longest_cont, c.size());
    need[i] = kv_need(static_cast<int64_t>(context_ids[i].size() + longest_cont));
    if (need[i] > pool) {
      throw InputError("loglikelihood: item " + std::to_string(i) + " needs " +
                       std::to_string(need[i]) + " KV positions but " + device_name() + " has " +
                       std::to_string(pool) + " free");
    }
  }
  // Runs items [begin, end) unless told to stop, then reports them.
  auto run_group = [&](size_t begin, size_t end) {
    const bool stop = callbacks.should_stop && callbacks.should_stop();
    if (stop) {
      for (size_t i = begin; i < end; ++i) results[i].interrupted = true;
    } else {
      loglik_group(context_ids, cont_ids, begin, end, results);
    }
    for (size_t i = begin; callbacks.on_done && i < end; ++i) callbacks.on_done(i, results[i]);
  };
  size_t begin = 0;
  int64_t used = 0;
  for (size_t i = 0; i < items.size(); ++i) {
    if (static_cast<int>(i - begin) >= limits_.max_active || used + need[i] > pool) {
      run_group(begin, i);
      begin = i;
      used = 0;
    }
    used += need[i];
  }
  if (begin < items.size()) run_group(begin, items.size());
  return results;
}

// Prefills the contexts of items [begin, end) together, then runs their j-th continuations
// together for each j, rewinding each cache to its context between continuations.
void BuiltinModel::loglik_group(const std::vector<std::vector<int>>& context_ids,
                                const std::vector<std::vector<std::vector<int>>>& cont_ids,
                                size_t begin, size_t end, std::vector<LoglikResult>& results) {
  Engine& engine = *engine_.engine;
  const int vocab = config_.vocab_size;
  std::vector<int> seqs;
  std::vector<EngineChunk> chunks;
  for (size_t i = begin; i < end; ++i) {
    seqs.push_back(engine.new_sequence());
    chunks.push_back({seqs.back(), context_ids[i], false});
    results[i].prompt_tokens = static_cast<long>(context_ids[i].size());
  }
  const std::vector<float> last = engine.forward(chunks);  // (end - begin, vocab)
  size_t max_conts = 0;
  for (size_t i = begin; i < end; ++i) max_conts = std::max(max_conts, cont_ids[i].size());
  for (size_t j = 0; j < max_conts; ++j) {
    chunks.clear();
    std::vector<size_t> who;
    for (size_t i = begin; i < end; ++i) {
      if (j >= cont_ids[i].size() || cont_ids[i][j].empty()) continue;
      const std::vector<int>& c = cont_ids[i][j];
      results[i].logliks[j] = logprob_of(last.data() + (i - begin) * vocab, vocab, c[0]);
      results[i].prompt_tokens += static_cast<long>(c.size());
      if (c.size() < 2) continue;
      engine.truncate(seqs[i - begin], static_cast<int>(context_ids[i].size()));
      chunks.push_back({seqs[i - begin], std::vector<int>(c.begin(), c.end() - 1), true});
      who.push_back(i);
    }
    if (chunks.empty()) continue;
    const std::vector<float> rows = engine.forward(chunks);  // (sum of len-1, vocab)
    size_t row = 0;
    for (size_t i : who) {
      const std::vector<int>& c = cont_ids[i][j];
      for (size_t t = 1; t < c.size(); ++t) {
        results[i].logliks[j] += logprob_of(rows.data() + row++ * vocab, vocab, c[t]);
      }
    }
  }
  for (int s : seqs) engine.free_sequence(s);
}

}  // namespace moebench
