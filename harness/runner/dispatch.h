// Sends every request that the cache cannot answer to the backend, in batches, `concurrency`
// batches at a time; each response is counted and committed to the cache as it arrives (within
// CacheWriter::kMaxDelayS), not when its batch returns.
#pragma once

#include <atomic>

#include "harness/runner/cache.h"
#include "harness/runner/runner.h"

namespace moebench {

struct DispatchStats {
  long sent = 0;
  long cache_hits = 0;
  bool interrupted = false;
  // Over the responses of requests sent (not cache hits), the tokens of attempts that failed
  // after their HTTP 200 included: what the backend processed.
  long prompt_tokens = 0;
  long output_tokens = 0;
  FailedAttempts failed_attempts;  // API attempts billed without an answer (Response's)
};

// A commit to the cache that fails sets `*stop_sending` (which the backend polls, as it does for
// Ctrl-C) and ends the dispatch with that EnvironmentError once the requests in flight are back:
// what arrives after it cannot be kept, so nothing more is sent.
DispatchStats dispatch_requests(std::vector<SuiteRun>& runs, Backend& backend, ResponseCache* cache,
                                const RunOptions& options, std::atomic<bool>* stop_sending);

}  // namespace moebench
