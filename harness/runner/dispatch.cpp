// dispatch_requests: cache lookups, then a pool of threads pulling batches for the backend.
#include "harness/runner/dispatch.h"

#include <atomic>
#include <mutex>
#include <optional>
#include <thread>

#include "harness/runner/cache_writer.h"
#include "harness/runner/interrupt.h"
#include "harness/runner/progress.h"

namespace moebench {
namespace {

struct Slot {
  size_t suite, doc;
};

void lookup_cache(std::vector<SuiteRun>& runs, ResponseCache* cache, const std::string& backend,
                  std::vector<Slot>* pending, long* hits) {
  for (size_t s = 0; s < runs.size(); ++s) {
    SuiteRun& run = runs[s];
    run.responses.assign(run.requests.size(), Response{});
    run.cached.assign(run.requests.size(), false);
    std::unordered_map<std::string, Response> found;
    if (cache) found = cache->get_many(backend, run.hashes);
    for (size_t d = 0; d < run.requests.size(); ++d) {
      auto it = found.find(run.hashes[d]);
      if (it != found.end()) {
        run.responses[d] = it->second;
        run.cached[d] = true;
        ++*hits;
      } else {
        pending->push_back({s, d});
      }
    }
  }
}

}  // namespace

DispatchStats dispatch_requests(std::vector<SuiteRun>& runs, Backend& backend, ResponseCache* cache,
                                const RunOptions& options) {
  DispatchStats stats;
  const std::string backend_id = backend.info().cache_key();
  std::vector<Slot> pending;
  lookup_cache(runs, cache, backend_id, &pending, &stats.cache_hits);

  const size_t batch = options.batch_size > 0 ? options.batch_size : backend.max_batch();
  const size_t n_batches = (pending.size() + batch - 1) / batch;
  Progress progress("requests", static_cast<long>(pending.size()), options.progress,
                    options.progress_interval_s);
  std::optional<CacheWriter> writer;
  if (cache) writer.emplace(cache, backend_id);
  std::atomic<size_t> next{0};
  std::atomic<long> sent{0}, prompt_tokens{0}, output_tokens{0};
  std::atomic<bool> failed{false}, stopped_inside{false};
  std::exception_ptr failure;
  std::mutex failure_mu;
  // Each response as it arrives: into its slot, to the cache, onto the counters.
  auto arrived = [&](const Slot& slot, Response r) {
    if (r.texts.empty() && r.logliks.empty() && !r.error) {
      r.error = ResponseError{"backend", "backend returned no response"};
    }
    // A backend that stopped on SIGINT answers "interrupted": the run is not complete even
    // when this was the last batch.
    if (r.error && r.error->type == "interrupted") stopped_inside = true;
    prompt_tokens += r.tokens.prompt;
    output_tokens += r.tokens.completion;
    if (writer) writer->add(runs[slot.suite].hashes[slot.doc], r);
    runs[slot.suite].responses[slot.doc] = std::move(r);
    ++sent;
    progress.add(1);
  };
  auto work = [&] {
    for (;;) {
      if (interrupt_requested() || failed) return;
      size_t b = next.fetch_add(1);
      if (b >= n_batches) return;
      size_t lo = b * batch, hi = std::min(pending.size(), lo + batch);
      std::vector<Request> reqs;
      for (size_t i = lo; i < hi; ++i) {
        reqs.push_back(runs[pending[i].suite].requests[pending[i].doc]);
      }
      std::vector<char> told(reqs.size(), 0);
      std::vector<Response> got = backend.run_streaming(reqs, [&](size_t i, const Response& r) {
        if (i >= reqs.size() || told[i]) return;  // out of range or twice: keep the first
        told[i] = 1;
        arrived(pending[lo + i], r);
      });
      // A short answer leaves the rest as "missing" errors; what the sink missed arrives now.
      got.resize(reqs.size());
      for (size_t i = 0; i < got.size(); ++i) {
        if (!told[i]) arrived(pending[lo + i], std::move(got[i]));
      }
    }
  };
  // A backend that throws is unusable as a whole: stop every worker, keep what was cached.
  auto worker = [&] {
    try {
      work();
    } catch (...) {
      std::lock_guard<std::mutex> lock(failure_mu);
      if (!failure) failure = std::current_exception();
      failed = true;
    }
  };
  int threads = std::max(1, std::min<int>(backend.concurrency(), static_cast<int>(n_batches)));
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  progress.finish();
  if (writer) writer->finish();  // everything that arrived is committed before anything else
  if (failure) std::rethrow_exception(failure);
  stats.sent = sent;
  stats.prompt_tokens = prompt_tokens;
  stats.output_tokens = output_tokens;
  // NOTE: a Ctrl-C always ends the run as interrupted (exit 130, nothing written), even when the
  // last call completed: what arrived is cached and the same command finishes at once.
  stats.interrupted = interrupt_requested() || stopped_inside;
  return stats;
}

}  // namespace moebench
