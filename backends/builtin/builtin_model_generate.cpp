// BuiltinModel::generate: continuous batching over the Engine (admission by KV reservation, split
// prefills, one sampled forward per step, the next step started before this one's ids are read
// where the engine runs steps asynchronously), stop strings and streaming.
#include <algorithm>
#include <chrono>
#include <deque>
#include <functional>
#include <stdexcept>

#include "backends/builtin/builtin_model.h"
#include "backends/builtin/stop_scanner.h"
#include "common/clock.h"
#include "common/error.h"

namespace moebench {
namespace {

// One generation in flight.
struct Active {
  size_t index = 0;
  int seq = -1;
  size_t prefilled = 0;  // prompt tokens already in the cache
  int next_input = -1;   // the last sampled token, fed by the next decode step
  bool pending = false;  // a started step samples this sequence's next token (not yet read)
  int cached = 0;        // positions the started steps have cached (prompt pieces, decode inputs)
  int64_t reserved = 0;  // KV positions held back for this sequence at admission
  std::unique_ptr<Sampler> sampler;
  std::unique_ptr<TokenStreamDecoder> decoder;
  std::string text;    // decoded so far (cut at a stop string once found)
  size_t emitted = 0;  // bytes of text already passed to the callback
  bool done = false;
  std::unique_ptr<StopScanner> stops;  // stop strings, never inside the thinking
};

// Appends one sampled token to a generation: EOS, a stop string or the token limit end it.
// The thinking budget ends a generation still thinking after that many tokens.
void accept_token(Active& a, int tok, bool eos, bool at_limit, const GenerateRequest& r,
                  GenerateResult& out, double elapsed_s) {
  out.tokens.push_back(tok);
  const size_t before = a.text.size();
  if (eos) {
    a.done = true;
    out.finish_reason = "stop";
  } else {
    a.text += a.decoder->push(tok);
  }
  const bool over_budget = a.stops->thinking() && r.thinking_budget > 0 &&
                           static_cast<int>(out.tokens.size()) >= r.thinking_budget;
  if (!a.done && (at_limit || over_budget)) {
    a.done = true;
    out.finish_reason = "length";
  }
  if (a.done) a.text += a.decoder->flush();  // bytes of an unfinished character become U+FFFD
  const bool was_thinking = a.stops->thinking();
  const size_t stop_at = a.stops->feed(a.text, before);
  if (was_thinking || a.stops->closed_thinking()) {
    out.thinking_tokens = static_cast<int>(out.tokens.size());
    if (a.stops->closed_thinking()) out.thinking_s = elapsed_s;
  }
  if (stop_at != std::string::npos) {
    a.text.resize(stop_at);
    a.done = true;
    out.finish_reason = "stop";
  }
}

// How much of the text is final: while running, the tail a stop string could still cut is held,
// from the start of the character the cut falls in (the held bytes are counted in bytes, and a
// piece streamed with half a character would reach the client as U+FFFD).
size_t releasable(const Active& a) {
  if (a.done) return a.text.size();
  const size_t hold = a.stops->hold();
  size_t safe = a.text.size() >= hold ? a.text.size() - hold : 0;
  while (safe > 0 && safe < a.text.size() &&
         (static_cast<unsigned char>(a.text[safe]) & 0xC0) == 0x80) {
    --safe;
  }
  return safe;
}

// The scheduler of one generate() call: requests wait in order; each round admits what fits (a
// free slot, KV room for prompt + max_tokens), runs one step and retires the finished sequences.
class GenerateRun {
 public:
  GenerateRun(const BuiltinModel& model, Engine& engine, std::function<bool(int)> is_eos,
              std::vector<GenerateRequest> requests, const GenerateCallbacks& callbacks)
      : t0_(Clock::now()),
        model_(model),
        engine_(engine),
        is_eos_(std::move(is_eos)),
        requests_(std::move(requests)),
        callbacks_(callbacks),
        results_(requests_.size()),
        pool_(model.kv_free(0)) {}

