// `moebench loadgen`: the serving metrics on a hand-made timeline (checked against numpy's
// percentiles), the client (the API backends': TCP_NODELAY, timings, failure types) against an
// in-process server, the Poisson schedule, and end-to-end runs against `moebench serve`.
#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <set>

#include "common/error.h"
#include "common/http_stream.h"
#include "harness/loadgen/loadgen_client.h"
#include "harness/loadgen/loadgen_metrics.h"
#include "harness/loadgen/loadgen_run.h"
#include "harness/loadgen/loadgen_workload.h"
#include "tests/catch.h"
#include "tests/runner/cli_harness.h"
#include "tests/serve/loadgen_fake_server.h"
#include "tests/serve/serve_harness.h"

using namespace moebench;
using namespace moebench::testing;
using json = nlohmann::json;

namespace {

bool near(double a, double b, double tol = 1e-9) { return std::abs(a - b) <= tol; }

RequestRecord done(double ttft, double e2el, long out, std::vector<double> itl, long in) {
  RequestRecord r;
  r.ok = true;
  r.ttft_s = ttft;
  r.e2el_s = e2el;
  r.output_tokens = out;
  r.itl_s = std::move(itl);
  r.input_tokens = in;
  r.token_source = TokenSource::usage;
  return r;
}

// The timeline: three completed requests and one that could not connect, over 2 s.
std::vector<RequestRecord> timeline() {
  RequestRecord failed;
  failed.error_type = "connection";
  return {done(0.1, 0.5, 5, {0.1, 0.1, 0.1, 0.1}, 10), done(0.3, 0.9, 4, {0.2, 0.2, 0.2}, 20),
          done(0.05, 0.05, 1, {}, 30), failed};
}

// A port nothing listens on: bound to learn a free number, then closed.
int dead_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace

TEST_CASE("loadgen: percentiles interpolate linearly as numpy does", "[loadgen]") {
  // numpy.percentile([1, 2, 3, 4], [0, 25, 50, 99, 100]) = [1, 1.75, 2.5, 3.97, 4]
  std::vector<double> v = {4, 1, 3, 2};
  CHECK(near(loadgen_percentile(v, 0), 1.0));
  CHECK(near(loadgen_percentile(v, 25), 1.75));
  CHECK(near(loadgen_percentile(v, 50), 2.5));
  CHECK(near(loadgen_percentile(v, 99), 3.97));
  CHECK(near(loadgen_percentile(v, 100), 4.0));
  CHECK(near(loadgen_percentile({7}, 99), 7.0));
  CHECK(loadgen_percentile({}, 50) == 0.0);
}

TEST_CASE("loadgen: metrics of a hand-made timeline", "[loadgen]") {
  LoadgenSummary s = loadgen_summarize(timeline(), 2.0, SloSpec{});
  CHECK(s.completed == 3);
  CHECK(s.failed == 1);
  CHECK(s.errors.at("connection") == 1);
  CHECK(s.input_tokens == 60);
  CHECK(s.output_tokens == 10);
  CHECK(near(s.request_throughput, 1.5));
  CHECK(near(s.output_throughput, 5.0));
  CHECK(near(s.total_token_throughput, 35.0));
  CHECK(!s.goodput);
  // TTFT ms [100, 300, 50]: numpy mean 150, median 100, p90 260, p99 296.
  CHECK(near(s.ttft.mean_ms, 150, 1e-6));
  CHECK(near(s.ttft.median_ms, 100, 1e-6));
  CHECK(near(s.ttft.p90_ms, 260, 1e-6));
  CHECK(near(s.ttft.p99_ms, 296, 1e-6));
  // TPOT: (0.5-0.1)/4 = 100 ms, (0.9-0.3)/3 = 200 ms; one output token has none.
  CHECK(s.tpot.n == 2);
  CHECK(near(s.tpot.mean_ms, 150, 1e-6));
  CHECK(near(s.tpot.p90_ms, 190, 1e-6));
  CHECK(near(s.tpot.p99_ms, 199, 1e-6));
  // ITL pooled over requests: four 100 ms and three 200 ms gaps.
  CHECK(s.itl.n == 7);
  CHECK(near(s.itl.mean_ms, 1000.0 / 7, 1e-6));
  CHECK(near(s.itl.median_ms, 100, 1e-6));
  CHECK(near(s.itl.p90_ms, 200, 1e-6));
  // E2EL ms [500, 900, 50]: mean 483.33, median 500, p90 820.
  CHECK(near(s.e2el.mean_ms, 1450.0 / 3, 1e-6));
  CHECK(near(s.e2el.median_ms, 500, 1e-6));
  CHECK(near(s.e2el.p90_ms, 820, 1e-6));
  CHECK(!loadgen_request_tpot(timeline()[2]));
}

TEST_CASE("loadgen: goodput counts requests meeting every SLO", "[loadgen]") {
  // ttft 200 ms + tpot 150 ms: request 0 (100, 100) and 2 (50, tpot 0) pass, 1 (ttft 300) fails.
  SloSpec slo = loadgen_parse_slo("ttft_ms=200,tpot_ms=150");
  LoadgenSummary s = loadgen_summarize(timeline(), 2.0, slo);
  REQUIRE(s.goodput);
  CHECK(s.good_requests == 2);
  CHECK(near(*s.goodput, 1.0));
  // Adding e2el 100 ms leaves request 2 (50 ms) only.
  s = loadgen_summarize(timeline(), 2.0, loadgen_parse_slo("ttft_ms=200,tpot_ms=150,e2el_ms=100"));
  CHECK(s.good_requests == 1);
  CHECK(near(*s.goodput, 0.5));
  CHECK(!loadgen_meets_slo(timeline()[3], slo));  // a failed request never counts
  CHECK_THROWS_AS(loadgen_parse_slo("ttft=5"), InputError);
  CHECK_THROWS_AS(loadgen_parse_slo("ttft_ms=abc"), InputError);
  CHECK_THROWS_AS(loadgen_parse_slo("tpot_ms=-1"), InputError);
}

TEST_CASE("loadgen: requests go through the API client with TCP_NODELAY", "[loadgen]") {
  FakeServer server;
  LoadgenOptions o = server.options("m");
  o.target.api_key = "sk-test";
  LoadgenResult r = loadgen_run(o, {prompt("hi there", 16)});
  REQUIRE(r.records.size() == 1);
  const RequestRecord& rec = r.records[0];
  INFO(rec.error_type << ": " << rec.error_message);
  REQUIRE(rec.ok);
  // The client's socket, found from the server side while the request was in flight.
  CHECK(server.client_nodelay() == 1);
  // Two text chunks: TTFT, one ITL; the empty role chunk counts for neither. Tokens from usage.
  CHECK(rec.ttft_s > 0);
  CHECK(rec.itl_s.size() == 1);
  CHECK(rec.e2el_s >= rec.ttft_s);
  CHECK(rec.input_tokens == 7);
  CHECK(rec.output_tokens == 3);
  CHECK(rec.token_source == TokenSource::usage);
  const json body = server.last_body();
  CHECK(body["messages"] == json::parse(R"([{"role":"user","content":"hi there"}])"));
  CHECK(server.last_authorization() == "Bearer sk-test");
}

TEST_CASE("loadgen: failures carry the API client's types", "[loadgen]") {
  FakeServer server;
  LoadgenResult r = loadgen_run(server.options("http_500"), {prompt("a", 4), prompt("b", 4)});
  for (const RequestRecord& rec : r.records) {
    CHECK(!rec.ok);
    CHECK(rec.error_type == "http");
    CHECK(rec.error_message.find("HTTP 500: boom") != std::string::npos);
  }
  CHECK(r.summary.errors.at("http") == 2);
  r = loadgen_run(server.options("no_text"), {prompt("a", 4)});
  CHECK(r.records[0].error_type == "no_output");
  r = loadgen_run(server.options("no_done"), {prompt("a", 4)});
  CHECK(r.records[0].error_type == "protocol");
  LoadgenOptions dead = server.options("m");
  dead.target.base_url = "http://127.0.0.1:" + std::to_string(dead_port()) + "/v1";
  r = loadgen_run(dead, {prompt("a", 4)});
  CHECK(r.records[0].error_type == "connection");
}

// A server that captures CUDA graphs or allocates on first use would charge that to the first
// measured requests; warm-up requests go first and are neither timed nor reported.
TEST_CASE(
    "loadgen: warm-up requests go first, untimed and unreported, and a failed one stops the run",
    "[loadgen]") {
  FakeServer server;
  LoadgenOptions o = server.options("m");
  o.warmup = 3;
  o.max_concurrency = 2;
  const LoadgenResult r = loadgen_run(o, {prompt("a", 4), prompt("b", 4)}, {prompt("w", 4)});
  CHECK(server.requests() == 5);
  // The warm-ups, then the measured two, which two workers send at the same instant (rate inf):
  // they reach the server in either order.
  std::vector<std::string> sent = server.contents();
  REQUIRE(sent.size() == 5);
  std::sort(sent.begin() + 3, sent.end());
  CHECK(sent == std::vector<std::string>{"w", "w", "w", "a", "b"});
  REQUIRE(r.records.size() == 2);
  CHECK(r.summary.completed == 2);
  CHECK(loadgen_result_json(o, r)["config"]["warmup"] == 3);
  LoadgenOptions bad = server.options("http_500");
  bad.warmup = 2;
  CHECK_THROWS_WITH(loadgen_run(bad, {prompt("a", 4)}, {prompt("w", 4)}),
                    Catch::Matchers::StartsWith("loadgen: warm-up request 1 of 2 failed (http): "));
  CHECK_THROWS_AS(loadgen_run(bad, {prompt("a", 4)}, {prompt("w", 4)}), LoadgenWarmupFailed);
  CHECK(server.requests() == 5 + 4);  // both warm-ups sent each time, nothing measured after
  // A warm-up prompt that is measured, or none at all, is refused before anything is sent.
  CHECK_THROWS_WITH(loadgen_run(o, {prompt("a", 4), prompt("b", 4)}, {prompt("b", 4)}),
                    Catch::Matchers::StartsWith("--warmup: warm-up prompt 1 is also a measured "
                                                "prompt"));
  CHECK_THROWS_AS(loadgen_run(o, {prompt("a", 4)}), InputError);
  CHECK(server.requests() == 5 + 4);
}

TEST_CASE("loadgen: warm-up prompts skip the measured ones", "[loadgen]") {
  const RandomPromptSpec spec{2, 4, 0};
  const std::vector<LoadgenPrompt> measured = loadgen_random_prompts(50, spec, 3);
  std::set<std::string> keys;
  for (const LoadgenPrompt& p : measured) keys.insert(loadgen_prompt_key(p));
  // Two-word prompts have 64 x 64 variants, so 50 measured ones leave plenty.
  int random_used = -1;
  const std::vector<LoadgenPrompt> warm = loadgen_warmup_prompts(
      200, {measured[0], prompt("spare", 4)}, spec, 3, measured, &random_used);
  REQUIRE(warm.size() == 200);
  CHECK(warm[0].text == "spare");  // the spare prompt first, the measured one skipped
  CHECK(random_used == 199);
  for (const LoadgenPrompt& p : warm) CHECK(!keys.count(loadgen_prompt_key(p)));
  CHECK(loadgen_warmup_prompts(2, {}, spec, 3, measured)[1].text == warm[2].text);  // seeded
  // One-word prompts have 64 variants: all measured, none left.
  const std::vector<LoadgenPrompt> all = loadgen_random_prompts(2000, {1, 4, 0}, 3);
  REQUIRE(loadgen_distinct_prompts(all) == 64);
  CHECK_THROWS_WITH(loadgen_warmup_prompts(1, {}, {1, 4, 0}, 3, all),
                    Catch::Matchers::StartsWith("--warmup 1: found only 0 warm-up prompts"));
}

TEST_CASE("loadgen: the request body streams with usage and the base URL splits", "[loadgen]") {
  LoadgenTarget t;
  t.model = "m";
  LoadgenPrompt p = prompt("hi there", 16);
  json chat = LoadgenClient(t).call(p).body;
  CHECK(chat["messages"] == json::parse(R"([{"role":"user","content":"hi there"}])"));
  CHECK(chat["max_tokens"] == 16);
  CHECK(chat["temperature"] == 0);
  CHECK(chat["stream"] == true);
  CHECK(chat["stream_options"]["include_usage"] == true);
  CHECK(chat["ignore_eos"] == true);
  CHECK(!chat.contains("seed"));
  t.chat = false;
  t.ignore_eos = false;
  p.messages = {{"user", "the chat form"}};
  json completion = LoadgenClient(t).call(p).body;
  CHECK(completion["prompt"] == "hi there");
  CHECK(!completion.contains("messages"));
  CHECK(!completion.contains("ignore_eos"));
  std::string host, prefix;
  http_split_url("http://127.0.0.1:8000/v1/", "--base-url", &host, &prefix);
  CHECK(host == "http://127.0.0.1:8000");
  CHECK(prefix == "/v1");
  http_split_url("https://api.example.com", "--base-url", &host, &prefix);
  CHECK(host == "https://api.example.com");
  CHECK(prefix.empty());
  CHECK_THROWS_AS(http_split_url("127.0.0.1:8000/v1", "--base-url", &host, &prefix), InputError);
  CHECK_THROWS_AS(http_split_url("http:///v1", "--base-url", &host, &prefix), InputError);
}

TEST_CASE("loadgen: Poisson schedule has the rate's mean gap and is seeded", "[loadgen]") {
  const int n = 20000;
  const double rate = 10.0;
  std::vector<double> t = loadgen_arrival_times(n, rate, 42);
  REQUIRE(t.size() == static_cast<size_t>(n));
  CHECK(t[0] == 0.0);
  double above = 0;
  for (int i = 1; i < n; ++i) {
    REQUIRE(t[i] >= t[i - 1]);
    if (t[i] - t[i - 1] > 1 / rate) ++above;
  }
  // Mean gap 1/rate (standard error 0.1/sqrt(n) = 0.0007: 3% is > 4 sigma); P(gap > mean) = 1/e.
  const double mean_gap = t.back() / (n - 1);
  CHECK(std::abs(mean_gap - 0.1) < 0.003);
  CHECK(std::abs(above / (n - 1) - std::exp(-1.0)) < 0.015);
  CHECK(loadgen_arrival_times(n, rate, 42) == t);
  CHECK(loadgen_arrival_times(n, rate, 43) != t);
  std::vector<double> burst = loadgen_arrival_times(5, INFINITY, 42);
  CHECK(burst == std::vector<double>(5, 0.0));
}

// vLLM's --burstiness: gamma gaps of shape b and mean 1/rate (coefficient of variation
// 1/sqrt(b)); b = 1 is the Poisson process, the same schedule as without it.
TEST_CASE("loadgen: burstiness shapes the gaps as vLLM's gamma arrivals at the same mean rate",
          "[loadgen]") {
  const int n = 20000;
  const double rate = 10.0;
  CHECK(loadgen_arrival_times(n, rate, 42, 1.0) == loadgen_arrival_times(n, rate, 42));
  for (double b : {0.25, 0.5, 2.0, 4.0}) {
    INFO("burstiness " << b);
    const std::vector<double> t = loadgen_arrival_times(n, rate, 42, b);
    REQUIRE(t.size() == static_cast<size_t>(n));
    CHECK(t[0] == 0.0);
    double sum = 0, sum2 = 0;
    for (int i = 1; i < n; ++i) {
      const double gap = t[i] - t[i - 1];
      REQUIRE(gap >= 0);
      sum += gap;
      sum2 += gap * gap;
    }
    const double mean = sum / (n - 1), var = sum2 / (n - 1) - mean * mean;
    // The mean's standard error is 0.1/sqrt(b n) (0.0014 at b 0.25): 0.006 is > 4 sigma.
    CHECK(std::abs(mean - 0.1) < 0.006);
    CHECK(std::abs(std::sqrt(var) / mean - 1 / std::sqrt(b)) < 0.1 / std::sqrt(b));
    CHECK(loadgen_arrival_times(n, rate, 42, b) == t);
  }
  CHECK_THROWS_WITH(loadgen_arrival_times(3, rate, 42, 0.0),
                    "--burstiness must be positive (1: Poisson arrivals)");
  CHECK(loadgen_arrival_times(5, INFINITY, 42, 0.5) == std::vector<double>(5, 0.0));
}

TEST_CASE("loadgen: random prompts keep lengths within the spread", "[loadgen]") {
  std::vector<LoadgenPrompt> p = loadgen_random_prompts(200, {128, 64, 0.25}, 7);
  for (const LoadgenPrompt& x : p) {
    const long words = std::count(x.text.begin(), x.text.end(), ' ') + 1;
    CHECK((words >= 96 && words <= 160));
    CHECK((x.max_tokens >= 48 && x.max_tokens <= 80));
  }
  CHECK(loadgen_random_prompts(200, {128, 64, 0.25}, 7)[5].text == p[5].text);
  LoadgenPrompt fixed = loadgen_random_prompts(1, {16, 16, 0}, 7)[0];
  CHECK(std::count(fixed.text.begin(), fixed.text.end(), ' ') == 15);
  CHECK(fixed.max_tokens == 16);
}

TEST_CASE("loadgen: a run against moebench serve completes with the server's token counts",
          "[loadgen][serve]") {
  ServeProcess& server = ServeProcess::get();
  const fs::path out = server.dir() / "loadgen.json";
  CommandResult r = run_command(
      moebench_bin() + " loadgen --base-url http://127.0.0.1:" + std::to_string(server.port()) +
          "/v1 --model tiny-qwen3 --num-prompts 8 --request-rate inf --max-concurrency 4"
          " --input-len 24 --output-len 16 --len-spread 0 --slo e2el_ms=600000 --no-progress"
          " --json '" +
          out.string() + "'",
      server.dir());
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK(r.output.find("Successful requests:" + std::string(20, ' ') + "8\n") != std::string::npos);
  json j = json::parse(read_file(out));
  const json& s = j["summary"];
  CHECK(s["completed"] == 8);
  CHECK(s["failed"] == 0);
  CHECK(s["good_requests"] == 8);
  CHECK(j["config"]["concurrency"] == 4);
  REQUIRE(j["requests"].size() == 8);
  // Each request's counts are the server's: the same prompt sent again, not streamed, reports
  // the same usage (greedy decoding).
  httplib::Client c("127.0.0.1", server.port());
  c.set_read_timeout(120, 0);
  long in_sum = 0, out_sum = 0;
  for (const json& q : j["requests"]) {
    CHECK(q["token_source"] == "usage");
    json body = {{"model", "tiny-qwen3"},
                 {"messages", {{{"role", "user"}, {"content", q["prompt"]}}}},
                 {"max_tokens", 16},
                 {"temperature", 0}};
    auto res = c.Post("/v1/chat/completions", body.dump(), "application/json");
    REQUIRE(res);
    json usage = json::parse(res->body)["usage"];
    CHECK(q["input_tokens"] == usage["prompt_tokens"]);
    CHECK(q["output_tokens"] == usage["completion_tokens"]);
    CHECK(q["itl_ms"].size() <= q["output_tokens"].get<size_t>() - 1);
    CHECK(q["ttft_ms"].get<double>() > 0);
    CHECK(q["e2el_ms"].get<double>() >= q["ttft_ms"].get<double>());
    in_sum += q["input_tokens"].get<long>();
    out_sum += q["output_tokens"].get<long>();
  }
  CHECK(s["total_input_tokens"] == in_sum);
  CHECK(s["total_output_tokens"] == out_sum);
}

TEST_CASE("loadgen: --suite sends the suite's prompts", "[loadgen][serve]") {
  ServeProcess& server = ServeProcess::get();
  const fs::path out = server.dir() / "suite.json";
  CommandResult r = run_command(
      moebench_bin() + " loadgen --base-url http://127.0.0.1:" + std::to_string(server.port()) +
          "/v1 --model tiny-qwen3 --suite gsm8k --samples --num-prompts 3 --output-len 4"
          " --no-progress --json '" +
          out.string() + "'",
      server.dir());
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  json j = json::parse(read_file(out));
  CHECK(j["summary"]["completed"] == 3);
  for (const json& q : j["requests"]) {
    // The last chat turn is the document's question; the few-shot turns before it make the
    // prompt far longer than the question alone.
    CHECK(q["prompt"].get<std::string>().rfind("Question:", 0) == 0);
    CHECK(q["input_tokens"].get<long>() > 100);
    CHECK(q["output_tokens"].get<long>() <= 4);
  }
}

TEST_CASE("loadgen: a dead port gives connection errors and a non-zero exit", "[loadgen]") {
  const fs::path dir = temp_dir("loadgen-dead");
  const fs::path out = dir / "dead.json";
  CommandResult r = run_command(
      moebench_bin() + " loadgen --base-url http://127.0.0.1:" + std::to_string(dead_port()) +
          "/v1 --model m --num-prompts 3 --request-rate 100 --burstiness 0.5 --input-len 4"
          " --output-len 4 --no-progress --json '" +
          out.string() + "'",
      dir);
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK(r.output.find("failed: 3 x connection") != std::string::npos);
  json j = json::parse(read_file(out));
  CHECK(j["summary"]["completed"] == 0);
  CHECK(j["summary"]["failed"] == 3);
  CHECK(j["summary"]["errors"]["connection"] == 3);
  for (const json& q : j["requests"]) CHECK(q["error"]["type"] == "connection");
  CHECK(j["config"]["burstiness"] == 0.5);
  const std::vector<double> schedule = loadgen_arrival_times(3, 100, 0, 0.5);
  for (size_t i = 0; i < 3; ++i) CHECK(j["requests"][i]["arrival_s"] == schedule[i]);

  // A failed warm-up is the server's failure too: an error line, not an internal error (a bug).
  CommandResult warm = run_command(
      moebench_bin() + " loadgen --base-url http://127.0.0.1:" + std::to_string(dead_port()) +
          "/v1 --model m --num-prompts 3 --warmup 2 --no-progress",
      dir);
  INFO(warm.output);
  CHECK(warm.exit_code == 1);
  CHECK(
      warm.output.find("moebench: error: loadgen: warm-up request 1 of 2 failed (connection): ") !=
      std::string::npos);
  CHECK(warm.output.find("internal error") == std::string::npos);

  CommandResult bad = run_command(
      moebench_bin() + " loadgen --model m --slo ttft=1 --num-prompts 1 --no-progress", dir);
  CHECK(bad.exit_code == 2);
  CHECK(bad.output.find("--slo") != std::string::npos);
}
