// ApiBackend: requests -> calls (n choices in one call or n calls), each call's attempts with
// backoff, and the answer assembled into a Response.
#include "backends/api/api_backend.h"

#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>

#include "common/clock.h"
#include "common/error.h"
#include "common/hash.h"
#include "common/http_stream.h"

namespace moebench {
namespace {

ApiEndpoint endpoint_of(const ModelEntry& m, const std::string& ca_file) {
  ApiEndpoint e;
  http_split_url(m.base_url, "models." + m.name + ".base_url", &e.scheme_host_port, &e.prefix);
  e.ca_file = ca_file;
  return e;
}

// What the tokens-per-minute bucket is charged before the usage is known: about 4 bytes per
// prompt token plus every token the call may generate (the rule OpenAI's own limiter applies).
long token_estimate(const Request& r, const ApiCall& call) {
  size_t bytes = r.prompt.size();
  for (const ChatMessage& m : r.messages) bytes += m.content.size();
  for (const std::string& c : r.continuations) bytes += r.prompt.size() + c.size();
  long out = call.spans.empty() ? static_cast<long>(call.n) * r.generation.max_tokens : call.n;
  return static_cast<long>(bytes / 4) + 1 + out;
}

uint64_t clock_seed() {
  return static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
}

// The answer of the attempt that succeeded, added to `out`: its samples, tokens and timings. A
// choice the provider withheld (finish_reason content_filter) makes the call a failed one: its
// samples are not kept (so never cached), its tokens are billed all the same; the finish reasons
// of its choices follow those of the samples kept.
void add_reply(const ApiCall& call, AttemptResult& a, Response* out) {
  ApiReply& reply = *a.reply;
  const auto& why = reply.finish_reasons;
  if (!call.spans.empty()) {
    out->logliks = std::move(reply.logliks);
  } else {
    if (!why.empty() || !out->finish_reasons.empty()) {
      out->finish_reasons.resize(out->texts.size());
      reply.finish_reasons.resize(reply.texts.size());
      out->finish_reasons.insert(out->finish_reasons.end(), why.begin(), why.end());
    }
    if (std::find(why.begin(), why.end(), "content_filter") != why.end()) {
      out->error = ResponseError{
          ErrorType::content_filter,
          "the provider withheld the answer (finish_reason content_filter; Anthropic's "
          "stop_reason refusal): billed, not cached, asked again by the next run"};
    } else {
      if (!reply.reasoning.empty() || !out->reasoning.empty()) {
        out->reasoning.resize(out->texts.size());
        reply.reasoning.resize(reply.texts.size());
        out->reasoning.insert(out->reasoning.end(), reply.reasoning.begin(), reply.reasoning.end());
      }
      out->texts.insert(out->texts.end(), reply.texts.begin(), reply.texts.end());
    }
  }
  out->hidden_reasoning += api_hidden_reasoning(reply);
  api_settle_reasoning(&reply);
  out->tokens += reply.tokens;
  out->tokens_by_price[a.price_table] += reply.tokens;
  out->usage_missing |= !reply.usage;
  // NOTE: only a streamed call has a first token time (a.ttft_s > 0); the samples of later
  // calls come after the earlier calls' whole time.
  if (out->ttft_s == 0 && a.ttft_s > 0) out->ttft_s = out->total_s + a.ttft_s;
  out->total_s += a.total_s;
  out->itl_s.insert(out->itl_s.end(), a.itl_s.begin(), a.itl_s.end());
}

}  // namespace

ApiBackend::ApiBackend(ModelEntry model, ApiBackendOptions options)
    : model_(std::move(model)),
      options_(std::move(options)),
      price_(price_at(now())),
      wire_(api_wire_create(model_)),
      pool_(endpoint_of(model_, options_.ca_file), model_.transport),
      limiter_(model_.limits),
      rng_(options_.jitter_seed ? options_.jitter_seed : clock_seed()) {}

ApiBackend::~ApiBackend() = default;

BackendInfo ApiBackend::info() const {
  BackendInfo i;
  i.id = "api:" + model_.name;
  i.family = model_.provider;
  i.chat = model_.api.endpoint == "chat";
  i.completion = model_.api.endpoint == "completions";
  i.loglikelihood = model_.api.prompt_logprobs;
  i.streaming = model_.api.stream;
  i.resumes_samples = true;
  if (price_) i.prices = price_->to_backend_prices();
  for (const ModelPrice& p : model_.prices) {
    i.price_tables[p.effective_from] = p.to_backend_prices();
  }
  i.details = model_.to_json();
  i.details["name"] = model_.name;
  if (!options_.entry_model.empty() && options_.entry_model != model_.model) {
    i.details["entry_model"] = options_.entry_model;
  }
  i.published_as = model_.published_as;
  // The model id, format and generation overrides change answers; the URL, limits and transport
  // do not, so a proxy or a new rate limit still finds the cached responses.
  nlohmann::json api = i.details["api"];
  api.erase("stream");
  const nlohmann::json answer_shaping = {
      {"model", model_.model},
      {"provider", model_.provider},
      {"api", api},
      {"generation", i.details.value("generation", nlohmann::json())}};
  i.cache_tag = sha256_hex(answer_shaping.dump()).substr(0, 12);
  return i;
}

ApiBackendStats ApiBackend::stats() const {
  ApiBackendStats s;
  s.calls = calls_;
  s.attempts = attempts_;
  s.retries = retries_;
  s.failures = failures_;
  s.limiter_wait_s = limiter_.waited_s();
  s.backoff_wait_s = backoff_us_ / 1e6;
  std::lock_guard<std::mutex> lock(stats_mu_);
  s.retried = retried_;
  return s;
}

std::vector<Response> ApiBackend::run(const std::vector<Request>& batch) {
  return run_streaming(batch, [](size_t, const Response&) {});
}

std::vector<Response> ApiBackend::run_streaming(const std::vector<Request>& batch,
                                                const ResponseSink& on_done) {
  std::vector<Response> out;
  out.reserve(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    out.push_back(answer(batch[i], [&](const Response& so_far) { on_done(i, so_far); }));
    on_done(i, out.back());
  }
  return out;
}

Response ApiBackend::answer(const Request& r,
                            const std::function<void(const Response&)>& on_samples) {
  Response out;
  if (!r.continuations.empty()) {
    const ApiCall call = wire_->loglik_call(r);
    call_with_retries(call, token_estimate(r, call), &out);
    return out;
  }
  // Samples a partial answer in the cache already has (Request::samples_done) are not asked again.
  const int n = std::max(1, r.generation.n_samples);
  const int first = std::clamp(r.samples_done, 0, n - 1);
  const int per_call = model_.api.n_per_request ? n - first : 1;
  size_t cut = 0;  // texts cut at the stop strings so far
  for (int done = first; done < n && !out.error; done += per_call) {
    const ApiCall call = wire_->generate_call(r, per_call, done);
    call_with_retries(call, token_estimate(r, call), &out);
    for (; cut < out.texts.size(); ++cut) {
      out.texts[cut] = api_cut_at_stop(out.texts[cut], r.generation.stop);
    }
    // A kill before the next call returns keeps these: the cache holds them as a partial answer.
    if (!out.error && done + per_call < n && on_samples) {
      Response so_far = out;
      so_far.error = ResponseError{
          ErrorType::interrupted,
          "not all samples asked yet: the run stopped before the rest were; the next run asks "
          "for them"};
      so_far.in_progress = true;
      on_samples(so_far);
    }
  }
  return out;
}

bool ApiBackend::wait(double seconds) {
  const auto start = std::chrono::steady_clock::now();
  const auto until = start + std::chrono::duration<double>(seconds);
  bool woke = true;
  for (auto now = start; now < until; now = std::chrono::steady_clock::now()) {
    if (stopping()) {
      woke = false;
      break;
    }
    std::this_thread::sleep_for(
        std::min<std::chrono::duration<double>>(until - now, std::chrono::milliseconds(50)));
  }
  backoff_us_ += std::chrono::duration_cast<std::chrono::microseconds>(
                     std::chrono::steady_clock::now() - start)
                     .count();
  return woke;
}

std::optional<ModelPrice> ApiBackend::price_at(std::time_t t) {
  const std::string at = models_instant_at(t);
  std::optional<ModelPrice> price = models_price_at(model_, at);
  if (!price && !model_.prices.empty() && !unpriced_said_.exchange(true)) {
    std::fprintf(stderr,
                 "moebench: warning: no price table of models.%s covers %s (UTC): what is sent "
                 "then is unpriced and the run's cost not computed (null); add a table to the "
                 "models file\n",
                 model_.name.c_str(), at.c_str());
  }
  return price;
}

AttemptResult ApiBackend::send_once(const ApiCall& call) {
  ++attempts_;
  const std::time_t sent = now();
  const std::optional<ModelPrice> price = price_at(sent);
  std::unique_ptr<httplib::Client> client = pool_.take();
  AttemptResult a =
      api_attempt(*client, pool_.endpoint(), *wire_, call, model_.transport, options_.api_key);
  if (a.connection_ok) pool_.give_back(std::move(client));
  // A call is billed at the table in effect when it was sent, at its off-peak prices when it was
  // sent in that table's off-peak window.
  if (price && price->off_peak && price->off_peak->contains(sent)) {
    if (a.reply) a.reply->tokens.all_off_peak();
    a.billed_failure.tokens.all_off_peak();
  }
  a.price_table = price ? price->effective_from : "";
  if (a.billed_failure.attempts > 0) {
    a.billed_failure.by_price[a.price_table] += a.billed_failure.tokens;
  }
  return a;
}

void ApiBackend::call_with_retries(const ApiCall& call, long estimate, Response* out) {
  ++calls_;
  const ModelTransport& t = model_.transport;
  const ResponseError interrupted{ErrorType::interrupted,
                                  "not sent: the run was stopped (SIGINT); the next run sends it"};
  for (int attempt = 0;; ++attempt) {
    if (stopping() || !limiter_.acquire(estimate, options_.should_stop)) {
      out->error = interrupted;
      out->retries += attempt;
      return;
    }
    AttemptResult a = send_once(call);
    if (a.reply) {
      ApiReply& reply = *a.reply;
      limiter_.settle(estimate,
                      reply.usage ? reply.tokens.prompt + reply.tokens.completion : estimate);
      add_reply(call, a, out);
      failures_ += out->error.has_value();
      out->retries += attempt;
      return;
    }
    out->failed_attempts += a.billed_failure;
    AttemptFailure& f = a.failure;
    bool again = api_retryable(f) && attempt < t.max_retries;
    if (again && f.retry_after && *f.retry_after > t.retry_after_max_s) {
      again = false;
      f.message += " (Retry-After " + std::to_string(*f.retry_after) +
                   " s is over transport.retry_after_max_s)";
    }
    if (!again) {
      ++failures_;
      if (attempt > 0) f.message += " (after " + std::to_string(attempt + 1) + " attempts)";
      out->error = ResponseError{f.type, f.message};
      out->retries += attempt;
      return;
    }
    ++retries_;
    {
      std::lock_guard<std::mutex> lock(stats_mu_);
      ++retried_[error_type_name(f.type)];
    }
    double delay;
    {
      std::lock_guard<std::mutex> lock(rng_mu_);
      delay = api_backoff_s(t, attempt, f.retry_after, rng_);
    }
    if (!wait(delay)) {
      out->error = interrupted;
      out->retries += attempt;
      return;
    }
  }
}

}  // namespace moebench
