// Which `moebench loadgen` requests waited in the client for a worker (README "moebench loadgen"):
// only those arriving while every worker was busy with another request, against the loopback
// server (tests/loopback) with its scripted latency. No assertion depends on how fast the machine
// is: at rate inf every request arrives at 0, before any can end.
#include <algorithm>
#include <string>
#include <vector>

#include "harness/loadgen/loadgen_run.h"
#include "tests/catch.h"
#include "tests/loopback/server/loopback_server.h"

using namespace moebench;
using json = nlohmann::json;

namespace {

// `n` distinct prompts of a few words, 4 tokens out each.
std::vector<LoadgenPrompt> prompts(int n) {
  std::vector<LoadgenPrompt> out(n);
  for (int i = 0; i < n; ++i) {
    out[i].text = "prompt number " + std::to_string(i);
    out[i].max_tokens = 4;
  }
  return out;
}

// NOTE: a server just started answers its first requests slowly (~100 ms here, its thread pool
// still starting): one warm-up request first, so the measured ones see the scripted latency.
LoadgenPrompt warm_up_prompt() {
  LoadgenPrompt p;
  p.text = "warm up";
  p.max_tokens = 4;
  return p;
}

LoadgenOptions options_for(const loopback::Server& server) {
  LoadgenOptions o;
  o.warmup = 1;
  o.target.base_url = server.base_url() + "/v1";
  o.target.model = "tiny";
  o.target.timeout_s = 60;
  return o;
}

}  // namespace

// A worker per request: none waits, however late a worker's thread comes to its request. It marked
// a request queued whenever a worker that had finished one came to it after its arrival: 44 of 64
// at rate inf, timed from their arrival though no worker was busy.
TEST_CASE("loadgen: with a worker per request none is reported queued", "[loadgen]") {
  loopback::Server server(loopback::ServerOptions{});
  server.start();
  const LoadgenOptions o = options_for(server);
  const LoadgenResult r =
      loadgen_run(o, prompts(64), {warm_up_prompt()});  // rate inf: all arrive at 0
  for (const auto& [type, n] : r.summary.errors) UNSCOPED_INFO(n << " x " << type);
  REQUIRE(r.summary.completed == 64);
  CHECK(r.concurrency == 64);
  long queued = 0;
  for (const RequestRecord& rec : r.records) queued += rec.queued;
  CHECK(queued == 0);
  CHECK(r.summary.queued == 0);
  CHECK(loadgen_result_json(o, r)["summary"]["queued_requests"] == 0);
  CHECK(loadgen_format_table(r.summary).find("waited in the client") == std::string::npos);
}

// Two workers and six requests at once, each answered after 200 ms: the first two take the
// workers, the other four arrive with both busy and wait, with and without --max-concurrency.
TEST_CASE("loadgen: requests arriving while every worker is busy are queued", "[loadgen]") {
  loopback::ServerOptions so;
  so.latency_ms = 200;
  loopback::Server server(so);
  server.start();
  for (const bool flag : {false, true}) {
    INFO((flag ? "--max-concurrency 2" : "2 workers, no --max-concurrency"));
    LoadgenOptions o = options_for(server);
    o.max_workers = 2;
    if (flag) o.max_concurrency = 2;
    const LoadgenResult r = loadgen_run(o, prompts(6), {warm_up_prompt()});
    REQUIRE(r.summary.completed == 6);
    REQUIRE(r.concurrency == 2);
    for (int i = 0; i < 6; ++i) {
      INFO("request " << i);
      const RequestRecord& rec = r.records[i];
      CHECK(rec.queued == (i >= 2));
      if (i < 2) continue;
      // Sent once a worker was free; without --max-concurrency timed from its arrival.
      const double first_free = std::min(r.records[0].send_s + r.records[0].e2el_s,
                                         r.records[1].send_s + r.records[1].e2el_s);
      CHECK(rec.send_s >= first_free);
      if (!flag) CHECK(rec.ttft_s >= rec.send_s - rec.arrival_s);
    }
    CHECK(r.summary.queued == 4);
    const std::string table = loadgen_format_table(r.summary);
    INFO(table);
    CHECK(table.find("note: 4 request(s) waited in the client for a free ") != std::string::npos);
  }
}

// The rule on hand-made timelines (seconds): a request waited when every worker was busy with
// another request at its arrival; a worker that came late though free is a lag, not a wait.
TEST_CASE("loadgen: a request waited only when every worker was busy at its arrival", "[loadgen]") {
  using Spans = std::vector<LoadgenWorkerSpan>;
  // Two workers, four requests at 0: the first two take the workers, the others wait.
  CHECK(loadgen_waited_for_worker({0, 0, 0, 0}, Spans{{0, 1}, {0, 2}, {1, 3}, {2, 4}}, 2) ==
        std::vector<bool>{false, false, true, true});
  // Arrivals spread out: a worker is always back before the next arrival (request 2's worker came
  // to it at 0.4, before it arrived at 0.5, and waited there for it).
  CHECK(loadgen_waited_for_worker({0, 0.1, 0.5, 1.5},
                                  Spans{{0, 1}, {0, 0.4}, {0.4, 0.9}, {1.0, 1.6}},
                                  2) == std::vector<bool>{false, false, false, false});
  // Request 2 arrives at 0.3; its worker finished request 0 at 0.2 but came to it only at 0.35:
  // one worker was free at 0.3, so that was the worker's lag.
  CHECK(loadgen_waited_for_worker({0, 0, 0.3}, Spans{{0, 0.2}, {0, 0.5}, {0.35, 0.6}}, 2) ==
        std::vector<bool>{false, false, false});
  // ... but with request 0 held until 0.34 both workers were busy at 0.3: it waited.
  CHECK(loadgen_waited_for_worker({0, 0, 0.3}, Spans{{0, 0.34}, {0, 0.5}, {0.34, 0.6}}, 2) ==
        std::vector<bool>{false, false, true});
  // A request ending at the instant another arrives has freed its worker.
  CHECK(loadgen_waited_for_worker({0, 0.3}, Spans{{0, 0.3}, {0.3, 0.5}}, 1) ==
        std::vector<bool>{false, false});
  // One worker per request: none waits, whatever the order the workers came in.
  CHECK(loadgen_waited_for_worker({0, 0, 0}, Spans{{0, 0.9}, {0, 0.1}, {0, 0.5}}, 3) ==
        std::vector<bool>{false, false, false});
}
