// Retry rules, backoff bounds, Retry-After parsing and the client-side token buckets.
#include <atomic>
#include <cmath>
#include <thread>

#include "backends/api/api_limiter.h"
#include "backends/api/api_retry.h"
#include "tests/catch.h"

using namespace moebench;

TEST_CASE("transient failures are retried, client errors are not") {
  auto f = [](const char* type, int status) {
    return AttemptFailure{error_type_parse(type, "test"), "", status, {}};
  };
  for (int s : {408, 409, 429, 500, 502, 503, 504, 529}) CHECK(api_retryable(f("http", s)));
  for (int s : {400, 401, 403, 404, 422}) CHECK_FALSE(api_retryable(f("http", s)));
  for (const char* t : {"rate_limit", "timeout", "connection", "protocol"}) {
    CHECK(api_retryable(f(t, 0)));
  }
  CHECK(api_retryable(f("oversized", 0)));  // a broken proxy, not the model
  CHECK_FALSE(api_retryable(f("interrupted", 0)));
}

TEST_CASE("backoff is full jitter under the exponential cap, Retry-After wins") {
  ModelTransport t;
  t.backoff_base_s = 0.5;
  t.backoff_max_s = 8;
  std::mt19937_64 rng(42);
  for (int retry = 0; retry < 10; ++retry) {
    double cap = std::min(8.0, 0.5 * std::pow(2.0, retry));
    double hi = 0;
    for (int i = 0; i < 200; ++i) {
      double d = api_backoff_s(t, retry, std::nullopt, rng);
      CHECK(d >= 0);
      CHECK(d <= cap);
      hi = std::max(hi, d);
    }
    CHECK(hi > 0.8 * cap);  // the draws spread over the whole interval
  }
  CHECK(api_backoff_s(t, 3, 2.5, rng) == 2.5);
  CHECK(api_backoff_s(t, 3, -1.0, rng) == 0);
}

TEST_CASE("Retry-After as seconds or as an HTTP date") {
  const std::time_t now = 784111777;  // Sun, 06 Nov 1994 08:49:37 GMT
  CHECK(api_parse_retry_after("120", now) == 120.0);
  CHECK(api_parse_retry_after(" 0 ", now) == 0.0);
  CHECK(api_parse_retry_after("1.5", now) == 1.5);
  CHECK(api_parse_retry_after("Sun, 06 Nov 1994 08:50:07 GMT", now) == 30.0);
  CHECK(api_parse_retry_after("Sun, 06 Nov 1994 08:40:00 GMT", now) == 0.0);
  CHECK_FALSE(api_parse_retry_after("", now));
  CHECK_FALSE(api_parse_retry_after("soon", now));
  CHECK_FALSE(api_parse_retry_after("Sun, 06 Nov 1994 08:50:07 PST", now));
}

TEST_CASE("a rate bucket refills at its per-minute rate and lets an oversized request through") {
  using Clock = RateBucket::Clock;
  const Clock::time_point t0 = Clock::now();
  RateBucket b(600, 1, t0);  // 10 per second, holds 10
  CHECK(b.wait_s(10, t0) == 0);
  b.take(10);
  CHECK(std::abs(b.wait_s(1, t0) - 0.1) < 1e-9);
  CHECK(b.wait_s(1, t0 + std::chrono::milliseconds(100)) < 1e-9);
  // 50 > capacity: it waits for a full bucket, then goes and leaves the bucket in debt.
  const Clock::time_point t1 = t0 + std::chrono::seconds(5);
  CHECK(b.wait_s(50, t1) == 0);
  b.take(50);
  CHECK(std::abs(b.wait_s(1, t1) - 4.1) < 1e-9);
  b.adjust(30);  // the request used 30 fewer tokens than estimated
  CHECK(std::abs(b.wait_s(1, t1) - 1.1) < 1e-9);
  CHECK(RateBucket(0, 1, t0).unlimited());
}

TEST_CASE("the limiter holds requests per minute and stops waiting when told") {
  ModelLimits l;
  l.requests_per_minute = 1200;  // 20 per second
  ApiLimiter limiter(l, 0.25);   // holds 5
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 15; ++i) REQUIRE(limiter.acquire(1, nullptr));
  const double took =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  CHECK(took > 0.45);  // 5 at once, 10 more at 20/s
  CHECK(limiter.waited_s() > 0.4);
  std::atomic<bool> stop{false};
  std::thread t([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    stop = true;
  });
  ModelLimits slow;
  slow.requests_per_minute = 1;
  ApiLimiter blocked(slow, 1);
  REQUIRE(blocked.acquire(1, nullptr));
  CHECK_FALSE(blocked.acquire(1, [&] { return stop.load(); }));
  t.join();
}
