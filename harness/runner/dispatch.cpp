// dispatch_requests: cache lookups, then a pool of threads pulling batches for the backend.
#include "harness/runner/dispatch.h"

#include <atomic>
#include <mutex>
#include <optional>
#include <thread>

#include "common/error.h"
#include "harness/runner/cache_writer.h"
#include "harness/runner/interrupt.h"
#include "harness/runner/progress.h"

namespace moebench {
namespace {

struct Slot {
  size_t suite, doc;
};

// A partial answer (Response::partial) is no hit: its request is sent for the samples it lacks
// when the backend can ask for those alone, else whole.
void lookup_cache(std::vector<SuiteRun>& runs, ResponseCache* cache, const BackendInfo& backend,
                  std::vector<Slot>* pending, long* hits) {
  for (size_t s = 0; s < runs.size(); ++s) {
    SuiteRun& run = runs[s];
    run.responses.assign(run.requests.size(), Response{});
    run.cached.assign(run.requests.size(), false);
    run.resumed.assign(run.requests.size(), TokenCounts{});
    std::unordered_map<std::string, Response> found;
    if (cache) found = cache->get_many(backend.cache_key(), run.hashes);
    for (size_t d = 0; d < run.requests.size(); ++d) {
      auto it = found.find(run.hashes[d]);
      if (it != found.end() && !it->second.partial()) {
        run.responses[d] = it->second;
        run.cached[d] = true;
        ++*hits;
        continue;
      }
      if (it != found.end() && backend.resumes_samples) {
        run.requests[d].samples_done = static_cast<int>(it->second.texts.size());
        run.resumed[d] = it->second.tokens;
        run.responses[d] = it->second;
      }
      pending->push_back({s, d});
    }
  }
}

// The batches of the pending slots, pulled by a pool of threads; each response goes into its slot,
// to the cache and onto the counters as it arrives.
class Dispatcher {
 public:
  Dispatcher(std::vector<SuiteRun>& runs, Backend& backend, ResponseCache* cache,
             const std::string& backend_id, std::vector<Slot> pending, size_t batch,
             const RunOptions& options, std::atomic<bool>* stop_sending)
      : runs_(runs),
        backend_(backend),
        pending_(std::move(pending)),
        batch_(batch),
        n_batches_((pending_.size() + batch - 1) / batch),
        progress_("requests", static_cast<long>(pending_.size()), options.progress,
                  options.progress_interval_s),
        stop_sending_(stop_sending) {
    if (cache) writer_.emplace(cache, backend_id, [this] { stop_sending_->store(true); });
  }

  // Runs every batch on min(concurrency, batches) threads; rethrows what a backend threw once
  // everything that arrived is committed to the cache.
  void run(DispatchStats* stats) {
    const InterruptScope watching;  // a first Ctrl-C stops the workers after what is in flight
    int threads = std::max(1, std::min<int>(backend_.concurrency(), static_cast<int>(n_batches_)));
    std::vector<std::thread> pool;
    for (int t = 1; t < threads; ++t) pool.emplace_back([this] { worker(); });
    worker();
    for (auto& t : pool) t.join();
    progress_.finish();
    if (writer_) finish_writer();  // everything that arrived is committed before anything else
    if (failure_) std::rethrow_exception(failure_);
    stats->sent = sent_;
    stats->prompt_tokens = prompt_tokens_;
    stats->output_tokens = output_tokens_;
    stats->failed_attempts = failed_attempts_;
    // NOTE: a Ctrl-C always ends the run as interrupted (exit 130, nothing written), even when
    // the last call completed: what arrived is cached and the same command finishes at once.
    stats->interrupted = interrupt_requested() || stopped_inside_;
  }

 private:
  // A failed commit stopped the sending: says so on the error's line.
  void finish_writer() {
    try {
      writer_->finish();
    } catch (const EnvironmentError& e) {
      throw EnvironmentError(std::string(e.what()) +
                             "; sending stopped there, the responses stored before it are kept "
                             "and the same command resumes once the cache can be written");
    }
  }

