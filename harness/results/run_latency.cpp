// LatencySummary, TPOT and token costs.
#include "harness/results/run_latency.h"

#include "harness/loadgen/loadgen_metrics.h"

namespace moebench {

std::optional<double> response_tpot_s(const Response& r) {
  if (r.ttft_s <= 0 || r.tokens.completion <= 1) return std::nullopt;
  return (r.total_s - r.ttft_s) / static_cast<double>(r.tokens.completion - 1);
}

std::optional<double> tokens_cost_usd(const TokenCounts& t, const nlohmann::json& prices) {
  if (!prices.contains("input") || !prices.contains("output")) return std::nullopt;
  const double input = prices["input"].get<double>();
  const double cached = prices.value("cached_input", input);
  return (static_cast<double>(t.prompt - t.cached_prompt) * input +
          static_cast<double>(t.cached_prompt) * cached +
          static_cast<double>(t.completion) * prices["output"].get<double>()) /
         1e6;
}

void LatencySummary::add(const Response& r) {
  ++requests_;
  retries_ += r.retries;
  if (r.error) return;
  e2el_.push_back(r.total_s);
  if (r.ttft_s <= 0) return;
  ++streamed_;
  ttft_.push_back(r.ttft_s);
  itl_.insert(itl_.end(), r.itl_s.begin(), r.itl_s.end());
  if (auto tpot = response_tpot_s(r)) tpot_.push_back(*tpot);
}

void LatencySummary::add(const SampleRecord& s) {
  ++requests_;
  retries_ += s.retries;
  if (!s.error_type.empty()) return;
  e2el_.push_back(s.latency_s);
  if (s.ttft_s <= 0) return;
  ++streamed_;
  ttft_.push_back(s.ttft_s);
  itl_.insert(itl_.end(), s.itl_s.begin(), s.itl_s.end());
  if (s.tpot_s) tpot_.push_back(*s.tpot_s);
}

void LatencySummary::merge(const LatencySummary& o) {
  requests_ += o.requests_;
  streamed_ += o.streamed_;
  retries_ += o.retries_;
  ttft_.insert(ttft_.end(), o.ttft_.begin(), o.ttft_.end());
  tpot_.insert(tpot_.end(), o.tpot_.begin(), o.tpot_.end());
  itl_.insert(itl_.end(), o.itl_.begin(), o.itl_.end());
  e2el_.insert(e2el_.end(), o.e2el_.begin(), o.e2el_.end());
}

nlohmann::json LatencySummary::to_json() const {
  auto stats = [](const std::vector<double>& v) -> nlohmann::json {
    const LatencyStats s = loadgen_latency_stats(v);
    return {{"n", s.n},
            {"mean_ms", s.mean_ms},
            {"median_ms", s.median_ms},
            {"p90_ms", s.p90_ms},
            {"p99_ms", s.p99_ms}};
  };
  return {{"requests", requests_}, {"streamed", streamed_}, {"retries", retries_},
          {"ttft", stats(ttft_)},  {"tpot", stats(tpot_)},  {"itl", stats(itl_)},
          {"e2el", stats(e2el_)}};
}

}  // namespace moebench
