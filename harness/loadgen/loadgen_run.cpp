// Plays the arrival schedule against the server with a pool of workers and summarizes.
#include "harness/loadgen/loadgen_run.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <unordered_set>

#include "common/clock.h"
#include "common/error.h"
#include "common/http_stream.h"
#include "harness/runner/interrupt.h"

namespace moebench {

using json = nlohmann::json;

void LoadgenOptions::validate() const {
  if (target.model.empty()) throw InputError("--model is required");
  if (!(request_rate > 0)) throw InputError("--request-rate must be positive (or inf)");
  if (!(burstiness > 0) || std::isinf(burstiness))
    throw InputError("--burstiness must be positive (1: Poisson arrivals)");
  if (max_concurrency < 0) throw InputError("--max-concurrency must be at least 1 (or 0: no cap)");
  if (max_workers < 1) throw InputError("loadgen: max_workers must be at least 1");
  if (warmup < 0) throw InputError("--warmup must be at least 0");
  if (!(target.timeout_s > 0)) throw InputError("--timeout must be positive");
  std::string host, prefix;
  http_split_url(target.base_url, "--base-url", &host, &prefix);
}

namespace {

// each(i, reused) for i in 0..n-1 on `workers` threads (at most n): worker w's first request is w,
// then each takes the next one in order; `reused`: the worker came to i from an earlier request.
// NOTE: a worker's first request is its own from the start, however late its thread starts, so a
// slow start is never taken for a wait behind busy workers (loadgen_waited_for_worker).
void on_workers(int n, int workers, const std::function<void(int, bool)>& each) {
  const int count = std::min(workers, n);
  std::atomic<int> next{count};
  auto worker = [&](int first) {
    each(first, false);
    for (int i; (i = next.fetch_add(1)) < n;) each(i, true);
  };
  std::vector<std::thread> threads;
  for (int w = 0; w < count; ++w) threads.emplace_back(worker, w);
  for (std::thread& t : threads) t.join();
}

// InputError unless there are warm-up prompts for options.warmup requests, none of them measured.
void check_warmup_prompts(const LoadgenOptions& options, const std::vector<LoadgenPrompt>& measured,
                          const std::vector<LoadgenPrompt>& prompts) {
  if (options.warmup <= 0) return;
  if (prompts.empty())
    throw InputError("--warmup " + std::to_string(options.warmup) + ": no warm-up prompts");
  std::unordered_set<std::string> keys;
  for (const LoadgenPrompt& p : measured) keys.insert(loadgen_prompt_key(p));
  for (size_t i = 0; i < prompts.size(); ++i) {
    if (keys.count(loadgen_prompt_key(prompts[i]))) {
      throw InputError("--warmup: warm-up prompt " + std::to_string(i + 1) +
                       " is also a measured prompt, which a server's prefix cache would then "
                       "answer without its prefill");
    }
  }
}

// The warm-up: options.warmup requests (the warm-up prompts in turn) on up to `concurrency`
// workers, all sent at once; LoadgenWarmupFailed naming the first that failed.
void warm_up(const LoadgenOptions& options, const std::vector<LoadgenPrompt>& prompts,
             int concurrency) {
  const int n = options.warmup;
  if (n <= 0 || prompts.empty()) return;
  std::vector<RequestRecord> records(n);
  LoadgenClient client(options.target);
  const auto start = std::chrono::steady_clock::now();
  on_workers(n, concurrency, [&](int i, bool) {
    if (!interrupt_requested()) records[i] = client.send(prompts[i % prompts.size()], i, start);
  });
  for (int i = 0; i < n; ++i) {
    if (records[i].ok || interrupt_requested()) continue;
    throw LoadgenWarmupFailed("loadgen: warm-up request " + std::to_string(i + 1) + " of " +
                              std::to_string(n) + " failed (" + records[i].error_type +
                              "): " + records[i].error_message);
  }
}

// The tokens a prompt sends as vLLM's prompt_len counts them: its text (chat: each message's
// content), without a chat template.
long prompt_tokens(const LoadgenPrompt& p, bool chat,
                   const std::function<long(const std::string&)>& count) {
  if (!chat || p.messages.empty()) return count(p.text);
  long n = 0;
  for (const ChatMessage& m : p.messages) n += count(m.content);
  return n;
}

// With --tokenizer, the completed requests that had no usage chunk get their tokens counted: the
// generated text and the prompt, as vLLM's benchmark does (a chunk can carry several tokens).
void count_unreported_tokens(const LoadgenOptions& options,
                             const std::vector<LoadgenPrompt>& prompts,
                             std::vector<RequestRecord>* records) {
  if (!options.count_tokens) return;
  for (size_t i = 0; i < records->size(); ++i) {
    RequestRecord& r = (*records)[i];
    if (!r.ok || r.token_source != TokenSource::chunks) continue;
    r.output_tokens = options.count_tokens(r.output_text);
    r.input_tokens = prompt_tokens(prompts[i], options.target.chat, options.count_tokens);
    r.token_source = TokenSource::tokenizer;
  }
}

// Marks the sent requests that waited in the client for a worker, and without --max-concurrency
// starts their latency clocks at their arrival (vLLM counts a wait for a connection in them).
void mark_waits(const std::vector<LoadgenWorkerSpan>& held, const std::vector<char>& sent,
                bool clock_from_arrival, LoadgenResult* result) {
  const std::vector<bool> waited =
      loadgen_waited_for_worker(result->schedule_s, held, result->concurrency);
  for (size_t i = 0; i < result->records.size(); ++i) {
    RequestRecord& r = result->records[i];
    if (!sent[i] || !waited[i]) continue;
    r.queued = true;
    if (!clock_from_arrival) continue;
    const double wait_s = std::max(0.0, r.send_s - r.arrival_s);
    r.ttft_s += wait_s;
    r.e2el_s += wait_s;
  }
}

// When the last sent request ended (0 if none was sent): an interrupted run's duration, which
// leaves out the schedule it did not play.
double last_sent_end(const std::vector<LoadgenWorkerSpan>& held, const std::vector<char>& sent) {
  double end = 0;
  for (size_t i = 0; i < held.size(); ++i) {
    if (sent[i]) end = std::max(end, held[i].until_s);
  }
  return end;
}

}  // namespace

LoadgenResult loadgen_run(const LoadgenOptions& options, const std::vector<LoadgenPrompt>& prompts,
                          const std::vector<LoadgenPrompt>& warmup_prompts) {
  using clock = std::chrono::steady_clock;
  options.validate();
  check_warmup_prompts(options, prompts, warmup_prompts);
  const int n = static_cast<int>(prompts.size());
  LoadgenResult result;
  result.schedule_s =
      loadgen_arrival_times(n, options.request_rate, options.seed, options.burstiness);
  result.records.resize(prompts.size());
  const bool cap_from_flag = options.max_concurrency > 0;
  const int cap = cap_from_flag ? options.max_concurrency : options.max_workers;
  result.concurrency = std::max(1, std::min(cap, n));
  warm_up(options, warmup_prompts, result.concurrency);

  std::atomic<int> finished{0};
  std::mutex progress_mutex;
  std::vector<LoadgenWorkerSpan> held(prompts.size());
  std::vector<char> sent(prompts.size(), 0);
  const clock::time_point start = clock::now();
  // NOTE: workers take requests in schedule order, so request i goes out at its arrival time or,
  // when all C workers are busy with others, as soon as one frees. With --max-concurrency that is
  // vLLM's semaphore, taken before its request's clock starts: the clock starts at the send.
  // Without it vLLM has no cap but its connection pool's, and a wait for a connection is in its
  // TTFT, so here the clock of a request that waited for a worker starts at its arrival. Which
  // waited is decided after the run from when each worker held which request
  // (loadgen_waited_for_worker); a worker's own lag, its thread starting or waking from
  // its wait, is left out, as vLLM leaves out its event loop's.
  LoadgenClient client(options.target);
  on_workers(n, result.concurrency, [&](int i, bool reused) {
    held[i].from_s = reused ? seconds_since(start) : 0.0;
    const double arrival_s = result.schedule_s[i];
    RequestRecord& r = result.records[i];
    // An interrupt wakes the wait: nothing more is sent, only what is in flight is waited for.
    if (interrupt_wait_until(start + std::chrono::duration_cast<clock::duration>(
                                         std::chrono::duration<double>(arrival_s)))) {
      r.index = i;
      r.arrival_s = arrival_s;
      r.error_type = error_type_name(ErrorType::interrupted);
      r.error_message = "not sent: interrupted";
      held[i].until_s = seconds_since(start);
      return;
    }
    r = client.send(prompts[i], i, start);
    r.arrival_s = arrival_s;
    sent[i] = 1;
    held[i].until_s = seconds_since(start);
    const int done = ++finished;
    if (options.progress) {
      std::lock_guard<std::mutex> lock(progress_mutex);
      std::fprintf(stderr, "\rloadgen: %d/%d requests", done, n);
      if (done == n) std::fprintf(stderr, "\n");
    }
  });
  result.duration_s = seconds_since(start);
  if (interrupt_requested()) result.duration_s = last_sent_end(held, sent);
  if (options.progress && finished > 0 && finished < n) std::fprintf(stderr, "\n");  // stopped
  mark_waits(held, sent, !cap_from_flag, &result);
  count_unreported_tokens(options, prompts, &result.records);
  result.summary = loadgen_summarize(result.records, result.duration_s, options.slo);
  result.summary.in_flight_cap = cap;
  result.summary.cap_from_flag = cap_from_flag;
  return result;
}

std::vector<bool> loadgen_waited_for_worker(const std::vector<double>& arrival_s,
                                            const std::vector<LoadgenWorkerSpan>& held,
                                            int workers) {
  if (held.size() != arrival_s.size()) {
    throw std::logic_error("loadgen_waited_for_worker: " + std::to_string(held.size()) +
                           " spans for " + std::to_string(arrival_s.size()) + " requests");
  }
  const size_t n = arrival_s.size();
  // Request j keeps its worker busy over [from, until): from its arrival, or from when its worker
  // came to it if later; a worker waiting for its request's arrival is there for that request.
  std::vector<double> from(n), until(n);
  for (size_t j = 0; j < n; ++j) {
    from[j] = std::max(held[j].from_s, arrival_s[j]);
    until[j] = std::max(held[j].until_s, from[j]);
  }
  std::vector<double> starts = from, ends = until;
  std::sort(starts.begin(), starts.end());
  std::sort(ends.begin(), ends.end());
  std::vector<bool> waited(n);
  for (size_t i = 0; i < n; ++i) {
    const double t = arrival_s[i];
    // from <= t < until, counted as (from <= t) - (until <= t): every from is at most its until.
    long busy = (std::upper_bound(starts.begin(), starts.end(), t) - starts.begin()) -
                (std::upper_bound(ends.begin(), ends.end(), t) - ends.begin());
    if (from[i] <= t && t < until[i]) --busy;  // its own worker was there for it
    waited[i] = busy >= workers;
  }
  return waited;
}

json loadgen_result_json(const LoadgenOptions& options, const LoadgenResult& result) {
  const LoadgenTarget& t = options.target;
  json slo = json::object();
  if (options.slo.ttft_ms) slo["ttft_ms"] = *options.slo.ttft_ms;
  if (options.slo.tpot_ms) slo["tpot_ms"] = *options.slo.tpot_ms;
  if (options.slo.e2el_ms) slo["e2el_ms"] = *options.slo.e2el_ms;
  json config = {
      {"base_url", t.base_url},
      {"model", t.model},
      {"endpoint", t.chat ? "chat" : "completions"},
      {"num_prompts", result.records.size()},
      {"request_rate", std::isinf(options.request_rate) ? json("inf") : json(options.request_rate)},
      {"burstiness", options.burstiness},
      {"max_concurrency", options.max_concurrency},
      {"concurrency", result.concurrency},
      {"in_flight_cap", result.summary.in_flight_cap},
      // where the TTFT and E2EL of a request that waited for a worker start: its scheduled
      // arrival, or its send (vLLM's --max-concurrency semaphore is taken before its clock starts)
      {"latency_from", options.max_concurrency > 0 ? "send" : "arrival"},
      {"ignore_eos", t.ignore_eos},
      {"seed", options.seed},
      {"warmup", options.warmup},
      {"tokenizer", options.tokenizer.empty() ? json(nullptr) : json(options.tokenizer)},
      {"slo", slo}};
  json records = json::array();
  for (const RequestRecord& r : result.records) records.push_back(loadgen_record_json(r));
  return {{"schema", "moebench.loadgen/1"},
          {"config", config},
          {"summary", loadgen_summary_json(result.summary)},
          {"requests", records}};
}

}  // namespace moebench
