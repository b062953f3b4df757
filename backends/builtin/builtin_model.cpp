// BuiltinModel: loading a checkpoint directory onto an engine, and continuation scoring
// (generation is in builtin_model_generate.cpp).
#include "backends/builtin/builtin_model.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/json_file.h"
#include "common/py_text.h"
#include "common/thinking.h"

namespace moebench {
namespace {

namespace fs = std::filesystem;

// lm-eval's prefix_token_id: the tokenizer's BOS (tokenizer_config.json's bos_token), else its EOS
// (eos_token), else the model's first end-of-sequence id.
int prefix_token_id(const nlohmann::json& config, const Tokenizer& tok, const std::string& file,
                    const std::vector<int>& eos_ids) {
  for (const std::string key : {"bos_token", "eos_token"}) {
    if (!config.is_object() || !config.contains(key) || config[key].is_null()) continue;
    const nlohmann::json& v = config[key];
    const nlohmann::json& content = v.is_object() && v.contains("content") ? v["content"] : v;
    if (!content.is_string()) {
      throw input_error(file,
                        "field '" + key + "': expected a token or an object with its content");
    }
    const int id = tok.token_to_id(content.get<std::string>());
    if (id < 0) {
      throw input_error(file, "field '" + key + "': token '" + content.get<std::string>() +
                                  "' is not in tokenizer.json");
    }
    return id;
  }
  return eos_ids.empty() ? 0 : eos_ids[0];
}

// generation_config.json's eos_token_id (an id or a list), where HF's generate() and vLLM stop
// besides config.json's: Qwen3-30B-A3B and Qwen1.5-MoE-A2.7B-Chat list <|endoftext|> only there.
void add_generation_eos(const fs::path& dir, std::vector<int>* eos_ids) {
  const fs::path file = dir / "generation_config.json";
  if (!fs::exists(file)) return;
  const nlohmann::json j = json_read_file(file, file.string(), "cannot open", "not valid JSON");
  if (!j.is_object() || !j.contains("eos_token_id") || j["eos_token_id"].is_null()) return;
  const nlohmann::json& v = j["eos_token_id"];
  const nlohmann::json ids = v.is_array() ? v : nlohmann::json::array({v});
  for (const nlohmann::json& id : ids) {
    if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() > INT32_MAX) {
      throw input_error(
          file.string(),
          "field 'eos_token_id': expected a token id or a list of them, got " + v.dump());
    }
    if (std::find(eos_ids->begin(), eos_ids->end(), id.get<int>()) == eos_ids->end()) {
      eos_ids->push_back(id.get<int>());
    }
  }
}

// Python's str.rstrip(): the byte length of s without its trailing Unicode whitespace.
size_t py_rstrip_size(const std::string& s) {
  size_t e = s.size(), len = 0;
  while (e > 0) {
    size_t p = e - 1;
    while (p > 0 && (static_cast<unsigned char>(s[p]) & 0xc0) == 0x80) --p;
    if (!py_is_space(utf8_at(s, p, &len)) || p + len != e) break;
    e = p;
  }
  return e;
}

}  // namespace

std::string builtin_model_name(const fs::path& dir) {
  const std::string name = fs::absolute(dir).lexically_normal().filename().string();
  return name.empty() ? fs::absolute(dir).parent_path().filename().string() : name;
}

