// The oracle backend: answers every document with its reference solution in the suite's expected
// output format (generation) or puts all likelihood on the gold choices. A perfect scorer run
// against it scores 100%; anything less is a bug in loading, prompting or scoring.
#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "backends/backend.h"
#include "backends/backend_registry.h"

namespace moebench {

struct OracleAnswer {
  std::string text;       // SuiteInstance::oracle_response
  std::vector<int> gold;  // SuiteInstance::gold_choices (choice suites)
};

// Keyed by oracle_key(suite, doc_id).
using OracleAnswerKey = std::unordered_map<std::string, OracleAnswer>;
std::string oracle_key(const std::string& suite, const std::string& doc_id);

struct OracleOptions {
  bool loglikelihood = true;  // false: behave like a chat API (letters by generation)
  double delay_ms = 0;        // per request, to exercise concurrency, progress and resume
  std::string request_log;    // append each answered request's hash here (tests)
  bool chat_only = false;  // no raw completions: requests come as chat messages (API test answers)
  // Polled before each request: true answers the rest "interrupted" (SIGINT).
  std::function<bool()> should_stop;
};

class OracleBackend : public Backend {
 public:
  OracleBackend(OracleAnswerKey key, OracleOptions options);
  // The answers, known once the suites are planned (the runner gives them before any request).
  void set_answers(OracleAnswerKey key) { key_ = std::move(key); }
  BackendInfo info() const override;
  std::vector<Response> run(const std::vector<Request>& batch) override;
  std::vector<Response> run_streaming(const std::vector<Request>& batch,
                                      const ResponseSink& on_done) override;
  int max_batch() const override { return options_.delay_ms > 0 ? 1 : 256; }
  int concurrency() const override { return options_.delay_ms > 0 ? 4 : 1; }

 private:
  Response answer(const Request& r) const;
  void log_request(const Request& r);
  OracleAnswerKey key_;
  OracleOptions options_;
  std::mutex log_mu_;
};

// Registers "oracle" (log-likelihoods) and "oracle-chat" (letters by generation), with their
// --backend-opt options delay_ms, request_log and chat.
void oracle_register(BackendRegistry& registry);

}  // namespace moebench
