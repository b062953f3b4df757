// The monotonic clock every duration moebench records is taken from, and seconds elapsed on it.
#pragma once

#include <chrono>
#include <ctime>
#include <string>

namespace moebench {

using Clock = std::chrono::steady_clock;

// Seconds elapsed since `start` on the steady clock.
inline double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// The wall-clock time now, ISO 8601 UTC to the second ("2026-12-05T04:19:11Z"), as run.json
// records when a run was made.
inline std::string utc_now_iso() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace moebench
