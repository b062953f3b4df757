// The loopback server's scripted faults: what a client sees for every kind, the per-request
// header override, and the determinism and realised rate of the seeded fault plan.
#include <chrono>
#include <cmath>
#include <set>
#include <thread>

#include "common/hash.h"
#include "tests/catch.h"
#include "tests/loopback/loopback_test_util.h"
#include "tests/loopback/server/fault_plan.h"

using namespace moebench::loopback;
using namespace moebench::loopback::testing;

namespace {

// A chat body; a fault override hits the first attempts of a key, so each check uses its own text.
json chat(bool stream, const std::string& text = "Hi") {
  json b = {{"model", "m"}, {"messages", {{{"role", "user"}, {"content", text}}}}};
  if (stream) b["stream"] = true;
  return b;
}

httplib::Headers fault(const std::string& kind, const std::string& attempts = "1") {
  return {{"X-Loopback-Fault", kind}, {"X-Loopback-Fault-Attempts", attempts}};
}

}  // namespace

TEST_CASE("rate_limit, http_500, http_503 and bad_request faults are error responses") {
  ServerOptions o;
  o.faults.retry_after_s = 7;
  auto s = start_server(o);
  auto r = post(*s, "/v1/chat/completions", chat(false), fault("rate_limit"));
  REQUIRE(r->status == 429);
  CHECK(r->get_header_value("Retry-After") == "7");
  CHECK(json::parse(r->body)["error"]["code"] == "rate_limit_exceeded");
  // The fault lasted one attempt: the retry is served.
  r = post(*s, "/v1/chat/completions", chat(false), fault("rate_limit"));
  CHECK(r->status == 200);
  r = post(*s, "/v1/chat/completions", chat(true, "500"), fault("http_500"));
  CHECK(r->status == 500);
  r = post(*s, "/v1/completions", {{"model", "m"}, {"prompt", "p"}}, fault("http_503"));
  CHECK(r->status == 503);
  auto h = fault("http_503");
  h.emplace("anthropic-version", "2023-06-01");
  json msg = {
      {"model", "m"}, {"max_tokens", 5}, {"messages", {{{"role", "user"}, {"content", "x"}}}}};
  r = post(*s, "/v1/messages", msg, h);
  CHECK(r->status == 529);
  CHECK(json::parse(r->body)["error"]["type"] == "overloaded_error");
  h = fault("bad_request", "all");
  h.emplace("anthropic-version", "2023-06-01");
  for (int i = 0; i < 2; ++i) {
    r = post(*s, "/v1/messages", msg, h);
    CHECK(r->status == 400);
    CHECK(json::parse(r->body)["error"]["type"] == "invalid_request_error");
  }
}

TEST_CASE("body faults: malformed_json, wrong_content_type, oversized, reset, truncated_sse") {
  ServerOptions o;
  o.faults.oversized_bytes = 3u << 20;
  auto s = start_server(o);
  auto r = post(*s, "/v1/chat/completions", chat(false), fault("malformed_json"));
  REQUIRE(r->status == 200);
  CHECK(r->get_header_value("Content-Type") == "application/json");
  CHECK(json::parse(r->body, nullptr, false).is_discarded());
  r = post(*s, "/v1/chat/completions", chat(false, "wrong_content_type"),
           fault("wrong_content_type"));
  CHECK(r->status == 200);
  CHECK(r->get_header_value("Content-Type") == "text/html");
  r = post(*s, "/v1/chat/completions", chat(false, "oversized"), fault("oversized"));
  CHECK(r->status == 200);
  CHECK(r->body.size() == (3u << 20));
  CHECK(json::parse(r->body)["padding"].is_string());
  // A reset drops the connection: the client sees an error, not a response.
  r = post(*s, "/v1/chat/completions", chat(true, "reset stream"), fault("reset"));
  CHECK_FALSE(r);
  r = post(*s, "/v1/chat/completions", chat(false, "reset"), fault("reset"));
  CHECK_FALSE(r);
  r = post(*s, "/v1/chat/completions", chat(true, "truncated"), fault("truncated_sse"));
  REQUIRE(r);
  auto data = sse_payloads(r->body);
  REQUIRE_FALSE(data.empty());
  CHECK(data.back() != "[DONE]");
  // Without a stream to truncate, truncated_sse is a cut JSON body.
  r = post(*s, "/v1/chat/completions", chat(false, "truncated"), fault("truncated_sse", "all"));
  REQUIRE(r->status == 200);
  CHECK(json::parse(r->body, nullptr, false).is_discarded());
  auto h = fault("truncated_sse");
  h.emplace("anthropic-version", "2023-06-01");
  json msg = {{"model", "m"},
              {"max_tokens", 5},
              {"stream", true},
              {"messages", {{{"role", "user"}, {"content", "x"}}}}};
  r = post(*s, "/v1/messages", msg, h);
  auto names = sse_event_names(r->body);
  CHECK(names.back() == "message_delta");
}

