// Token buckets and the limiter that combines them.
#include "backends/api/api_limiter.h"

#include <algorithm>
#include <thread>

namespace moebench {

RateBucket::RateBucket(double per_minute, double burst_s, Clock::time_point now)
    : rate_per_s_(per_minute / 60.0),
      capacity_(std::max(1.0, per_minute / 60.0 * burst_s)),
      level_(capacity_),
      last_(now) {}

void RateBucket::refill(Clock::time_point now) {
  const double dt = std::chrono::duration<double>(now - last_).count();
  last_ = now;
  if (dt > 0) level_ = std::min(capacity_, level_ + dt * rate_per_s_);
}

double RateBucket::wait_s(double amount, Clock::time_point now) {
  if (unlimited()) return 0;
  refill(now);
  const double need = std::min(amount, capacity_);
  return level_ >= need ? 0 : (need - level_) / rate_per_s_;
}

ApiLimiter::ApiLimiter(const ModelLimits& limits, double burst_s)
    : requests_(static_cast<double>(limits.requests_per_minute), burst_s, RateBucket::Clock::now()),
      tokens_(static_cast<double>(limits.tokens_per_minute), burst_s, RateBucket::Clock::now()) {}

bool ApiLimiter::acquire(long tokens, const std::function<bool()>& stop) {
  if (requests_.unlimited() && tokens_.unlimited()) return true;
  const auto start = RateBucket::Clock::now();
  for (;;) {
    double wait = 0;
    {
      std::lock_guard<std::mutex> lock(mu_);
      const auto now = RateBucket::Clock::now();
      wait = std::max(requests_.wait_s(1, now), tokens_.wait_s(static_cast<double>(tokens), now));
      if (wait <= 0) {
        requests_.take(1);
        tokens_.take(static_cast<double>(tokens));
        break;
      }
    }
    if (stop && stop()) return false;
    std::this_thread::sleep_for(std::chrono::duration<double>(std::min(wait, 0.05)));
  }
  waited_us_ +=
      std::chrono::duration_cast<std::chrono::microseconds>(RateBucket::Clock::now() - start)
          .count();
  return true;
}

void ApiLimiter::settle(long estimated, long actual) {
  if (tokens_.unlimited() || estimated == actual) return;
  std::lock_guard<std::mutex> lock(mu_);
  tokens_.adjust(static_cast<double>(estimated - actual));
}

}  // namespace moebench