  void arrived(const Slot& slot, Response r) {
    if (r.texts.empty() && r.logliks.empty() && !r.error) {
      r.error = ResponseError{ErrorType::backend, "backend returned no response"};
    }
    // A backend that stopped on SIGINT answers "interrupted": the run is not complete even
    // when this was the last batch.
    if (r.error && r.error->type == ErrorType::interrupted) stopped_inside_ = true;
    prompt_tokens_ += r.tokens.prompt + r.failed_attempts.tokens.prompt;
    output_tokens_ += r.tokens.completion + r.failed_attempts.tokens.completion;
    {
      std::lock_guard<std::mutex> lock(failed_attempts_mu_);
      failed_attempts_ += r.failed_attempts;
    }
    // The samples of a partial answer from the cache come first; this call answered the rest.
    if (runs_[slot.suite].requests[slot.doc].samples_done > 0) {
      r = response_append_samples(std::move(runs_[slot.suite].responses[slot.doc]), r);
    }
    if (writer_) writer_->add(runs_[slot.suite].hashes[slot.doc], r);
    runs_[slot.suite].responses[slot.doc] = std::move(r);
    ++sent_;
    progress_.add(1);
  }

  // The samples so far of a request still asking for the rest (Response::in_progress): into the
  // cache only, after those a partial answer from the cache had; the request's final response
  // (arrived) replaces them there, and only it is counted.
  void samples_arrived(const Slot& slot, const Response& r) {
    if (!writer_) return;
    const SuiteRun& run = runs_[slot.suite];
    if (run.requests[slot.doc].samples_done > 0) {
      writer_->add(run.hashes[slot.doc], response_append_samples(run.responses[slot.doc], r));
    } else {
      writer_->add(run.hashes[slot.doc], r);
    }
  }

  // Sends batch b: what the backend streams arrives at once, the rest when the call returns.
  void send_batch(size_t b) {
    size_t lo = b * batch_, hi = std::min(pending_.size(), lo + batch_);
    std::vector<Request> reqs;
    for (size_t i = lo; i < hi; ++i) {
      reqs.push_back(runs_[pending_[i].suite].requests[pending_[i].doc]);
    }
    std::vector<char> told(reqs.size(), 0);
    std::vector<Response> got = backend_.run_streaming(reqs, [&](size_t i, const Response& r) {
      if (i >= reqs.size() || told[i]) return;  // out of range or twice: keep the first
      if (r.in_progress) return samples_arrived(pending_[lo + i], r);
      told[i] = 1;
      arrived(pending_[lo + i], r);
    });
    // A short answer leaves the rest as "missing" errors; what the sink missed arrives now.
    got.resize(reqs.size());
    for (size_t i = 0; i < got.size(); ++i) {
      if (!told[i]) arrived(pending_[lo + i], std::move(got[i]));
    }
  }

  // A backend that throws is unusable as a whole: stop every worker, keep what was cached.
  void worker() {
    try {
      for (;;) {
        if (interrupt_requested() || failed_ || stop_sending_->load()) return;
        size_t b = next_.fetch_add(1);
        if (b >= n_batches_) return;
        send_batch(b);
      }
    } catch (...) {
      std::lock_guard<std::mutex> lock(failure_mu_);
      if (!failure_) failure_ = std::current_exception();
      failed_ = true;
    }
  }

  std::vector<SuiteRun>& runs_;
  Backend& backend_;
  const std::vector<Slot> pending_;
  const size_t batch_, n_batches_;
  Progress progress_;
  std::atomic<bool>* const stop_sending_;
  std::optional<CacheWriter> writer_;
  std::atomic<size_t> next_{0};
  std::atomic<long> sent_{0}, prompt_tokens_{0}, output_tokens_{0};
  std::atomic<bool> failed_{false}, stopped_inside_{false};
  std::exception_ptr failure_;
  std::mutex failure_mu_;
  FailedAttempts failed_attempts_;
  std::mutex failed_attempts_mu_;
};

}  // namespace

DispatchStats dispatch_requests(std::vector<SuiteRun>& runs, Backend& backend, ResponseCache* cache,
                                const RunOptions& options, std::atomic<bool>* stop_sending) {
  DispatchStats stats;
  const BackendInfo info = backend.info();
  const std::string backend_id = info.cache_key();
  std::vector<Slot> pending;
  lookup_cache(runs, cache, info, &pending, &stats.cache_hits);
  const size_t batch = options.batch_size > 0 ? options.batch_size : backend.max_batch();
  Dispatcher(runs, backend, cache, backend_id, std::move(pending), batch, options, stop_sending)
      .run(&stats);
  return stats;
}

}  // namespace moebench
