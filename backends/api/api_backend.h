// The API backend: a named model of the models file answered over HTTP (OpenAI-compatible,
// DeepSeek, Anthropic), with retries, client-side rate limits, a cap on requests in flight,
// streaming latencies and token counts for the price table.
#pragma once

#include <atomic>
#include <ctime>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>

#include "backends/api/api_exchange.h"
#include "backends/api/api_limiter.h"
#include "backends/backend.h"
#include "backends/models_file.h"

namespace moebench {

struct ApiBackendOptions {
  std::string api_key;  // from the environment variable the models file names
  std::string ca_file;  // extra CA bundle for HTTPS
  // Polled before each attempt and while waiting: true stops sending (SIGINT). Requests in flight
  // finish; those not sent answer with an "interrupted" error, which the cache never keeps.
  std::function<bool()> should_stop;
  uint64_t jitter_seed = 0;  // 0 = from the clock
  // The wall clock: read when the backend is made and as each attempt is sent, to pick the price
  // table in effect then. Empty = std::time; tests set a fake one (MOEBENCH_FAKE_NOW).
  std::function<std::time_t()> now;
  // The models file entry's own model when `--backend-opt model=X` sends another; run.json
  // records it (backend.details.entry_model) so reports tell the two models apart.
  std::string entry_model;
};

// Totals over the backend's life, for run.json and the benchmark.
struct ApiBackendStats {
  long calls = 0, attempts = 0, retries = 0, failures = 0;
  double limiter_wait_s = 0, backoff_wait_s = 0;
  std::map<std::string, long> retried;  // failure type -> attempts that were tried again
};

class ApiBackend : public Backend {
 public:
  // InputError when the entry cannot be used (a chat request to an unsupported format, a URL).
  ApiBackend(ModelEntry model, ApiBackendOptions options);
  ~ApiBackend() override;
  BackendInfo info() const override;
  std::vector<Response> run(const std::vector<Request>& batch) override;
  // The batch's requests one after another (a --batch-size above 1), each told as it is answered;
  // a request whose samples are asked in separate calls is also told of them after each call.
  std::vector<Response> run_streaming(const std::vector<Request>& batch,
                                      const ResponseSink& on_done) override;
  // One request per call, as many calls in flight as the model's limits allow.
  int max_batch() const override { return 1; }
  int concurrency() const override { return model_.limits.max_in_flight; }
  ApiBackendStats stats() const;
  const ModelEntry& model() const { return model_; }

 private:
  // `on_samples` (may be empty) is told of the samples so far after each call but the last of a
  // request asked in separate calls (a partial answer, Response::in_progress).
  Response answer(const Request& r, const std::function<void(const Response&)>& on_samples);
  // One attempt on a pooled connection, its tokens billed at the price table in effect when it
  // was sent (AttemptResult::price_table), off-peak when it was sent in that table's window.
  AttemptResult send_once(const ApiCall& call);
  std::time_t now() const { return options_.now ? options_.now() : std::time(nullptr); }
  // The price table in effect at `t`; warns once per run when the entry has tables and none
  // covers `t` (what is sent then is unpriced, and the run's cost null).
  std::optional<ModelPrice> price_at(std::time_t t);
  // One call with its retries; fills `out` (texts, tokens, timings) or its error.
  void call_with_retries(const ApiCall& call, long estimate, Response* out);
  bool stopping() const { return options_.should_stop && options_.should_stop(); }
  // Sleeps `seconds`, waking early (false) when stopping.
  bool wait(double seconds);

  ModelEntry model_;
  ApiBackendOptions options_;
  std::atomic<bool> unpriced_said_{false};  // before price_, whose making may warn
  // The price table in effect when the backend was made (BackendInfo::prices); each attempt is
  // billed at the one in effect when it is sent.
  std::optional<ModelPrice> price_;
  std::unique_ptr<ApiWire> wire_;
  ApiConnectionPool pool_;
  ApiLimiter limiter_;
  std::mutex rng_mu_;
  std::mt19937_64 rng_;
  std::atomic<long> calls_{0}, attempts_{0}, retries_{0}, failures_{0}, backoff_us_{0};
  mutable std::mutex stats_mu_;
  std::map<std::string, long> retried_;
};

}  // namespace moebench