TEST_CASE("slow fault waits slow_ms and then answers") {
  ServerOptions o;
  o.faults.slow_ms = 300;
  auto s = start_server(o);
  auto t0 = std::chrono::steady_clock::now();
  auto r = post(*s, "/v1/chat/completions", chat(false), fault("slow"));
  double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  REQUIRE(r->status == 200);
  CHECK(ms >= 290);
  CHECK(s->ledger()["by_outcome"]["slow"] == 1);
  // A client that gives up first never gets the answer: the ledger does not count it as served.
  httplib::Client c("127.0.0.1", s->port());
  c.set_read_timeout(0, 100 * 1000);
  r = c.Post("/v1/chat/completions", fault("slow"), chat(false, "gone").dump(), "application/json");
  CHECK_FALSE(r);
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  json led = s->ledger();
  CHECK(led["by_outcome"]["undelivered"] == 1);
  CHECK(led["keys"][1]["outcomes"] == json({"undelivered"}));
  CHECK(led["keys"][1]["served"]["requests_ok"] == 0);
  CHECK(led["keys"][1]["served"]["prompt"] == 0);
}

TEST_CASE("planned faults hit the first attempts of a key and then clear") {
  ServerOptions o;
  o.faults.rate = 1;
  o.faults.kinds = {"http_500"};
  o.faults.transient_attempts_max = 1;
  auto s = start_server(o);
  CHECK(post(*s, "/v1/chat/completions", chat(false))->status == 500);
  CHECK(post(*s, "/v1/chat/completions", chat(true))->status == 200);  // same key: stream ignored
  json led = s->ledger();
  REQUIRE(led["keys"].size() == 1);
  CHECK(led["keys"][0]["attempts"] == 2);
  CHECK(led["keys"][0]["outcomes"] == json({"http_500", "ok"}));
  CHECK(led["keys"][0]["fault"] == "http_500");
  CHECK(led["keys"][0]["permanent"] == false);
}

TEST_CASE("fault plan is deterministic and realises its rate") {
  FaultOptions f;
  f.rate = 0.1;
  f.permanent_share = 0.5;
  f.seed = 42;
  FaultPlan a(f), b(f);
  f.seed = 43;
  FaultPlan c(f);
  int faulted = 0, permanent = 0, differ = 0;
  std::set<std::string> kinds;
  for (int i = 0; i < 2000; ++i) {
    const std::string key = moebench::sha256_hex("key" + std::to_string(i));
    FaultDecision da = a.decide(key), db = b.decide(key);
    CHECK(da.kind == db.kind);
    CHECK(da.attempts == db.attempts);
    CHECK(da.permanent == db.permanent);
    differ += da.kind.empty() != c.decide(key).kind.empty();
    if (!da.kind.empty()) {
      ++faulted;
      permanent += da.permanent;
      kinds.insert(da.kind);
      CHECK(da.kind != "bad_request");
      CHECK((da.attempts >= 1 && da.attempts <= 2));
    }
  }
  const double rate = faulted / 2000.0;
  CHECK(std::abs(rate - 0.1) <= 0.1 * 0.1 + 0.02);
  CHECK(permanent > 0);
  CHECK(permanent < faulted);
  CHECK(differ > 0);
  CHECK(kinds.size() == loopback_fault_kinds().size() - 1);
  CHECK_THROWS(FaultPlan(FaultOptions{.rate = 1, .kinds = {"nope"}}));
}