std::unique_ptr<BuiltinModel> BuiltinModel::load(const fs::path& dir,
                                                 const BuiltinLoadOptions& options) {
  if (!fs::is_directory(dir)) throw input_error(dir.string(), "not a checkpoint directory");
  std::unique_ptr<BuiltinModel> m(new BuiltinModel());
  m->dir_ = dir;
  m->name_ = builtin_model_name(dir);
  m->config_ = model_config_load(dir / "config.json");
  options.limits.validate();
  const fs::path tok = dir / "tokenizer.json";
  if (!fs::exists(tok)) throw input_error(tok.string(), "missing (the model needs its tokenizer)");
  m->tokenizer_ = std::make_unique<Tokenizer>(Tokenizer::load(tok));
  const int vocab = m->config_.vocab_size;
  if (m->tokenizer_->vocab_size() > vocab) {  // its ids would index past the embedding
    throw input_error(tok.string(), "holds token ids up to " +
                                        std::to_string(m->tokenizer_->vocab_size() - 1) +
                                        " but config.json's vocab_size is " +
                                        std::to_string(vocab) + " (the model has no embedding " +
                                        "for ids " + std::to_string(vocab) + " and above)");
  }
  const fs::path tok_config = dir / "tokenizer_config.json";
  nlohmann::json j;
  if (fs::exists(tok_config)) {
    j = json_read_file(tok_config, tok_config.string(), "cannot open", "not valid JSON");
    try {
      if (j.contains("chat_template")) m->chat_ = chat_format_detect(tok_config);
    } catch (const ChatTemplateError& e) {
      m->no_chat_reason_ = e.what();  // completion prompts still run
    }
  }
  if (!m->chat_ && m->no_chat_reason_.empty()) {
    m->no_chat_reason_ =
        dir.string() + ": the checkpoint has no chat_template in tokenizer_config.json";
  }
  m->eos_ids_ = m->config_.eos_token_ids;
  m->prefix_id_ = prefix_token_id(j, *m->tokenizer_, tok_config.string(), m->eos_ids_);
  if (m->chat_ && !m->chat_->eos.empty()) {
    int id = m->tokenizer_->token_to_id(m->chat_->eos);
    if (id >= 0) m->eos_ids_.push_back(id);
  }
  add_generation_eos(dir, &m->eos_ids_);
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

std::string BuiltinModel::non_finite_error(const std::string& where) const {
  return dir_.string() + ": the forward pass gave NaN or infinite logits (" + where +
         "): the checkpoint's weights are broken or its activations overflow";
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
  if (!chat_) throw InputError(no_chat_reason_);
  return tokenizer_->encode(chat_->render(messages, true), false);
}

std::vector<int> BuiltinModel::encode_text(const std::string& text, bool add_special) const {
  return tokenizer_->encode(text, add_special);
}

std::vector<BuiltinModel::LoglikUnit> BuiltinModel::loglik_encode(
    const std::vector<LoglikItem>& items, std::vector<LoglikResult>* results) const {
  const size_t room = static_cast<size_t>(max_context());
  std::vector<LoglikUnit> units;
  for (size_t i = 0; i < items.size(); ++i) {
    const LoglikItem& item = items[i];
    std::vector<int> ctx;
    std::vector<std::vector<int>> conts;
    if (item.context.empty()) {
      // lm-eval: the prefix token, and each continuation encoded alone (BOS included with
      // add_bos_token, as its tok_encode does).
      ctx = {prefix_id_};
      for (const std::string& cont : item.continuations) {
        conts.push_back(tokenizer_->encode(cont, item.add_special));
      }
    } else {
      ctx = tokenizer_->encode(item.context.substr(0, py_rstrip_size(item.context)),
                               item.add_special);
      for (const std::string& cont : item.continuations) {
        std::vector<int> whole = tokenizer_->encode(item.context + cont, item.add_special);
        const size_t n = std::min(ctx.size(), whole.size());
        conts.emplace_back(whole.begin() + n, whole.end());
      }
      // NOTE: a context of whitespace alone encodes to nothing, and lm-eval would score the
      // first continuation token after no token at all: the prefix token stands in.
      if (ctx.empty()) ctx.push_back(prefix_id_);
    }
    (*results)[i].logliks.assign(item.continuations.size(), 0.0);
    size_t longest_cont = 0;
    for (const auto& c : conts) longest_cont = std::max(longest_cont, c.size());
    if (longest_cont > room) {
      throw InputError("loglikelihood: a continuation of " + std::to_string(longest_cont) +
                       " tokens does not fit the context of " + std::to_string(room));
    }
    // NOTE: an empty continuation counts as one token, so its context alone never overflows.
    if (ctx.size() + std::max<size_t>(longest_cont, 1) <= room + 1) {  // one prefill for all
      LoglikUnit u{i, std::move(ctx), {}, std::move(conts)};
      for (size_t j = 0; j < u.conts.size(); ++j) u.choices.push_back(j);
      units.push_back(std::move(u));
      continue;
    }
    // lm-eval: (context + continuation)[-(max_length + 1):] per continuation, so a short one
    // keeps more of the context than a long one.
    for (size_t j = 0; j < conts.size(); ++j) {
      const size_t whole = ctx.size() + std::max<size_t>(conts[j].size(), 1);
      const size_t drop = whole > room + 1 ? whole - (room + 1) : 0;
      (*results)[i].truncated_tokens =
          std::max((*results)[i].truncated_tokens, static_cast<long>(drop));
      units.push_back({i,
                       std::vector<int>(ctx.begin() + static_cast<std::ptrdiff_t>(drop), ctx.end()),
                       {j},
                       {std::move(conts[j])}});
    }
  }
  return units;
}

std::vector<BuiltinModel::LoglikResult> BuiltinModel::loglikelihood(
    const std::vector<LoglikItem>& items, const LoglikCallbacks& callbacks) {
  std::vector<LoglikResult> results(items.size());
  const std::vector<LoglikUnit> units = loglik_encode(items, &results);
  // Groups of units whose caches fit the engine at once (context + longest continuation less
  // its last token, which is not fed).
  const int64_t pool = kv_free(0);
  std::vector<int64_t> need(units.size());
  for (size_t u = 0; u < units.size(); ++u) {
    size_t longest_cont = 1;
    for (const auto& c : units[u].conts) longest_cont = std::max(longest_cont, c.size());
    need[u] = kv_need(static_cast<int64_t>(units[u].context.size() + longest_cont - 1));
    if (need[u] > pool) {
      throw InputError("loglikelihood: item " + std::to_string(units[u].item) + " needs " +
                       std::to_string(need[u]) + " KV positions but " + device_name() + " has " +
                       std::to_string(pool) + " free");
    }
  }
  // Runs units [begin, end) unless told to stop, then reports the items whose last unit ran.
  auto run_group = [&](size_t begin, size_t end) {
    const bool stop = callbacks.should_stop && callbacks.should_stop();
    if (stop) {
      for (size_t u = begin; u < end; ++u) results[units[u].item].interrupted = true;
    } else {
      loglik_group(units, begin, end, results);
    }
    for (size_t u = begin; callbacks.on_done && u < end; ++u) {
      const size_t i = units[u].item;
      if (u + 1 == units.size() || units[u + 1].item != i) callbacks.on_done(i, results[i]);
    }
  };
  size_t begin = 0;
  int64_t used = 0;
  for (size_t u = 0; u < units.size(); ++u) {
    if (static_cast<int>(u - begin) >= limits_.max_active || used + need[u] > pool) {
      run_group(begin, u);
      begin = u;
      used = 0;
    }
    used += need[u];
  }
  if (begin < units.size()) run_group(begin, units.size());
  return results;
}

// Prefills the contexts of units [begin, end) together, then runs their j-th continuations
// together for each j, rewinding each cache to its context between continuations.
void BuiltinModel::loglik_group(const std::vector<LoglikUnit>& units, size_t begin, size_t end,
                                std::vector<LoglikResult>& results) {
  Engine& engine = *engine_.engine;
  const int vocab = config_.vocab_size;
  std::vector<int> seqs;
  std::vector<EngineChunk> chunks;
  for (size_t u = begin; u < end; ++u) {
    seqs.push_back(engine.new_sequence());
    chunks.push_back({seqs.back(), units[u].context, false});
    results[units[u].item].prompt_tokens += static_cast<long>(units[u].context.size());
  }
  const std::vector<float> last = engine.forward(chunks);  // (end - begin, vocab)
  size_t max_conts = 0;
  for (size_t u = begin; u < end; ++u) max_conts = std::max(max_conts, units[u].conts.size());
  for (size_t j = 0; j < max_conts; ++j) {
    chunks.clear();
    std::vector<size_t> who;
    for (size_t u = begin; u < end; ++u) {
      if (j >= units[u].conts.size() || units[u].conts[j].empty()) continue;
      const std::vector<int>& c = units[u].conts[j];
      LoglikResult& r = results[units[u].item];
      r.logliks[units[u].choices[j]] = logprob_of(last.data() + (u - begin) * vocab, vocab, c[0]);
      r.prompt_tokens += static_cast<long>(c.size());
      if (c.size() < 2) continue;
      engine.truncate(seqs[u - begin], static_cast<int>(units[u].context.size()));
      chunks.push_back({seqs[u - begin], std::vector<int>(c.begin(), c.end() - 1), true});
      who.push_back(u);
    }
    if (chunks.empty()) continue;
    const std::vector<float> rows = engine.forward(chunks);  // (sum of len-1, vocab)
    size_t row = 0;
    for (size_t u : who) {
      const std::vector<int>& c = units[u].conts[j];
      double& ll = results[units[u].item].logliks[units[u].choices[j]];
      for (size_t t = 1; t < c.size(); ++t) {
        ll += logprob_of(rows.data() + row++ * vocab, vocab, c[t]);
      }
    }
  }
  for (int s : seqs) engine.free_sequence(s);
  for (size_t u = begin; u < end; ++u) {
    LoglikResult& r = results[units[u].item];
    for (size_t j : units[u].choices) {
      if (r.error.empty() && !std::isfinite(r.logliks[j])) {
        r.error = non_finite_error("scoring continuation " + std::to_string(j));
      }
    }
  }
}

}  // namespace moebench
