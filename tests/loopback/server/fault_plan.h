// The scripted fault plan: a seeded hash of (seed, request key) decides whether a key is faulted,
// whether the fault is permanent, its kind and how many attempts a transient one lasts.
#pragma once

#include <string>

#include "tests/loopback/server/loopback_server.h"

namespace moebench::loopback {

struct FaultDecision {
  std::string kind;  // "" = no fault
  bool permanent = false;
  int first = 0;     // attempts before this one are served
  int attempts = 0;  // a transient fault hits attempts first..first+attempts-1
  bool active(int attempt) const {
    return !kind.empty() && attempt >= first && (permanent || attempt < first + attempts);
  }
};

class FaultPlan {
 public:
  explicit FaultPlan(const FaultOptions& options);  // InputError for an unknown kind
  FaultDecision decide(const std::string& key) const;

 private:
  FaultOptions options_;
};

// The X-Loopback-Fault / X-Loopback-Fault-Attempts override; `kind` "" when the header is absent.
// InputError for an unknown kind or a bad attempt count.
FaultDecision fault_parse_override(const std::string& kind, const std::string& attempts);

}  // namespace moebench::loopback
