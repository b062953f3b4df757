// moebench-api-bench: sustained requests/s of the API backend against a server (the loopback
// test server in CI), the way `moebench run` drives it: `concurrency` threads each sending one
// request at a time through ApiBackend and committing each response to the SQLite cache. Prints
// the rate over a measured window after a warm-up, latency percentiles, errors and this
// process's resident memory sampled every second (flat = no growth with requests served).
#include <CLI/CLI.hpp>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "backends/api/api_backend.h"
#include "common/clock.h"
#include "common/error.h"
#include "harness/runner/cache.h"

using namespace moebench;

namespace {

struct BenchFlags {
  std::string base_url, provider = "openai-compatible", model = "bench", cache, json_out;
  int concurrency = 64, prompt_bytes = 1024, max_tokens = 16;
  long min_requests = 1;  // the window also lasts until this many completed in it
  double duration_s = 20, warmup_s = 3;
  bool stream = true;
};

// Latencies in fixed memory (the bench must not grow with the requests it counts): log-spaced
// buckets 1% wide from 10 us to 1000 s; quantiles are read at a bucket's geometric middle.
class LatencyHistogram {
 public:
  void add(double s) {
    ++n_;
    sum_ += s;
    const double x = std::max(s, kMin);
    size_t b = static_cast<size_t>(std::log(x / kMin) / std::log(kStep));
    ++counts_[std::min(b, counts_.size() - 1)];
  }
  long n() const { return n_; }
  double mean_ms() const { return n_ ? 1e3 * sum_ / n_ : 0; }
  double quantile_ms(double q) const {
    if (n_ == 0) return 0;
    const long rank = static_cast<long>(std::ceil(q * n_));
    long seen = 0;
    for (size_t b = 0; b < counts_.size(); ++b) {
      seen += counts_[b];
      if (seen >= std::max(1L, rank)) return 1e3 * kMin * std::pow(kStep, b + 0.5);
    }
    return 0;
  }

 private:
  static constexpr double kMin = 1e-5, kStep = 1.01;
  std::array<long, 1900> counts_{};
  long n_ = 0;
  double sum_ = 0;
};

double rss_mib() {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  }
  return 0;
}

Request make_request(long i, int prompt_bytes, int max_tokens) {
  Request r;
  std::string text = "Question " + std::to_string(i) + ": ";
  while (static_cast<int>(text.size()) < prompt_bytes) text += "how many apples are left? ";
  r.messages = {{"system", "Answer with a number."}, {"user", text}};
  r.generation.max_tokens = max_tokens;
  return r;
}

ModelEntry bench_model(const BenchFlags& f) {
  ModelEntry m;
  m.name = "bench";
  m.provider = f.provider;
  m.base_url = f.base_url;
  m.model = f.model;
  m.limits.max_in_flight = f.concurrency;
  m.api.stream = f.stream;
  m.api.n_per_request = f.provider != "anthropic";
  ModelsFile check;
  check.path = "moebench-api-bench flags";
  check.models = {m};
  check.validate();
  return m;
}

// What the measured window saw.
struct Measured {
  double window_s = 0;
  long completed = 0, errors = 0, sent = 0;
  LatencyHistogram latencies;
  std::map<std::string, long> error_types;
  std::vector<double> rss;  // MiB, sampled each second
};

// `concurrency` threads send one request at a time (each response committed to the cache) through
// a warm-up, then a window of at least duration_s and min_requests completions.
Measured measure(ApiBackend& backend, ResponseCache* cache, const BenchFlags& f) {
  const std::string cache_key = backend.info().cache_key();
  std::atomic<long> next{0}, done_in_window{0}, errors{0}, tokens{0};
  std::atomic<bool> measuring{false}, stop{false};
  std::mutex lat_mu;
  Measured m;
  auto worker = [&] {
    while (!stop) {
      const long i = next++;
      Request r = make_request(i, f.prompt_bytes, f.max_tokens);
      std::vector<Response> got = backend.run({r});
      if (cache) cache->put_many(cache_key, {r.hash()}, got);
      const Response& resp = got.front();
      if (!measuring) continue;
      ++done_in_window;
      tokens += resp.tokens.completion;
      std::lock_guard<std::mutex> lock(lat_mu);
      if (resp.error) {
        ++errors;
        ++m.error_types[error_type_name(resp.error->type)];
      } else {
        m.latencies.add(resp.total_s);
      }
    }
  };
  std::vector<std::thread> pool;
  for (int t = 0; t < f.concurrency; ++t) pool.emplace_back(worker);
  std::this_thread::sleep_for(std::chrono::duration<double>(f.warmup_s));
  measuring = true;
  const Clock::time_point t0 = Clock::now();
  m.rss.push_back(rss_mib());
  const long sent_before = next.load();
  // NOTE: a loaded machine stretches the window instead of failing the run for lack of requests.
  while (seconds_since(t0) < f.duration_s || done_in_window.load() < f.min_requests) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    m.rss.push_back(rss_mib());
  }
  m.window_s = seconds_since(t0);
  m.completed = done_in_window.load();
  measuring = false;
  stop = true;
  for (auto& t : pool) t.join();
  m.errors = errors.load();
  m.sent = next.load() - sent_before;
  return m;
}

