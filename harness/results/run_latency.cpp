// LatencySummary and TPOT.
#include "harness/results/run_latency.h"

#include "harness/loadgen/loadgen_metrics.h"

namespace moebench {

std::optional<double> response_tpot_s(const Response& r) {
  // NOTE: n > 1 samples share one E2EL (one stream interleaving them, or calls one after
  // another): no one sequence's time per token can be read from it.
  if (r.texts.size() > 1) return std::nullopt;
  // Reasoning the API never streamed came before the first chunk: only the tokens that streamed
  // came out after it.
  const long streamed = r.tokens.completion - r.hidden_reasoning;
  if (r.ttft_s <= 0 || streamed <= 1) return std::nullopt;
  return (r.total_s - r.ttft_s) / static_cast<double>(streamed - 1);
}

void LatencySummary::add_request(int retries, bool failed, double e2el_s, double ttft_s,
                                 const std::vector<double>& itl_s, std::optional<double> tpot_s) {
  ++requests_;
  retries_ += retries;
  if (failed) return;
  e2el_.push_back(e2el_s);
  if (ttft_s <= 0) return;
  ++streamed_;
  ttft_.push_back(ttft_s);
  itl_.insert(itl_.end(), itl_s.begin(), itl_s.end());
  if (tpot_s) tpot_.push_back(*tpot_s);
}

void LatencySummary::add(const Response& r) {
  add_request(r.retries, r.error.has_value(), r.total_s, r.ttft_s, response_itl_s(r),
              response_tpot_s(r));
}

std::vector<double> response_itl_s(const Response& r) {
  // NOTE: the chunks of n > 1 samples interleave: a gap between two is no sequence's ITL.
  return r.texts.size() > 1 ? std::vector<double>{} : r.itl_s;
}

void LatencySummary::add(const SampleRecord& s) {
  add_request(s.retries, !s.error_type.empty(), s.latency_s, s.ttft_s, s.itl_s, s.tpot_s);
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
