// What `moebench loadgen` counts, against the in-process fake server: a request's wait in the
// client for an in-flight slot, its tokens without a usage chunk, and warm-up prompts apart from
// the measured ones. No assertion depends on how fast the machine is: they compare times that are
// ordered by construction.
#include <string>
#include <vector>

#include "harness/loadgen/loadgen_run.h"
#include "tests/catch.h"
#include "tests/serve/loadgen_fake_server.h"

using namespace moebench;
using namespace moebench::testing;
using json = nlohmann::json;

namespace {

LoadgenPrompt prompt(const std::string& text, int max_tokens) {
  LoadgenPrompt p;
  p.text = text;
  p.max_tokens = max_tokens;
  return p;
}

}  // namespace

// vLLM without --max-concurrency starts a request's clock before its connection is made, so a wait
// for a connection counts in its TTFT; loadgen's cap there is its worker count, and a request that
// waits for a worker has waited in the client as well.
TEST_CASE("loadgen: without --max-concurrency a request queued in the client counts its wait",
          "[loadgen]") {
  FakeServer server;
  LoadgenOptions o = server.options("m");
  o.max_workers = 1;  // the cap without --max-concurrency, made small
  // Both arrive at 0 (rate inf); "hold" takes the one worker and "b" waits for it to finish.
  const LoadgenResult r = loadgen_run(o, {prompt("hold", 4), prompt("b", 4)});
  REQUIRE(r.summary.completed == 2);
  const RequestRecord& held = r.records[0];
  const RequestRecord& waited = r.records[1];
  CHECK(!held.queued);
  CHECK(waited.queued);
  CHECK(waited.arrival_s == held.arrival_s);
  // "b" was sent after "hold" ended, and its clock started when both arrived.
  CHECK(waited.send_s >= held.send_s);
  CHECK(waited.ttft_s >= held.e2el_s);
  CHECK(waited.ttft_s >= waited.send_s - waited.arrival_s);
  CHECK(waited.e2el_s >= waited.ttft_s);
  CHECK(r.summary.queued == 1);
  json j = loadgen_result_json(o, r);
  CHECK(j["config"]["in_flight_cap"] == 1);
  CHECK(j["config"]["latency_from"] == "arrival");
  CHECK(j["summary"]["queued_requests"] == 1);
  CHECK(j["requests"][1]["queued"] == true);
  const std::string table = loadgen_format_table(r.summary);
  INFO(table);
  CHECK(table.find("note: 1 request(s) waited in the client for a free worker (no "
                   "--max-concurrency: at most 1 in flight): their TTFT and E2EL count from the "
                   "scheduled arrival") != std::string::npos);
}

// With --max-concurrency vLLM takes its semaphore before the request's clock starts, so the wait
// for a slot is left out; loadgen says how many waited.
TEST_CASE("loadgen: with --max-concurrency a queued request's clock starts when it is sent",
          "[loadgen]") {
  FakeServer server;
  LoadgenOptions o = server.options("m");
  o.max_concurrency = 1;
  const LoadgenResult r = loadgen_run(o, {prompt("hold", 4), prompt("b", 4)});
  REQUIRE(r.summary.completed == 2);
  CHECK(r.records[1].queued);
  CHECK(r.summary.queued == 1);
  json j = loadgen_result_json(o, r);
  CHECK(j["config"]["in_flight_cap"] == 1);
  CHECK(j["config"]["latency_from"] == "send");
  const std::string table = loadgen_format_table(r.summary);
  INFO(table);
  CHECK(table.find("note: 1 request(s) waited in the client for a free slot (--max-concurrency "
                   "1): their TTFT and E2EL start when sent") != std::string::npos);
}
