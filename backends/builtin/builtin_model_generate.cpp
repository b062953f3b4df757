// BuiltinModel::generate: continuous batching over the Engine (admission by KV reservation, split
// prefills, one sampled forward per step), stop strings and streaming.
#include <algorithm>
#include <chrono>
#include <deque>
#include <stdexcept>

#include "backends/builtin/builtin_model.h"
#include "common/error.h"

namespace moebench {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// One generation in flight.
struct Active {
  size_t index = 0;
  int seq = -1;
  size_t prefilled = 0;  // prompt tokens already in the cache
  int next_input = -1;   // the last sampled token, fed by the next decode step
  int64_t reserved = 0;  // KV positions held back for this sequence at admission
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

void GenerateLimits::validate() const {
  if (max_active < 1) {
    throw InputError("max_active (--max-batch): must be >= 1, got " + std::to_string(max_active));
  }
  if (max_kv_tokens < 0) {
    throw InputError("max_kv_tokens: must be >= 0 (0 = no cap), got " +
                     std::to_string(max_kv_tokens));
  }
  if (max_step_tokens < max_active) {
    throw InputError("max_step_tokens: must be >= max_active (" + std::to_string(max_active) +
                     ": every running sequence decodes each step), got " +
                     std::to_string(max_step_tokens));
  }
}

void BuiltinModel::set_limits(const GenerateLimits& limits) {
  limits.validate();
  if (limits.max_active > loaded_limits_.max_active ||
      limits.max_step_tokens > loaded_limits_.max_step_tokens) {
    throw std::invalid_argument("BuiltinModel::set_limits: " + std::to_string(limits.max_active) +
                                " sequences / " + std::to_string(limits.max_step_tokens) +
                                " step tokens exceed the loaded " +
                                std::to_string(loaded_limits_.max_active) + " / " +
                                std::to_string(loaded_limits_.max_step_tokens));
  }
  limits_ = limits;
}

int64_t BuiltinModel::kv_free(int64_t reserved) const {
  const int64_t free = engine_.engine->free_kv_tokens();
  if (limits_.max_kv_tokens == 0) return free;
  return std::min(free, std::max<int64_t>(0, limits_.max_kv_tokens - reserved));
}

std::vector<GenerateResult> BuiltinModel::generate(const std::vector<GenerateRequest>& requests,
                                                   const TextCallback& on_text) {
  GenerateCallbacks callbacks;
  callbacks.on_text = on_text;
  return generate(requests, callbacks);
}

std::vector<GenerateResult> BuiltinModel::generate(const std::vector<GenerateRequest>& requests,
                                                   const GenerateCallbacks& callbacks) {
  const auto t0 = Clock::now();
  const TextCallback& on_text = callbacks.on_text;
  auto done = [&](size_t i, const GenerateResult& r) {
    if (callbacks.on_done) callbacks.on_done(i, r);
  };
  Engine& engine = *engine_.engine;
  std::vector<GenerateResult> results(requests.size());
  const int64_t pool = kv_free(0);
  auto need_of = [&](const GenerateRequest& r) {
    return kv_need(
        std::min<int64_t>(static_cast<int64_t>(r.prompt.size()) + r.max_tokens, max_context()));
  };
  std::deque<size_t> waiting;
  for (size_t i = 0; i < requests.size(); ++i) {
    const GenerateRequest& r = requests[i];
    if (r.prompt.empty())
      throw InputError("generate: request " + std::to_string(i) + " has an empty prompt");
    if (static_cast<int>(r.prompt.size()) >= max_context()) {
      throw InputError("generate: request " + std::to_string(i) + ": prompt of " +
                       std::to_string(r.prompt.size()) + " tokens does not fit the context of " +
                       std::to_string(max_context()));
    }
    if (r.max_tokens <= 0) {
      results[i].finish_reason = "length";
      done(i, results[i]);
      continue;
    }
    if (need_of(r) > pool) {
      throw InputError("generate: request " + std::to_string(i) + " needs " +
                       std::to_string(need_of(r)) + " KV positions (prompt + max_tokens) but " +
                       engine.device_name() + " has " + std::to_string(pool) + " free");
    }
    waiting.push_back(i);
  }

  std::vector<Active> running;  // in admission order
  // Admits waiting requests (in order) while a slot is free and the cache has room for what every
  // admitted sequence may still grow to.
  auto admit = [&] {
    // The engine's free count already excludes what running sequences cached; the cap counts
    // whole reservations.
    int64_t outstanding = 0, reserved = 0;  // reserved positions not yet cached; all reserved
    for (const Active& a : running) {
      outstanding += std::max<int64_t>(0, a.reserved - engine.cache_len(a.seq));
      reserved += a.reserved;
    }
    if (callbacks.should_stop && !waiting.empty() && callbacks.should_stop()) {
      for (size_t i : waiting) {
        results[i].finish_reason = "interrupted";
        done(i, results[i]);
      }
      waiting.clear();
    }
    const int64_t engine_free = engine.free_kv_tokens();
    int64_t cap_free = limits_.max_kv_tokens == 0
                           ? engine_free
                           : std::max<int64_t>(0, limits_.max_kv_tokens - reserved);
    while (!waiting.empty() && static_cast<int>(running.size()) < limits_.max_active) {
      const GenerateRequest& r = requests[waiting.front()];
      if (outstanding + need_of(r) > engine_free || need_of(r) > cap_free) break;
      Active a;
      a.index = waiting.front();
      a.reserved = need_of(r);
      a.sampler = std::make_unique<Sampler>(r.sampling);
      a.decoder = std::make_unique<TokenStreamDecoder>(*tokenizer_, true);
      a.seq = engine.new_sequence();
      outstanding += a.reserved;
      cap_free -= a.reserved;
      running.push_back(std::move(a));
      waiting.pop_front();
    }
    if (running.empty() && !waiting.empty()) {
      throw std::runtime_error("generate: the KV cache of " + engine.device_name() + " has " +
                               std::to_string(engine_free) +
                               " free positions, not enough for request " +
                               std::to_string(waiting.front()));
    }
  };

  // Takes one sampled token of a sequence whose prompt is cached.
  auto accept = [&](Active& a, int tok) {
    const GenerateRequest& r = requests[a.index];
    GenerateResult& out = results[a.index];
    if (out.tokens.empty()) out.ttft_s = seconds_since(t0);
    const bool at_limit = static_cast<int>(out.tokens.size()) + 1 >= r.max_tokens ||
                          engine.cache_len(a.seq) + 1 >= max_context();
    accept_token(a, tok, is_eos(tok) && !r.ignore_eos, at_limit, r, out);
    const size_t safe = releasable(a, r);
    if (on_text && safe > a.emitted) on_text(a.index, a.text.substr(a.emitted, safe - a.emitted));
    a.emitted = std::max(a.emitted, safe);
    a.next_input = tok;
    if (a.done) {
      out.text = a.text;
      out.total_s = seconds_since(t0);
      engine.free_sequence(a.seq);
      a.seq = -1;
      done(a.index, out);
    }
  };

  // One step: a decode token per sequence with its prompt cached, then prompt pieces (FIFO) up to
  // max_step_tokens in all. Pieces that finish a prompt are sampled with the decodes; the others
  // only fill the cache.
  auto step = [&] {
    std::vector<EngineChunk> sampled, partial;
    std::vector<Active*> owners;
    std::vector<Sampler*> samplers;
    int64_t budget = limits_.max_step_tokens;
    for (Active& a : running) {
      if (a.prefilled < requests[a.index].prompt.size()) continue;
      sampled.push_back({a.seq, {a.next_input}, false});
      owners.push_back(&a);
      samplers.push_back(a.sampler.get());
      --budget;
    }
    for (Active& a : running) {
      const std::vector<int>& prompt = requests[a.index].prompt;
      if (a.prefilled >= prompt.size() || budget <= 0) continue;
      const size_t n = std::min<size_t>(prompt.size() - a.prefilled, budget);
      EngineChunk c{a.seq, {prompt.begin() + a.prefilled, prompt.begin() + a.prefilled + n}, false};
      a.prefilled += n;
      budget -= static_cast<int64_t>(n);
      if (a.prefilled < prompt.size()) {
        partial.push_back(std::move(c));
        continue;
      }
      sampled.push_back(std::move(c));
      owners.push_back(&a);
      samplers.push_back(a.sampler.get());
    }
    if (!partial.empty()) engine.forward(partial);  // logits of unfinished prompts are unused
    if (sampled.empty()) return;
    const std::vector<int> ids = engine.forward_sample(sampled, samplers);
    for (size_t k = 0; k < ids.size(); ++k) accept(*owners[k], ids[k]);
  };

  try {
    while (!waiting.empty() || !running.empty()) {
      admit();
      step();
      running.erase(
          std::remove_if(running.begin(), running.end(), [](const Active& a) { return a.done; }),
          running.end());
    }
  } catch (...) {
    // The engine outlives this call (the server goes on): give back every cache it holds.
    for (const Active& a : running) {
      if (a.seq >= 0) engine.free_sequence(a.seq);
    }
    throw;
  }
  return results;
}

}  // namespace moebench
