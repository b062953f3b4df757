// One streaming request of `moebench loadgen` over HTTP (cpp-httplib): the OpenAI body, the SSE
// stream read chunk by chunk with a timestamp per content chunk, and errors turned into data.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/http_stream.h"
#include "harness/loadgen/loadgen_metrics.h"
#include "harness/loadgen/loadgen_workload.h"

namespace httplib {
class Client;
}

namespace moebench {

struct LoadgenTarget {
  std::string base_url = "http://127.0.0.1:8000/v1";
  std::string model;
  bool chat = true;        // /chat/completions, else /completions
  bool ignore_eos = true;  // sent as `ignore_eos` (vLLM, SGLang); moebench serve ignores it
  double timeout_s = 600;  // whole request
  std::string api_key;     // Authorization: Bearer, when set
};

// The JSON body of one streaming request.
std::string loadgen_request_body(const LoadgenTarget& target, const LoadgenPrompt& prompt);

// Reads the events of one stream into a record: the first content chunk sets TTFT, each later one
// adds an ITL, the usage chunk sets the token counts. Errors go into the record.
class StreamReader {
 public:
  StreamReader(RequestRecord* record, bool chat) : record_(record), chat_(chat) {}
  void on_event(const std::string& payload, double t_s);  // t_s: seconds since send
  // Closes the record at t_s: E2EL, token fallback, missing [DONE] or content.
  void finish(double t_s);

 private:
  void fail(const std::string& type, const std::string& message);
  RequestRecord* record_;
  bool chat_;
  bool done_ = false, failed_ = false;
  int chunks_ = 0;
  double last_s_ = 0;
};

// A keep-alive connection to the server, one per worker thread.
class LoadgenConnection {
 public:
  explicit LoadgenConnection(const LoadgenTarget& target);
  ~LoadgenConnection();
  // Sends one request now and reads its stream; never throws for network or server errors.
  RequestRecord send(const LoadgenPrompt& prompt, int index,
                     std::chrono::steady_clock::time_point run_start);

 private:
  LoadgenTarget target_;
  std::string prefix_;
  std::unique_ptr<httplib::Client> client_;
};

}  // namespace moebench
