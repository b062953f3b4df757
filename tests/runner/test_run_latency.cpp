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

// An OpenAI reasoning model (o1, o3) thinks before its first streamed chunk and never streams
// the thinking, yet completion_tokens counts it: 900 hidden of 1000 tokens timed over the 100
// that streamed gave a TPOT ten times too small.
TEST_CASE("TPOT counts only the tokens streamed after the first: hidden reasoning is not timed",
          "[runner][latency]") {
  Response r = streamed(1, 1000);
  r.tokens.reasoning = 900;
  r.hidden_reasoning = 900;
  const std::optional<double> tpot = response_tpot_s(r);
  REQUIRE(tpot.has_value());
  CHECK(std::abs(*tpot - 0.9 / 99) < 1e-12);
  r.hidden_reasoning = 999;  // one visible token: no time per token after it
  CHECK_FALSE(response_tpot_s(r).has_value());
  // Reasoning that streamed (reasoning_content, inline <think>) came after the first chunk.
  r.hidden_reasoning = 0;
  CHECK(std::abs(*response_tpot_s(r) - 0.9 / 999) < 1e-12);
  // The cache keeps it: a cached sample's record reads the same.
  r.hidden_reasoning = 900;
  CHECK(Response::from_json(r.to_json()).hidden_reasoning == 900);
  Response more = streamed(1, 10);
  more.hidden_reasoning = 4;
  CHECK(response_append_samples(r, more).hidden_reasoning == 904);
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
