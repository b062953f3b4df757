// One streaming request of `moebench loadgen`, sent through the API backends' HTTP client
// (backends/api/api_exchange: pooled keep-alive connections with TCP_NODELAY, timeouts, the SSE
// stream timed per text chunk) in the OpenAI wire format, so loadgen and `moebench run
// --backend api:...` share one client, one set of timings and one set of failure names.
#pragma once

#include <chrono>
#include <string>

#include "backends/api/api_exchange.h"
#include "backends/api/api_openai.h"
#include "harness/loadgen/loadgen_metrics.h"
#include "harness/loadgen/loadgen_workload.h"

namespace moebench {

struct LoadgenTarget {
  std::string base_url = "http://127.0.0.1:8000/v1";
  std::string model;
  bool chat = true;        // /chat/completions, else /completions
  bool ignore_eos = true;  // sent as `ignore_eos` (vLLM, SGLang and moebench serve honour it)
  double timeout_s = 600;  // whole request
  std::string api_key;     // Authorization: Bearer, when set
};

// The client of a run, shared by its workers: connections are pooled, one in use per request in
// flight. Thread-safe.
class LoadgenClient {
 public:
  explicit LoadgenClient(const LoadgenTarget& target);
  // The call of one request: greedy, streamed with stream_options.include_usage, max_tokens the
  // prompt's, plus `ignore_eos: true` unless the target turns it off.
  ApiCall call(const LoadgenPrompt& prompt) const;
  // Sends one request now and reads its stream into a record; never throws for network or server
  // errors. TTFT = send -> first text chunk, ITL = gaps between text chunks, E2EL = send -> last
  // byte; failures carry the API client's types (connection, timeout, http, rate_limit, protocol,
  // oversized), and a stream without any text fails as `no_output` (it has no TTFT; vLLM's
  // benchmark fails it too). Token counts are the usage chunk's, else the text chunk count.
  RequestRecord send(const LoadgenPrompt& prompt, int index,
                     std::chrono::steady_clock::time_point run_start);

 private:
  LoadgenTarget target_;
  ModelTransport transport_;
  OpenAiWire wire_;
  ApiConnectionPool pool_;
};

}  // namespace moebench
