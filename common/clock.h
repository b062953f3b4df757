// The monotonic clock every duration moebench records is taken from, and seconds elapsed on it.
#pragma once

#include <chrono>

namespace moebench {

using Clock = std::chrono::steady_clock;

// Seconds elapsed since `start` on the steady clock.
inline double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace moebench
