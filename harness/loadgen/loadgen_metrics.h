// Serving metrics of `moebench loadgen` (vLLM benchmark_serving's definitions, REFERENCE.md
// "Serving and cost metrics"): per-request records, percentiles, SLOs, goodput and the report.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace moebench {

// Where a request's token counts come from: the server's usage chunk; without one, --tokenizer
// (the generated text and the prompt, as vLLM's benchmark counts them); without that, the number of
// content chunks (a chunk can carry several tokens) and no input tokens.
enum class TokenSource { usage, tokenizer, chunks };
const char* loadgen_token_source_name(TokenSource s);

// One request as the load generator saw it. Times are seconds.
struct RequestRecord {
  int index = 0;
  double arrival_s = 0;  // its scheduled arrival, from the start of the run
  double send_s = 0;     // when it was sent, from the start of the run
  // It waited in the client: it arrived while every worker was busy with another request
  // (loadgen_waited_for_worker).
  bool queued = false;
  bool ok = false;
  // The API client's failure types (connection, timeout, http, rate_limit, protocol, oversized),
  // no_output (a stream without text) or interrupted (not sent).
  std::string error_type;
  std::string error_message;
  // From the start of its latency clock: the scheduled arrival for a request that waited for a
  // worker without --max-concurrency (the wait counts, as in vLLM), else the send.
  double ttft_s = 0;          // -> first text chunk
  double e2el_s = 0;          // -> end of stream
  std::vector<double> itl_s;  // gaps between successive content chunks
  long input_tokens = 0;      // usage.prompt_tokens, the prompt's tokens or 0 (token_source)
  long output_tokens = 0;     // usage.completion_tokens, the text's tokens or the chunk count
  TokenSource token_source = TokenSource::chunks;
  std::string output_text;  // the generated text (reasoning, then content), for counting
  int max_tokens = 0;
  std::string prompt;  // the prompt text (chat: the user message)
};

// Service-level objectives in milliseconds; an unset one is not checked.
struct SloSpec {
  std::optional<double> ttft_ms, tpot_ms, e2el_ms;
  bool empty() const { return !ttft_ms && !tpot_ms && !e2el_ms; }
};

// Parses "ttft_ms=500,tpot_ms=50,e2el_ms=2000" (any subset); InputError naming --slo otherwise.
SloSpec loadgen_parse_slo(const std::string& text);

struct LatencyStats {
  long n = 0;
  double mean_ms = 0, median_ms = 0, p90_ms = 0, p99_ms = 0;
};

struct LoadgenSummary {
  long completed = 0, failed = 0;
  double duration_s = 0;
  long input_tokens = 0, output_tokens = 0;
  // Completed requests by where their token counts come from.
  long tokens_from_usage = 0, tokens_from_tokenizer = 0, tokens_from_chunks = 0;
  // Requests that waited in the client for a free worker; at most `in_flight_cap` are in flight,
  // --max-concurrency's when `cap_from_flag`, else loadgen's worker count (set by loadgen_run).
  long queued = 0;
  int in_flight_cap = 0;
  bool cap_from_flag = false;
  double request_throughput = 0;      // completed / duration
  double output_throughput = 0;       // output tokens / duration
  double total_token_throughput = 0;  // (input + output tokens) / duration
  std::optional<double> goodput;      // requests meeting every SLO / duration (with SLOs)
  long good_requests = 0;
  LatencyStats ttft, tpot, itl, e2el;
  std::map<std::string, long> errors;  // error type -> count
};

// numpy.percentile(values, q) with the default linear interpolation; 0 for no values.
double loadgen_percentile(std::vector<double> values, double q);
// Mean, median, p90, p99 in milliseconds of values in seconds.
LatencyStats loadgen_latency_stats(const std::vector<double>& seconds);
// (E2EL - TTFT) / (output_tokens - 1); nullopt when output_tokens <= 1.
std::optional<double> loadgen_request_tpot(const RequestRecord& r);
// Whether a completed request meets every SLO given. Like vLLM, TPOT counts as 0 for a request
// with one output token.
bool loadgen_meets_slo(const RequestRecord& r, const SloSpec& slo);

LoadgenSummary loadgen_summarize(const std::vector<RequestRecord>& records, double duration_s,
                                 const SloSpec& slo);

// vLLM-style text table.
std::string loadgen_format_table(const LoadgenSummary& s);
nlohmann::json loadgen_summary_json(const LoadgenSummary& s);
nlohmann::json loadgen_record_json(const RequestRecord& r);

}  // namespace moebench
