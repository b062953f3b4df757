// One HTTP attempt of an API call over cpp-httplib (HTTPS through OpenSSL): keep-alive
// connections pooled per model, timeouts, a cap on the response size, the SSE stream read as it
// arrives with a timestamp per text chunk, and every failure turned into an AttemptFailure.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "backends/api/api_retry.h"
#include "backends/api/api_wire.h"

namespace httplib {
class Client;
}

namespace moebench {

struct ApiEndpoint {
  std::string scheme_host_port;  // "https://api.deepseek.com"
  std::string prefix;            // "/v1", or ""
  std::string ca_file;           // extra CA bundle for HTTPS ("" = the system's)
};

// Idle keep-alive connections, reused by whichever thread sends next.
class ApiConnectionPool {
 public:
  ApiConnectionPool(ApiEndpoint endpoint, ModelTransport transport);
  ~ApiConnectionPool();
  std::unique_ptr<httplib::Client> take();
  // A connection that failed is dropped by the caller instead of given back.
  void give_back(std::unique_ptr<httplib::Client> client);
  const ApiEndpoint& endpoint() const { return endpoint_; }

 private:
  ApiEndpoint endpoint_;
  ModelTransport transport_;
  std::mutex mu_;
  std::vector<std::unique_ptr<httplib::Client>> idle_;
};

struct AttemptResult {
  std::optional<ApiReply> reply;  // set on success
  AttemptFailure failure;         // set otherwise
  double ttft_s = 0;              // streamed: send -> first text chunk
  double total_s = 0;             // send -> last byte
  std::vector<double> itl_s;      // streamed: gaps between text chunks
  bool connection_ok = true;      // false: do not reuse the connection
  // A failure after the provider's HTTP 200 began its answer (attempts 1): billed, answering
  // nothing; what its stream told of its tokens.
  FailedAttempts billed_failure;
  // effective_from of the price table it was sent under ("" = none): set by ApiBackend.
  std::string price_table;
};

// Sends `call` once. Never throws for network, HTTP or format errors. `secret` (the API key) is
// replaced by "[redacted]" in any message that would carry it.
AttemptResult api_attempt(httplib::Client& client, const ApiEndpoint& endpoint, const ApiWire& wire,
                          const ApiCall& call, const ModelTransport& transport,
                          const std::string& secret);

// `text` with every occurrence of `secret` replaced by "[redacted]".
std::string api_redact(std::string text, const std::string& secret);

}  // namespace moebench
