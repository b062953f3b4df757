// Serving latencies of the responses a run received (REFERENCE.md "Serving and cost metrics":
// TTFT, TPOT, ITL, E2EL), the retries they took and what their tokens cost, summed per suite
// and per run for run.json.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "backends/backend.h"
#include "reports/sample_record.h"

namespace moebench {

// (E2EL - TTFT) / (completion tokens - 1) of a streamed response of one sample; nullopt
// otherwise (n > 1 samples share one E2EL: no one sequence can be timed).
std::optional<double> response_tpot_s(const Response& r);
// The gaps between a response's streamed chunks: its ITLs when it holds one sample; none for
// n > 1 (their chunks interleave).
std::vector<double> response_itl_s(const Response& r);

class LatencySummary {
 public:
  // Responses received this run (not cache hits); failed ones count only their retries.
  void add(const Response& r);
  // A recorded sample (samples.jsonl) counted as `add` counts the response it records; its ITLs
  // were rounded to the microsecond when written.
  void add(const SampleRecord& s);
  void merge(const LatencySummary& other);
  // {"requests", "streamed", "retries", "ttft", "tpot", "itl", "e2el"}, each latency as
  // {n, mean_ms, median_ms, p90_ms, p99_ms}.
  nlohmann::json to_json() const;

 private:
  // One request: its retries; when it succeeded its E2EL, and when streamed its TTFT, ITLs, TPOT.
  void add_request(int retries, bool failed, double e2el_s, double ttft_s,
                   const std::vector<double>& itl_s, std::optional<double> tpot_s);
  long requests_ = 0, streamed_ = 0, retries_ = 0;
  std::vector<double> ttft_, tpot_, itl_, e2el_;
};

}  // namespace moebench