void report(const BenchFlags& f, const Measured& m, const ApiBackendStats& st) {
  const double mean_ms = m.latencies.mean_ms(), median_ms = m.latencies.quantile_ms(0.5),
               p99_ms = m.latencies.quantile_ms(0.99);
  const double rate = m.completed / m.window_s;
  const double rss_max = *std::max_element(m.rss.begin(), m.rss.end());
  std::printf(
      "api bench: %s, concurrency %d, %s, %d-byte prompts, %.0f s window after %.0f s warm-up\n",
      f.base_url.c_str(), f.concurrency, f.stream ? "streamed" : "whole responses", f.prompt_bytes,
      m.window_s, f.warmup_s);
  std::printf("requests/s        %10.1f  (%ld completed, %ld errors, %ld sent in the window)\n",
              rate, m.completed, m.errors, m.sent);
  std::printf("latency ms        mean %.1f  median %.1f  p99 %.1f\n", mean_ms, median_ms, p99_ms);
  std::printf("resident MiB      start %.1f  end %.1f  max %.1f  (sampled each second)\n",
              m.rss.front(), m.rss.back(), rss_max);
  std::printf("client            attempts %ld, retries %ld", st.attempts, st.retries);
  for (const auto& [type, n] : st.retried) std::printf(", %s %ld", type.c_str(), n);
  std::printf("\n");
  for (const auto& [type, n] : m.error_types)
    std::printf("error             %s: %ld\n", type.c_str(), n);
  if (!f.json_out.empty()) {
    nlohmann::json j = {{"base_url", f.base_url},
                        {"concurrency", f.concurrency},
                        {"stream", f.stream},
                        {"window_s", m.window_s},
                        {"requests_per_s", rate},
                        {"completed", m.completed},
                        {"errors", m.errors},
                        {"error_types", m.error_types},
                        {"latency_ms", {{"mean", mean_ms}, {"median", median_ms}, {"p99", p99_ms}}},
                        {"rss_mib", m.rss},
                        {"attempts", st.attempts},
                        {"retries", st.retries}};
    std::ofstream(f.json_out) << j.dump(2) << "\n";
  }
}

int run(const BenchFlags& f) {
  ApiBackend backend(bench_model(f), {});
  std::filesystem::path cache_file = f.cache;
  std::unique_ptr<ResponseCache> cache;
  if (cache_file != "none") {
    if (cache_file.empty()) {
      cache_file = std::filesystem::temp_directory_path() /
                   ("moebench-api-bench-" + std::to_string(::getpid()) + ".sqlite");
    }
    std::filesystem::remove(cache_file);
    cache = std::make_unique<ResponseCache>(cache_file);
  }
  const Measured m = measure(backend, cache.get(), f);
  if (cache && f.cache.empty()) {
    cache.reset();
    for (const char* ext : {"", "-wal", "-shm"}) {
      std::filesystem::remove(cache_file.string() + ext);
    }
  }
  report(f, m, backend.stats());
  return m.errors == 0 && m.completed > 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"moebench-api-bench: sustained requests/s of the API backend against a server"};
  BenchFlags f;
  app.add_option("--base-url", f.base_url, "Server, e.g. http://127.0.0.1:8000/v1")->required();
  app.add_option("--provider", f.provider, "openai-compatible | deepseek | anthropic")
      ->capture_default_str();
  app.add_option("--model", f.model, "Model id sent")->capture_default_str();
  app.add_option("--concurrency", f.concurrency, "Requests in flight")->capture_default_str();
  app.add_option("--duration-s", f.duration_s, "Measured window")->capture_default_str();
  app.add_option("--warmup-s", f.warmup_s, "Unmeasured start")->capture_default_str();
  app.add_option("--min-requests", f.min_requests,
                 "The window lasts until this many requests completed in it")
      ->capture_default_str();
  app.add_option("--prompt-bytes", f.prompt_bytes, "User message size")->capture_default_str();
  app.add_option("--max-tokens", f.max_tokens, "max_tokens per request")->capture_default_str();
  app.add_option("--stream", f.stream, "1 = streamed (SSE), 0 = whole responses")
      ->capture_default_str();
  app.add_option("--cache", f.cache, "Response cache file (default: a temporary one; none = off)");
  app.add_option("--json", f.json_out, "Also write the results here");
  CLI11_PARSE(app, argc, argv);
  try {
    return run(f);
  } catch (const InputError& e) {
    std::fprintf(stderr, "moebench-api-bench: %s\n", e.what());
    return 2;
  }
}
