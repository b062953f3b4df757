// Deterministic per-key fault decisions of the loopback server.
#include "tests/loopback/server/fault_plan.h"

#include <algorithm>

#include "common/error.h"
#include "common/hash.h"

namespace moebench::loopback {

const std::vector<std::string>& loopback_fault_kinds() {
  static const std::vector<std::string> kinds = {
      "rate_limit",    "http_500",       "http_503",           "slow",      "reset",
      "truncated_sse", "malformed_json", "wrong_content_type", "oversized", "bad_request"};
  return kinds;
}

namespace {

void check_kind(const std::string& kind) {
  const auto& all = loopback_fault_kinds();
  if (std::find(all.begin(), all.end(), kind) == all.end())
    throw InputError("unknown loopback fault kind '" + kind + "'");
}

}  // namespace

FaultPlan::FaultPlan(const FaultOptions& options) : options_(options) {
  if (options_.kinds.empty()) {
    for (const auto& k : loopback_fault_kinds())
      if (k != "bad_request") options_.kinds.push_back(k);
  }
  for (const auto& k : options_.kinds) check_kind(k);
  options_.transient_attempts_max = std::max(1, options_.transient_attempts_max);
}

FaultDecision FaultPlan::decide(const std::string& key) const {
  FaultDecision d;
  if (options_.rate <= 0) return d;
  // Four independent uniform draws from one SHA-256 of (seed, key).
  const std::string h = sha256_hex(std::to_string(options_.seed) + ":" + key);
  auto draw = [&](int i) { return std::stoull(h.substr(i * 16, 16), nullptr, 16); };
  auto unit = [&](int i) { return static_cast<double>(draw(i) >> 11) / 9007199254740992.0; };
  if (unit(0) >= options_.rate) return d;
  d.permanent = unit(1) < options_.permanent_share;
  d.kind = options_.kinds[draw(2) % options_.kinds.size()];
  d.attempts = 1 + static_cast<int>(draw(3) % options_.transient_attempts_max);
  d.first = options_.first_attempt;
  return d;
}

FaultDecision fault_parse_override(const std::string& kind, const std::string& attempts) {
  FaultDecision d;
  if (kind.empty()) return d;
  check_kind(kind);
  d.kind = kind;
  d.attempts = 1;
  if (attempts == "all") {
    d.permanent = true;
  } else if (!attempts.empty()) {
    try {
      d.attempts = std::stoi(attempts);
    } catch (const std::exception&) {
      throw InputError("X-Loopback-Fault-Attempts must be a count or 'all', got '" + attempts +
                       "'");
    }
  }
  return d;
}

}  // namespace moebench::loopback
