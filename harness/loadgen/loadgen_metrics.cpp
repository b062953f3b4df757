// Serving metrics of `moebench loadgen`: percentiles, SLO checks, the summary, its table and JSON.
#include "harness/loadgen/loadgen_metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "common/error.h"

namespace moebench {

using json = nlohmann::json;

const char* loadgen_token_source_name(TokenSource s) {
  switch (s) {
    case TokenSource::usage:
      return "usage";
    case TokenSource::tokenizer:
      return "tokenizer";
    case TokenSource::chunks:
      break;
  }
  return "chunks";
}

SloSpec loadgen_parse_slo(const std::string& text) {
  SloSpec slo;
  size_t at = 0;
  while (at <= text.size() && !text.empty()) {
    size_t comma = text.find(',', at);
    std::string item = text.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
    size_t eq = item.find('=');
    if (eq == std::string::npos)
      throw InputError("--slo '" + text + "': '" + item + "' is not key=value");
    std::string key = item.substr(0, eq), value = item.substr(eq + 1);
    double ms = 0;
    try {
      size_t used = 0;
      ms = std::stod(value, &used);
      if (used != value.size()) throw std::invalid_argument(value);
    } catch (const std::exception&) {
      throw InputError("--slo '" + text + "': '" + value + "' is not a number of milliseconds");
    }
    if (!(ms > 0)) throw InputError("--slo '" + text + "': '" + key + "' must be positive");
    if (key == "ttft_ms") {
      slo.ttft_ms = ms;
    } else if (key == "tpot_ms") {
      slo.tpot_ms = ms;
    } else if (key == "e2el_ms") {
      slo.e2el_ms = ms;
    } else {
      throw InputError("--slo '" + text + "': unknown key '" + key +
                       "' (expected ttft_ms, tpot_ms, e2el_ms)");
    }
    if (comma == std::string::npos) break;
    at = comma + 1;
  }
  return slo;
}

double loadgen_percentile(std::vector<double> values, double q) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const double pos = q / 100.0 * static_cast<double>(values.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, values.size() - 1);
  return values[lo] + (values[hi] - values[lo]) * (pos - static_cast<double>(lo));
}

LatencyStats loadgen_latency_stats(const std::vector<double>& seconds) {
  LatencyStats s;
  s.n = static_cast<long>(seconds.size());
  if (seconds.empty()) return s;
  double sum = 0;
  for (double x : seconds) sum += x;
  s.mean_ms = 1e3 * sum / static_cast<double>(seconds.size());
  s.median_ms = 1e3 * loadgen_percentile(seconds, 50);
  s.p90_ms = 1e3 * loadgen_percentile(seconds, 90);
  s.p99_ms = 1e3 * loadgen_percentile(seconds, 99);
  return s;
}

std::optional<double> loadgen_request_tpot(const RequestRecord& r) {
  if (r.output_tokens <= 1) return std::nullopt;
  return (r.e2el_s - r.ttft_s) / static_cast<double>(r.output_tokens - 1);
}

bool loadgen_meets_slo(const RequestRecord& r, const SloSpec& slo) {
  if (!r.ok) return false;
  const double tpot = loadgen_request_tpot(r).value_or(0.0);
  if (slo.ttft_ms && 1e3 * r.ttft_s > *slo.ttft_ms) return false;
  if (slo.tpot_ms && 1e3 * tpot > *slo.tpot_ms) return false;
  if (slo.e2el_ms && 1e3 * r.e2el_s > *slo.e2el_ms) return false;
  return true;
}

LoadgenSummary loadgen_summarize(const std::vector<RequestRecord>& records, double duration_s,
                                 const SloSpec& slo) {
  LoadgenSummary s;
  s.duration_s = duration_s;
  std::vector<double> ttft, tpot, itl, e2el;
  for (const RequestRecord& r : records) {
    s.queued += r.queued;
    if (!r.ok) {
      ++s.failed;
      ++s.errors[r.error_type];
      continue;
    }
    ++s.completed;
    s.input_tokens += r.input_tokens;
    s.output_tokens += r.output_tokens;
    s.tokens_from_usage += r.token_source == TokenSource::usage;
    s.tokens_from_tokenizer += r.token_source == TokenSource::tokenizer;
    s.tokens_from_chunks += r.token_source == TokenSource::chunks;
    ttft.push_back(r.ttft_s);
    e2el.push_back(r.e2el_s);
    if (auto t = loadgen_request_tpot(r)) tpot.push_back(*t);
    itl.insert(itl.end(), r.itl_s.begin(), r.itl_s.end());  // pooled over requests, as vLLM
    if (!slo.empty() && loadgen_meets_slo(r, slo)) ++s.good_requests;
  }
  if (duration_s > 0) {
    s.request_throughput = static_cast<double>(s.completed) / duration_s;
    s.output_throughput = static_cast<double>(s.output_tokens) / duration_s;
    s.total_token_throughput = static_cast<double>(s.input_tokens + s.output_tokens) / duration_s;
    if (!slo.empty()) s.goodput = static_cast<double>(s.good_requests) / duration_s;
  }
  s.ttft = loadgen_latency_stats(ttft);
  s.tpot = loadgen_latency_stats(tpot);
  s.itl = loadgen_latency_stats(itl);
  s.e2el = loadgen_latency_stats(e2el);
  return s;
}