  std::vector<GenerateResult> run() {
    enqueue();
    const int depth = model_.limits().steps_in_flight > 0 ? model_.limits().steps_in_flight
                                                          : engine_.steps_in_flight();
    try {
      for (;;) {
        join();
        drop_cancelled();
        if (waiting_.empty() && running_.empty() && started_.empty()) break;
        admit();
        const bool started = start_step();
        // NOTE: with depth 2 the step just started runs while the previous one's ids are read.
        if (static_cast<int>(started_.size()) >= depth || (!started && !started_.empty())) {
          finish_step();
        }
        erase_done();
      }
    } catch (...) {
      // The engine outlives this call (the server goes on): read what it still runs and give
      // back every cache it holds.
      for (; !started_.empty(); started_.pop_front()) {
        try {
          engine_.finish_sample();
        } catch (...) {  // NOTE: the first error is the one reported
        }
      }
      for (const Active& a : running_) {
        if (a.seq >= 0) engine_.free_sequence(a.seq);
      }
      throw;
    }
    return std::move(results_);
  }

 private:
  void done(size_t i) {
    if (callbacks_.on_done) callbacks_.on_done(i, results_[i]);
  }

  int64_t need_of(const GenerateRequest& r) const {
    return model_.kv_need(std::min<int64_t>(static_cast<int64_t>(r.prompt.size()) + r.max_tokens,
                                            model_.max_context()));
  }

  // Why request i cannot run ("" when it can): an empty prompt, one past the context, or more
  // KV positions than the whole `pool`.
  std::string refusal(size_t i, int64_t pool) const {
    const GenerateRequest& r = requests_[i];
    const std::string at = "generate: request " + std::to_string(i);
    if (r.prompt.empty()) return at + " has an empty prompt";
    const int max_context = model_.max_context();
    if (static_cast<int>(r.prompt.size()) >= max_context) {
      return at + ": prompt of " + std::to_string(r.prompt.size()) +
             " tokens does not fit the context of " + std::to_string(max_context);
    }
    if (r.max_tokens > 0 && need_of(r) > pool) {
      return at + " needs " + std::to_string(need_of(r)) +
             " KV positions (prompt + max_tokens) but " + engine_.device_name() + " has " +
             std::to_string(pool) + " free";
    }
    return "";
  }

  // Queues request i, or ends it at once when it asks for no tokens.
  void queue(size_t i) {
    if (requests_[i].max_tokens > 0) {
      waiting_.push_back(i);
      return;
    }
    results_[i].finish_reason = "length";
    done(i);
  }

  // Checks every request (InputError naming the first that cannot run) and queues them.
  void enqueue() {
    for (size_t i = 0; i < requests_.size(); ++i) {
      if (const std::string why = refusal(i, pool_); !why.empty()) throw InputError(why);
      queue(i);
    }
  }

  // Requests that join while this call runs (GenerateCallbacks::more), asked for when a slot is
  // free and none waits. One that cannot run ends alone with finish_reason "error".
  void join() {
    if (!callbacks_.more || !waiting_.empty() ||
        static_cast<int>(running_.size()) >= model_.limits().max_active) {
      return;
    }
    for (GenerateRequest& r : callbacks_.more()) {
      const size_t i = requests_.size();
      requests_.push_back(std::move(r));
      results_.emplace_back();
      if (std::string why = refusal(i, pool_); !why.empty()) {
        results_[i].finish_reason = "error";
        results_[i].error = std::move(why);
        done(i);
        continue;
      }
      queue(i);
    }
  }

  // Drops the finished sequences (their caches are already freed).
  void erase_done() {
    running_.erase(
        std::remove_if(running_.begin(), running_.end(), [](const Active& a) { return a.done; }),
        running_.end());
  }

  // Ends the requests the caller gave up on (GenerateCallbacks::cancelled): a running one keeps
  // what it generated and frees its cache; a waiting one ends without tokens.
  void drop_cancelled() {
    if (!callbacks_.cancelled) return;
    for (Active& a : running_) {
      if (a.done || !callbacks_.cancelled(a.index)) continue;
      a.done = true;
      results_[a.index].finish_reason = "cancelled";
      end_sequence(a);
    }
    erase_done();
    for (auto it = waiting_.begin(); it != waiting_.end();) {
      if (!callbacks_.cancelled(*it)) {
        ++it;
        continue;
      }
      results_[*it].finish_reason = "cancelled";
      done(*it);
      it = waiting_.erase(it);
    }
  }

