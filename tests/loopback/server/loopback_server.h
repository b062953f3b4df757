// The loopback API server: an in-process HTTP(S) server speaking the OpenAI (chat, completions,
// models) and Anthropic (messages) wire formats with scripted, deterministic faults and a ledger
// of what it served. Used by the API backend tests and the SDK wire-format test.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace moebench::loopback {

struct FaultOptions {
  double rate = 0;                 // share of request keys that get a fault (drawn per key)
  double permanent_share = 0;      // of faulted keys, the share whose fault never clears
  std::vector<std::string> kinds;  // kinds drawn from uniformly; empty = all transient kinds
  int transient_attempts_max = 2;  // a transient fault hits attempts 0..k-1, k drawn in 1..this
  // A faulted key's attempts before this one are served: the fault starts mid-document, as when
  // the later of a document's n separate sample calls (identical bodies, one key) fail.
  int first_attempt = 0;
  uint64_t seed = 1;
  int retry_after_s = 0;               // Retry-After header value of a 429 (integer seconds)
  int slow_ms = 3000;                  // a 'slow' response waits this long before its first byte
  size_t oversized_bytes = 64u << 20;  // size of an 'oversized' body
};

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;
  int latency_ms = 0;        // before the first byte of every normal response
  int chunk_ms = 0;          // between streamed chunks
  int threads = 1024;        // httplib task queue size (a keep-alive connection holds one)
  std::string api_key;       // "" = no auth; else Authorization: Bearer / x-api-key must match
  std::string answers_file;  // a moebench samples.jsonl: prompt -> responses[0]
  std::string default_answer = "The answer is 0.";
  FaultOptions faults;
  std::string tls_cert, tls_key;  // both set = HTTPS
};

// Every fault kind; all but bad_request are transient by default.
const std::vector<std::string>& loopback_fault_kinds();

class Server {
 public:
  explicit Server(ServerOptions options);  // InputError on a bad answers file (file:line)
  ~Server();                               // stops
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  void start();  // returns once listening; throws if it cannot bind
  void stop();
  int port() const;
  std::string base_url() const;   // "http://127.0.0.1:PORT" (https with TLS); routes under /v1
  nlohmann::json ledger() const;  // {http_requests, by_outcome, keys[...]}
  void reset_ledger();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace moebench::loopback
