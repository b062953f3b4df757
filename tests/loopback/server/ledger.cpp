// The ledger and the prefix cache of the loopback server.
#include "tests/loopback/server/ledger.h"

#include <algorithm>

#include "tests/loopback/server/text_pieces.h"

namespace moebench::loopback {

void Ledger::record(const std::string& outcome) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++http_requests_;
  ++by_outcome_[outcome];
}

int Ledger::begin(const std::string& key, const std::string& route, const std::string& model,
                  const FaultDecision& fault) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++http_requests_;
  auto [it, fresh] = keys_.try_emplace(key);
  Entry& e = it->second;
  if (fresh) {
    e.route = route;
    e.model = model;
    e.order = static_cast<int>(keys_.size());
  }
  if (fresh || !fault.kind.empty()) e.fault = fault;  // an override on one attempt sticks
  return e.attempts++;
}

namespace {

void add_usage(Usage* to, const Usage& u) {
  to->prompt += u.prompt;
  to->cached_prompt += u.cached_prompt;
  to->completion += u.completion;
  to->reasoning += u.reasoning;
}

}  // namespace

size_t Ledger::finish(const std::string& key, const std::string& outcome, const Usage* served,
                      const Usage* billed_failed) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++by_outcome_[outcome];
  Entry& e = keys_[key];
  e.outcomes.push_back(outcome);
  const size_t index = e.outcomes.size() - 1;
  if (served) {
    add_usage(&e.served, *served);
    ++e.requests_ok;
  }
  if (billed_failed) {
    add_usage(&e.billed_failed, *billed_failed);
    ++e.requests_billed_failed;
  }
  return index;
}

void Ledger::undeliver(const std::string& key, size_t index, const Usage& served) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = keys_.find(key);
  if (it == keys_.end() || index >= it->second.outcomes.size()) return;  // reset meanwhile
  Entry& e = it->second;
  --by_outcome_[e.outcomes[index]];
  ++by_outcome_["undelivered"];
  e.outcomes[index] = "undelivered";
  e.served.prompt -= served.prompt;
  e.served.cached_prompt -= served.cached_prompt;
  e.served.completion -= served.completion;
  e.served.reasoning -= served.reasoning;
  --e.requests_ok;
}

nlohmann::json Ledger::to_json() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::pair<int, const std::pair<const std::string, Entry>*>> ordered;
  for (const auto& kv : keys_) ordered.emplace_back(kv.second.order, &kv);
  std::sort(ordered.begin(), ordered.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  nlohmann::json keys = nlohmann::json::array();
  for (const auto& [order, kv] : ordered) {
    const Entry& e = kv->second;
    keys.push_back(
        {{"key", kv->first},
         {"route", e.route},
         {"model", e.model},
         {"attempts", e.attempts},
         {"outcomes", e.outcomes},
         {"fault", e.fault.kind.empty() ? nlohmann::json(nullptr) : nlohmann::json(e.fault.kind)},
         {"permanent", e.fault.permanent},
         {"served",
          {{"prompt", e.served.prompt},
           {"cached_prompt", e.served.cached_prompt},
           {"completion", e.served.completion},
           {"reasoning", e.served.reasoning},
           {"requests_ok", e.requests_ok}}},
         {"billed_failed",
          {{"prompt", e.billed_failed.prompt},
           {"cached_prompt", e.billed_failed.cached_prompt},
           {"completion", e.billed_failed.completion},
           {"reasoning", e.billed_failed.reasoning},
           {"requests", e.requests_billed_failed}}}});
  }
  return {
      {"http_requests", http_requests_},
      {"by_outcome", by_outcome_.empty() ? nlohmann::json::object() : nlohmann::json(by_outcome_)},
      {"keys", keys}};
}

void Ledger::reset() {
  std::lock_guard<std::mutex> lock(mutex_);
  http_requests_ = 0;
  by_outcome_.clear();
  keys_.clear();
}

namespace {

// Hashes of the k*64-piece prefixes of `pieces`, k = 1, 2, ...
std::vector<uint64_t> block_prefix_hashes(const std::vector<std::string>& pieces) {
  std::vector<uint64_t> out;
  uint64_t h = 14695981039346656037ull;
  for (size_t i = 0; i < pieces.size(); ++i) {
    // Chain the piece hash so piece boundaries count ("ab"+"c" differs from "a"+"bc").
    h = (h ^ text_fnv1a(pieces[i])) * 1099511628211ull;
    if ((i + 1) % PrefixCache::kBlock == 0) out.push_back(h);
  }
  return out;
}

}  // namespace

int PrefixCache::cached(const std::vector<std::string>& pieces) const {
  std::lock_guard<std::mutex> lock(mutex_);
  int best = 0;
  const auto hashes = block_prefix_hashes(pieces);
  for (size_t k = 0; k < hashes.size(); ++k)
    if (std::binary_search(seen_.begin(), seen_.end(), hashes[k]))
      best = static_cast<int>((k + 1) * kBlock);
  return best;
}

void PrefixCache::add(const std::vector<std::string>& pieces) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (uint64_t h : block_prefix_hashes(pieces)) {
    auto it = std::lower_bound(seen_.begin(), seen_.end(), h);
    if (it == seen_.end() || *it != h) seen_.insert(it, h);
  }
}

}  // namespace moebench::loopback