namespace {

void add_line(std::string* out, const std::string& label, double value, int decimals) {
  char buf[160];
  std::snprintf(buf, sizeof buf, "%-40s%.*f\n", label.c_str(), decimals, value);
  *out += buf;
}

void add_title(std::string* out, const std::string& title) {
  const int width = 50, pad = (width - static_cast<int>(title.size()) - 2) / 2;
  std::string dashes(std::max(pad, 0), '-');
  std::string line = dashes + " " + title + " " + dashes;
  line.resize(width, '-');
  *out += line + "\n";
}

void add_stats(std::string* out, const std::string& title, const std::string& name,
               const LatencyStats& st) {
  add_title(out, title);
  add_line(out, "Mean " + name + " (ms):", st.mean_ms, 2);
  add_line(out, "Median " + name + " (ms):", st.median_ms, 2);
  add_line(out, "P90 " + name + " (ms):", st.p90_ms, 2);
  add_line(out, "P99 " + name + " (ms):", st.p99_ms, 2);
}

json stats_json(const LatencyStats& st) {
  return {{"n", st.n},
          {"mean_ms", st.mean_ms},
          {"median_ms", st.median_ms},
          {"p90_ms", st.p90_ms},
          {"p99_ms", st.p99_ms}};
}

}  // namespace

std::string loadgen_format_table(const LoadgenSummary& s) {
  std::string out = "============ Serving Benchmark Result ============\n";
  add_line(&out, "Successful requests:", static_cast<double>(s.completed), 0);
  add_line(&out, "Failed requests:", static_cast<double>(s.failed), 0);
  add_line(&out, "Benchmark duration (s):", s.duration_s, 2);
  add_line(&out, "Total input tokens:", static_cast<double>(s.input_tokens), 0);
  add_line(&out, "Total generated tokens:", static_cast<double>(s.output_tokens), 0);
  add_line(&out, "Request throughput (req/s):", s.request_throughput, 2);
  if (s.goodput) add_line(&out, "Request goodput (req/s):", *s.goodput, 2);
  add_line(&out, "Output token throughput (tok/s):", s.output_throughput, 2);
  add_line(&out, "Total token throughput (tok/s):", s.total_token_throughput, 2);
  add_stats(&out, "Time to First Token", "TTFT", s.ttft);
  add_stats(&out, "Time per Output Token (excl. 1st token)", "TPOT", s.tpot);
  add_stats(&out, "Inter-token Latency", "ITL", s.itl);
  add_stats(&out, "End-to-end Latency", "E2EL", s.e2el);
  out += std::string(50, '=') + "\n";
  for (const auto& [type, n] : s.errors)
    out += "failed: " + std::to_string(n) + " x " + type + "\n";
  if (s.queued > 0) {
    const std::string cap = std::to_string(s.in_flight_cap);
    out += "note: " + std::to_string(s.queued) + " request(s) waited in the client for a free " +
           (s.cap_from_flag ? "slot (--max-concurrency " + cap +
                                  "): their TTFT and E2EL start when sent, as vLLM's\n"
                            : "worker (no --max-concurrency: at most " + cap +
                                  " in flight): their TTFT and E2EL count from the scheduled "
                                  "arrival, the wait included, as vLLM's\n");
  }
  if (s.tokens_from_tokenizer > 0) {
    out += "note: " + std::to_string(s.tokens_from_tokenizer) +
           " request(s) sent no usage chunk: their tokens are counted with --tokenizer (output: "
           "the generated text; input: the prompt without a chat template, as vLLM's prompt_len)\n";
  }
  if (s.tokens_from_chunks > 0) {
    out += "note: " + std::to_string(s.tokens_from_chunks) +
           " request(s) sent no usage chunk and loadgen has no --tokenizer: their output tokens "
           "are content chunk counts (a chunk can carry several tokens) and their input tokens are "
           "not counted, so both token throughputs are low\n";
  }
  return out;
}

json loadgen_summary_json(const LoadgenSummary& s) {
  json j = {{"completed", s.completed},
            {"failed", s.failed},
            {"duration_s", s.duration_s},
            {"total_input_tokens", s.input_tokens},
            {"total_output_tokens", s.output_tokens},
            {"token_sources",
             {{"usage", s.tokens_from_usage},
              {"tokenizer", s.tokens_from_tokenizer},
              {"chunks", s.tokens_from_chunks}}},
            {"queued_requests", s.queued},
            {"request_throughput", s.request_throughput},
            {"output_throughput", s.output_throughput},
            {"total_token_throughput", s.total_token_throughput},
            {"goodput", s.goodput ? json(*s.goodput) : json(nullptr)},
            {"good_requests", s.good_requests},
            {"ttft", stats_json(s.ttft)},
            {"tpot", stats_json(s.tpot)},
            {"itl", stats_json(s.itl)},
            {"e2el", stats_json(s.e2el)},
            {"errors", s.errors}};
  return j;
}

json loadgen_record_json(const RequestRecord& r) {
  json j = {{"index", r.index},
            {"arrival_s", r.arrival_s},
            {"send_s", r.send_s},
            {"queued", r.queued},
            {"ok", r.ok},
            {"max_tokens", r.max_tokens},
            {"prompt", r.prompt},
            {"input_tokens", r.input_tokens},
            {"output_tokens", r.output_tokens},
            {"token_source", loadgen_token_source_name(r.token_source)}};
  if (r.ok) {
    j["ttft_ms"] = 1e3 * r.ttft_s;
    j["e2el_ms"] = 1e3 * r.e2el_s;
    auto tpot = loadgen_request_tpot(r);
    j["tpot_ms"] = tpot ? json(1e3 * *tpot) : json(nullptr);
    json itl = json::array();
    for (double x : r.itl_s) itl.push_back(1e3 * x);
    j["itl_ms"] = itl;
  } else {
    j["error"] = {{"type", r.error_type}, {"message", r.error_message}};
  }
  return j;
}

}  // namespace moebench
