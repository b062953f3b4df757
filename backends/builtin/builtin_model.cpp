// BuiltinModel: loading a checkpoint directory, batched generation and continuation scoring.
#include "backends/builtin/builtin_model.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>

#include "common/error.h"

namespace moebench {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// One generation in flight.
struct Active {
  size_t index = 0;
  int seq = -1;
  std::unique_ptr<Sampler> sampler;
  std::unique_ptr<TokenStreamDecoder> decoder;
  std::string text;    // decoded so far (cut at a stop string once found)
  size_t emitted = 0;  // bytes of text already passed to the callback
  bool done = false;
};

// The earliest stop string in `text` (searching only where a new one can start), npos if none.
size_t find_stop(const std::string& text, size_t from, const std::vector<std::string>& stops) {
  size_t best = std::string::npos;
  for (const std::string& s : stops) {
    if (s.empty()) continue;
    size_t start = from > s.size() ? from - s.size() : 0;
    size_t p = text.find(s, start);
    if (p != std::string::npos) best = std::min(best, p);
  }
  return best;
}

size_t longest(const std::vector<std::string>& stops) {
  size_t n = 0;
  for (const std::string& s : stops) n = std::max(n, s.size());
  return n;
}

// Appends one sampled token to a generation: EOS, a stop string or the token limit end it.
void accept_token(Active& a, int tok, bool eos, bool at_limit, const GenerateRequest& r,
                  GenerateResult& out) {
  out.tokens.push_back(tok);
  const size_t before = a.text.size();
  if (eos) {
    a.done = true;
    out.finish_reason = "stop";
  } else {
    a.text += a.decoder->push(tok);
  }
  if (!a.done && at_limit) {
    a.done = true;
    out.finish_reason = "length";
  }
  if (a.done) a.text += a.decoder->flush();  // bytes of an unfinished character become U+FFFD
  const size_t stop_at = find_stop(a.text, before, r.stop);
  if (stop_at != std::string::npos) {
    a.text.resize(stop_at);
    a.done = true;
    out.finish_reason = "stop";
  }
}

// How much of the text is final: while running, the tail a stop string could still cut is held.
size_t releasable(const Active& a, const GenerateRequest& r) {
  if (a.done) return a.text.size();
  const size_t hold = longest(r.stop);
  if (hold == 0) return a.text.size();
  return a.text.size() >= hold - 1 ? a.text.size() - (hold - 1) : 0;
}

}  // namespace

std::unique_ptr<BuiltinModel> BuiltinModel::load(const fs::path& dir,
                                                 const BuiltinLoadOptions& options) {
  if (!fs::is_directory(dir)) throw InputError(dir.string() + ": not a checkpoint directory");
  std::unique_ptr<BuiltinModel> m(new BuiltinModel());
  m->dir_ = dir;
  m->name_ = fs::absolute(dir).lexically_normal().filename().string();
  if (m->name_.empty()) m->name_ = fs::absolute(dir).parent_path().filename().string();
  m->config_ = model_config_load(dir / "config.json");
  m->weights_ = model_weights_load(dir, m->config_);
  const fs::path tok = dir / "tokenizer.json";
  if (!fs::exists(tok))
    throw InputError(tok.string() + ": missing (the model needs its tokenizer)");
  m->tokenizer_ = std::make_unique<Tokenizer>(Tokenizer::load(tok));
  const fs::path tok_config = dir / "tokenizer_config.json";
  if (fs::exists(tok_config)) {
    std::ifstream in(tok_config);
    nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
    if (j.is_discarded()) throw InputError(tok_config.string() + ": not valid JSON");
    if (j.contains("chat_template")) m->chat_ = chat_format_detect(tok_config);
  }
  m->eos_ids_ = m->config_.eos_token_ids;
  if (m->chat_ && !m->chat_->eos.empty()) {
    int id = m->tokenizer_->token_to_id(m->chat_->eos);
    if (id >= 0) m->eos_ids_.push_back(id);
  }
  m->engine_ = std::make_unique<CpuEngine>(m->config_, m->weights_, options.threads);
  return m;
}

int BuiltinModel::max_context() const { return config_.max_position_embeddings; }

