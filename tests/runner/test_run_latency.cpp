// The serving latencies a run reports from its responses: TPOT of one streamed sequence, and a
// response of several samples (n > 1), which has no one sequence to time.
#include "harness/results/run_latency.h"
#include "tests/catch.h"

using namespace moebench;

namespace {

Response streamed(int samples, long completion) {
  Response r;
  r.texts.assign(samples, "text");
  r.tokens.completion = completion;
  r.ttft_s = 0.1;
  r.total_s = 1.0;
  r.itl_s = {0.1, 0.1, 0.1};
  return r;
}

}  // namespace

TEST_CASE("TPOT is one sequence's time per token after the first", "[runner][latency]") {
  const std::optional<double> tpot = response_tpot_s(streamed(1, 10));
  REQUIRE(tpot.has_value());
  CHECK(std::abs(*tpot - 0.9 / 9) < 1e-12);
  CHECK_FALSE(response_tpot_s(streamed(1, 1)).has_value());
  Response whole = streamed(1, 10);
  whole.ttft_s = 0;  // not streamed
  CHECK_FALSE(response_tpot_s(whole).has_value());
}

// n = 4 samples streamed in one response interleave their chunks, or come from 4 calls one after
// another: the completion tokens of all four over one E2EL gave a TPOT about 4 times too small,
// and the gaps between any two chunks were no sequence's ITL.
TEST_CASE("a response of several samples reports no TPOT and no ITL", "[runner][latency]") {
  const Response r = streamed(4, 40);
  CHECK_FALSE(response_tpot_s(r).has_value());
  LatencySummary s;
  s.add(r);
  const nlohmann::json j = s.to_json();
  CHECK(j["streamed"] == 1);
  CHECK(j["ttft"]["n"] == 1);
  CHECK(j["tpot"]["n"] == 0);
  CHECK(j["itl"]["n"] == 0);
  CHECK(j["e2el"]["n"] == 1);
}