  // Admits waiting requests (in order) while a slot is free and the cache has room for what every
  // admitted sequence may still grow to.
  void admit() {
    // The engine's free count already excludes what running sequences cached; the cap counts
    // whole reservations.
    int64_t outstanding = 0, reserved = 0;  // reserved positions not yet cached; all reserved
    for (const Active& a : running_) {
      outstanding += std::max<int64_t>(0, a.reserved - engine_.cache_len(a.seq));
      reserved += a.reserved;
    }
    if (callbacks_.should_stop && !waiting_.empty() && callbacks_.should_stop()) {
      for (size_t i : waiting_) {
        results_[i].finish_reason = "interrupted";
        done(i);
      }
      waiting_.clear();
    }
    const GenerateLimits& limits = model_.limits();
    const int64_t engine_free = engine_.free_kv_tokens();
    int64_t cap_free = limits.max_kv_tokens == 0
                           ? engine_free
                           : std::max<int64_t>(0, limits.max_kv_tokens - reserved);
    while (!waiting_.empty() && static_cast<int>(running_.size()) < limits.max_active) {
      const GenerateRequest& r = requests_[waiting_.front()];
      if (outstanding + need_of(r) > engine_free || need_of(r) > cap_free) break;
      Active a;
      a.index = waiting_.front();
      a.reserved = need_of(r);
      a.sampler = std::make_unique<Sampler>(r.sampling);
      a.decoder = std::make_unique<TokenStreamDecoder>(model_.tokenizer(), true);
      a.stops = std::make_unique<StopScanner>(r.stop, r.starts_in_thinking);
      a.seq = engine_.new_sequence();
      outstanding += a.reserved;
      cap_free -= a.reserved;
      running_.push_back(std::move(a));
      waiting_.pop_front();
    }
    if (running_.empty() && !waiting_.empty()) {
      throw std::runtime_error("generate: the KV cache of " + engine_.device_name() + " has " +
                               std::to_string(engine_free) +
                               " free positions, not enough for request " +
                               std::to_string(waiting_.front()));
    }
  }

  // Whether a sequence's token still to be read (pending) is not its last by the host's limits:
  // then the next step can feed it before it is known.
  bool continues(const Active& a) const {
    return static_cast<int>(results_[a.index].tokens.size()) + 1 < requests_[a.index].max_tokens &&
           a.cached + 1 < model_.max_context();
  }

  // Takes one sampled token of a sequence whose prompt is cached; `cached` positions were in its
  // cache when the token was drawn.
  void accept(Active& a, int tok, int cached) {
    const GenerateRequest& r = requests_[a.index];
    GenerateResult& out = results_[a.index];
    if (out.tokens.empty()) out.ttft_s = seconds_since(t0_);
    const bool at_limit = static_cast<int>(out.tokens.size()) + 1 >= r.max_tokens ||
                          cached + 1 >= model_.max_context();
    accept_token(a, tok, is_eos_(tok) && !r.ignore_eos, at_limit, r, out, seconds_since(t0_));
    const size_t safe = releasable(a);
    if (callbacks_.on_text && safe > a.emitted) {
      callbacks_.on_text(a.index, a.text.substr(a.emitted, safe - a.emitted));
    }
    a.emitted = std::max(a.emitted, safe);
    a.next_input = tok;
    if (a.done) end_sequence(a);
  }

  // A finished sequence's result takes its text and time; its cache is freed.
  void end_sequence(Active& a) {
    GenerateResult& out = results_[a.index];
    out.text = a.text;
    out.total_s = seconds_since(t0_);
    engine_.free_sequence(a.seq);
    a.seq = -1;
    done(a.index);
  }