bool BuiltinModel::is_eos(int id) const {
  return std::find(eos_ids_.begin(), eos_ids_.end(), id) != eos_ids_.end();
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

std::vector<GenerateResult> BuiltinModel::generate(const std::vector<GenerateRequest>& requests,
                                                   const TextCallback& on_text) {
  const auto t0 = Clock::now();
  std::vector<GenerateResult> results(requests.size());
  std::vector<Active> active;
  std::vector<EngineChunk> chunks;
  for (size_t i = 0; i < requests.size(); ++i) {
    const GenerateRequest& r = requests[i];
    if (r.prompt.empty())
      throw InputError("generate: request " + std::to_string(i) + " has an empty prompt");
    if (static_cast<int>(r.prompt.size()) >= max_context()) {
      throw InputError("generate: prompt of " + std::to_string(r.prompt.size()) +
                       " tokens does not fit the context of " + std::to_string(max_context()));
    }
    if (r.max_tokens <= 0) {
      results[i].finish_reason = "length";
      continue;
    }
    Active a;
    a.index = i;
    a.seq = engine_->new_sequence();
    a.sampler = std::make_unique<Sampler>(r.sampling);
    a.decoder = std::make_unique<TokenStreamDecoder>(*tokenizer_, true);
    chunks.push_back({a.seq, r.prompt, false});
    active.push_back(std::move(a));
  }
  const int vocab = config_.vocab_size;
  while (!chunks.empty()) {
    std::vector<float> logits = engine_->forward(chunks);  // (chunks, vocab)
    chunks.clear();
    size_t row = 0;
    for (Active& a : active) {
      if (a.done) continue;
      const GenerateRequest& r = requests[a.index];
      GenerateResult& out = results[a.index];
      const int tok = a.sampler->sample(logits.data() + row++ * vocab, vocab);
      if (out.tokens.empty()) out.ttft_s = seconds_since(t0);
      const bool at_limit = static_cast<int>(out.tokens.size()) + 1 >= r.max_tokens ||
                            engine_->cache_len(a.seq) + 1 >= max_context();
      accept_token(a, tok, is_eos(tok), at_limit, r, out);
      const size_t safe = releasable(a, r);
      if (on_text && safe > a.emitted) on_text(a.index, a.text.substr(a.emitted, safe - a.emitted));
      a.emitted = std::max(a.emitted, safe);
      if (a.done) {
        out.text = a.text;
        out.total_s = seconds_since(t0);
        engine_->free_sequence(a.seq);
      } else {
        chunks.push_back({a.seq, {tok}, false});
      }
    }
    active.erase(
        std::remove_if(active.begin(), active.end(), [](const Active& a) { return a.done; }),
        active.end());
  }
  return results;
}

std::vector<BuiltinModel::LoglikResult> BuiltinModel::loglikelihood(
    const std::vector<LoglikItem>& items) {
  const int vocab = config_.vocab_size;
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
      ctx.erase(ctx.begin(), ctx.begin() + (ctx.size() + longest_cont - room));
    }
    results[i].logliks.assign(items[i].continuations.size(), 0.0);
  }
  std::vector<int> seqs(items.size());
  std::vector<EngineChunk> chunks;
  for (size_t i = 0; i < items.size(); ++i) {
    seqs[i] = engine_->new_sequence();
    chunks.push_back({seqs[i], context_ids[i], false});
    results[i].prompt_tokens = static_cast<long>(context_ids[i].size());
  }
  const std::vector<float> last = engine_->forward(chunks);  // (items, vocab)
  size_t max_conts = 0;
  for (const LoglikItem& item : items) max_conts = std::max(max_conts, item.continuations.size());
  for (size_t j = 0; j < max_conts; ++j) {
    chunks.clear();
    std::vector<size_t> who;
    for (size_t i = 0; i < items.size(); ++i) {
      if (j >= cont_ids[i].size() || cont_ids[i][j].empty()) continue;
      const std::vector<int>& c = cont_ids[i][j];
      results[i].logliks[j] = logprob_of(last.data() + i * vocab, vocab, c[0]);
      results[i].prompt_tokens += static_cast<long>(c.size());
      if (c.size() < 2) continue;
      engine_->truncate(seqs[i], static_cast<int>(context_ids[i].size()));
      chunks.push_back({seqs[i], std::vector<int>(c.begin(), c.end() - 1), true});
      who.push_back(i);
    }
    if (chunks.empty()) continue;
    const std::vector<float> rows = engine_->forward(chunks);  // (sum of len-1, vocab)
    size_t row = 0;
    for (size_t i : who) {
      const std::vector<int>& c = cont_ids[i][j];
      for (size_t t = 1; t < c.size(); ++t) {
        results[i].logliks[j] += logprob_of(rows.data() + row++ * vocab, vocab, c[t]);
      }
    }
  }
  for (int s : seqs) engine_->free_sequence(s);
  return results;
}

}  // namespace moebench
