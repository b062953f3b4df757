// `moebench loadgen`'s run: the fixed arrival schedule played against a server by worker threads
// (sharing one pool of keep-alive connections, their number the concurrency cap), then the
// summary.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "harness/loadgen/loadgen_client.h"
#include "harness/loadgen/loadgen_metrics.h"
#include "harness/loadgen/loadgen_workload.h"

namespace moebench {

// Without --max-concurrency there is one worker per request up to this many threads, which then
// caps the requests in flight (reported as `concurrency`): a request arriving while all are busy
// waits in the client.
constexpr int kLoadgenMaxWorkers = 1024;

struct LoadgenOptions {
  LoadgenTarget target;
  double request_rate = std::numeric_limits<double>::infinity();  // requests/s
  double burstiness = 1.0;  // the arrival gaps' gamma shape (loadgen_arrival_times)
  // Requests in flight at most, each timed from its send; 0: at most max_workers, and a request
  // that waits in the client for a worker is timed from its scheduled arrival (the wait counts, as
  // vLLM counts a wait for a connection).
  int max_concurrency = 0;
  int max_workers = kLoadgenMaxWorkers;
  uint64_t seed = 0;
  SloSpec slo;
  bool progress = false;  // a line on stderr per finished request
  // The tokens of a text by --tokenizer (no special tokens added), and its path for the report;
  // empty without one. It counts the requests that had no usage chunk, after the run.
  std::function<long(const std::string&)> count_tokens;
  std::string tokenizer;
  // Requests sent before the schedule (loadgen_run's warm-up prompts in turn, at the run's
  // concurrency), neither timed nor reported: a server's first-use work (CUDA graph capture,
  // allocations) would otherwise land on the first measured requests. A failed one stops the run
  // (LoadgenWarmupFailed).
  int warmup = 0;

  // InputError naming the bad flag.
  void validate() const;
};

// A warm-up request failed (a dead or refusing server: not a bug), naming it and its error; the
// run stops before any measured request.
struct LoadgenWarmupFailed : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct LoadgenResult {
  std::vector<RequestRecord> records;  // in request order
  std::vector<double> schedule_s;      // planned send times
  int concurrency = 0;                 // worker threads used
  double duration_s = 0;               // first send to last response (interrupted: last sent one's)
  LoadgenSummary summary;
};

// Sends every prompt (request i at schedule time i, once a worker is free) and waits for all,
// after options.warmup requests of `warmup_prompts` (loadgen_warmup_prompts). InputError when a
// warm-up is due without prompts, or a warm-up prompt is a measured one: a server's prefix cache
// would answer that measured request without its prefill.
LoadgenResult loadgen_run(const LoadgenOptions& options, const std::vector<LoadgenPrompt>& prompts,
                          const std::vector<LoadgenPrompt>& warmup_prompts = {});

// When a worker held a request, in seconds from the start of the run: from when the worker came to
// it (the start, for each worker's first request) to when it was done with it.
struct LoadgenWorkerSpan {
  double from_s = 0, until_s = 0;
};

// Which requests waited in the client for a worker: those that arrived while all `workers` were
// busy with other requests that had arrived (held[j] for request j). A request whose worker came
// late though one was free (a thread slow to start or to come back) did not wait for a worker.
std::vector<bool> loadgen_waited_for_worker(const std::vector<double>& arrival_s,
                                            const std::vector<LoadgenWorkerSpan>& held,
                                            int workers);

// The whole result as JSON: config, summary, per-request records.
nlohmann::json loadgen_result_json(const LoadgenOptions& options, const LoadgenResult& result);

}  // namespace moebench
