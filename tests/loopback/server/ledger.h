// The loopback server's ledger: every HTTP request's outcome, and per request key its attempts,
// outcomes, planned fault and the tokens served (as reported in usage). Thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/loopback/server/fault_plan.h"

namespace moebench::loopback {

// Token counts of one response, exactly as its usage reports them.
struct Usage {
  int prompt = 0;  // includes cached
  int cached_prompt = 0;
  int completion = 0;  // includes reasoning
  int reasoning = 0;
};

class Ledger {
 public:
  // A request that has no key (auth failure, unknown route, models list, unparsable body).
  void record(const std::string& outcome);
  // Starts an attempt of `key`; returns its index (0 for the first).
  int begin(const std::string& key, const std::string& route, const std::string& model,
            const FaultDecision& fault);
  // Ends it; `served` is set when the response was served successfully, `billed_failed` when a
  // faulted one still told the client its usage. Returns the index of the outcome in the key's
  // list.
  size_t finish(const std::string& key, const std::string& outcome, const Usage* served,
                const Usage* billed_failed = nullptr);
  // A served response that did not reach the client (it had gone, e.g. after its read timeout):
  // outcome `index` becomes "undelivered" and its tokens are taken back.
  void undeliver(const std::string& key, size_t index, const Usage& served);
  nlohmann::json to_json() const;
  void reset();

 private:
  struct Entry {
    std::string route, model;
    int attempts = 0;
    std::vector<std::string> outcomes;
    FaultDecision fault;
    Usage served;
    int requests_ok = 0;
    Usage billed_failed;  // the usage faulted attempts told of
    int requests_billed_failed = 0;
    int order = 0;  // first-seen order, for a stable listing
  };
  mutable std::mutex mutex_;
  int http_requests_ = 0;
  std::map<std::string, int> by_outcome_;
  std::map<std::string, Entry> keys_;
};

// The provider prefix cache: prompts are lists of pieces; a prompt's cached count is the largest
// k*64 <= its size whose first k*64 pieces were a prefix of an earlier served prompt.
class PrefixCache {
 public:
  static constexpr size_t kBlock = 64;
  int cached(const std::vector<std::string>& pieces) const;
  void add(const std::vector<std::string>& pieces);

 private:
  mutable std::mutex mutex_;
  std::vector<uint64_t> seen_;  // sorted hashes of every served k*64-piece prefix
};

}  // namespace moebench::loopback