  // Starts one step: a decode token per sequence with its prompt cached (the token a started step
  // is still drawing, kSampledToken, unless the host's limits end the sequence with it), then
  // prompt pieces (FIFO) up to max_step_tokens in all. Pieces that finish a prompt are sampled
  // with the decodes; the others only fill the cache. False when there was nothing to start.
  bool start_step() {
    std::vector<EngineChunk> sampled, partial;
    StartedStep st;
    std::vector<Sampler*> samplers;
    int64_t budget = model_.limits().max_step_tokens;
    for (Active& a : running_) {
      if (a.done || a.prefilled < requests_[a.index].prompt.size()) continue;
      if (a.pending && !continues(a)) continue;
      sampled.push_back({a.seq, {a.pending ? kSampledToken : a.next_input}, false});
      samplers.push_back(a.sampler.get());
      st.owners.push_back({a.index, ++a.cached});
      a.pending = true;
      --budget;
    }
    for (Active& a : running_) {
      const std::vector<int>& prompt = requests_[a.index].prompt;
      if (a.prefilled >= prompt.size() || budget <= 0) continue;
      const size_t n = std::min<size_t>(prompt.size() - a.prefilled, budget);
      EngineChunk c{a.seq, {prompt.begin() + a.prefilled, prompt.begin() + a.prefilled + n}, false};
      a.prefilled += n;
      a.cached += static_cast<int>(n);
      budget -= static_cast<int64_t>(n);
      if (a.prefilled < prompt.size()) {
        partial.push_back(std::move(c));
        continue;
      }
      sampled.push_back(std::move(c));
      samplers.push_back(a.sampler.get());
      st.owners.push_back({a.index, a.cached});
      a.pending = true;
    }
    if (!partial.empty()) engine_.forward(partial);  // logits of unfinished prompts are unused
    if (sampled.empty()) return false;
    engine_.start_sample(sampled, samplers);
    started_.push_back(std::move(st));
    return true;
  }

  // Reads the oldest started step's ids and accepts them; a sequence that ended at an earlier
  // step (EOS, a stop string) drops its token.
  void finish_step() {
    const StartedStep st = std::move(started_.front());
    started_.pop_front();
    const std::vector<int> ids = engine_.finish_sample();
    for (size_t k = 0; k < ids.size(); ++k) {
      const auto it = std::find_if(running_.begin(), running_.end(),
                                   [&](const Active& a) { return a.index == st.owners[k].index; });
      if (it == running_.end() || it->done) continue;
      // NOTE: still pending when the step after this one feeds it (it started before this read).
      it->pending = std::any_of(started_.begin(), started_.end(), [&](const StartedStep& s) {
        return std::any_of(s.owners.begin(), s.owners.end(),
                           [&](const Owner& o) { return o.index == it->index; });
      });
      if (ids[k] == kNonFiniteDraw || it->sampler->saw_non_finite()) {
        fail_non_finite(*it);
        continue;
      }
      accept(*it, ids[k], st.owners[k].cached);
    }
  }

  // A sequence whose token was drawn from logits holding NaN or an infinity takes no token: it
  // ends with finish_reason "error" (GenerateResult::non_finite) and frees its cache.
  void fail_non_finite(Active& a) {
    GenerateResult& out = results_[a.index];
    a.done = true;
    out.finish_reason = "error";
    out.non_finite = true;
    out.error = model_.non_finite_error("request " + std::to_string(a.index) + ", token " +
                                        std::to_string(out.tokens.size() + 1));
    end_sequence(a);
  }

  // A sampled chunk of a started step: its request and the positions cached once the step ran.
  struct Owner {
    size_t index = 0;
    int cached = 0;
  };
  struct StartedStep {
    std::vector<Owner> owners;  // in chunk order
  };

  const Clock::time_point t0_;
  const BuiltinModel& model_;
  Engine& engine_;
  const std::function<bool(int)> is_eos_;
  std::vector<GenerateRequest> requests_;  // the given ones, then those that joined
  const GenerateCallbacks& callbacks_;
  std::vector<GenerateResult> results_;
  const int64_t pool_;  // the KV positions free when the call began: the most one request gets
  std::deque<size_t> waiting_;       // request indices not yet admitted, in order
  std::vector<Active> running_;      // in admission order
  std::deque<StartedStep> started_;  // started, unfinished engine steps, oldest first
};

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
  if (steps_in_flight < 0 || steps_in_flight > 2) {
    throw InputError("steps_in_flight: must be 0 (the engine's choice), 1 or 2, got " +
                     std::to_string(steps_in_flight));
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

std::vector<GenerateResult> BuiltinModel::generate(std::vector<GenerateRequest> requests,
                                                   const GenerateCallbacks& callbacks) {
  return GenerateRun(
             *this, *engine_.engine, [this](int id) { return is_eos(id); }, std::move(requests),
             callbacks)
      .run();
}

}  // namespace moebench
