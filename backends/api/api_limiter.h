// Client-side limits of an API model: token buckets for requests per minute and tokens per
// minute (ModelLimits), shared by every thread that sends requests to the model.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>

#include "backends/models_file.h"

namespace moebench {

// A bucket refilled at per_minute / 60 per second, holding at most `burst_s` seconds of refill.
// A request larger than the bucket passes when the bucket is full and leaves it in debt, so a
// 30k-token prompt under a 10k tokens/min cap waits instead of never going.
class RateBucket {
 public:
  using Clock = std::chrono::steady_clock;
  RateBucket(double per_minute, double burst_s, Clock::time_point now);  // per_minute 0 = no cap
  // Seconds until `amount` can be taken (0: it can now). Does not take it.
  double wait_s(double amount, Clock::time_point now);
  void take(double amount) { level_ -= amount; }
  // Returns an over-estimate (amount > 0) or charges an under-estimate (amount < 0).
  void adjust(double amount) { level_ = std::min(capacity_, level_ + amount); }
  bool unlimited() const { return rate_per_s_ <= 0; }

 private:
  void refill(Clock::time_point now);
  double rate_per_s_, capacity_, level_;
  Clock::time_point last_;
};

class ApiLimiter {
 public:
  explicit ApiLimiter(const ModelLimits& limits, double burst_s = 6);
  // Waits until a request estimated at `tokens` may go, and charges it. Returns false, having
  // charged nothing, when `stop` turns true while waiting (checked every 50 ms).
  bool acquire(long tokens, const std::function<bool()>& stop);
  // Once usage is known: charges the difference between the actual and the estimated tokens.
  void settle(long estimated, long actual);
  double waited_s() const { return waited_us_.load() / 1e6; }

 private:
  std::mutex mu_;
  RateBucket requests_, tokens_;
  std::atomic<long> waited_us_{0};
};

}  // namespace moebench
