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

// The wall-clock time now in UTC, formatted by strftime's `format`.
inline std::string utc_now_format(const char* format) {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof(buf), format, &tm);
  return buf;
}

// ISO 8601 UTC to the second ("2026-12-05T04:19:11Z"), as run.json records when a run was made.
inline std::string utc_now_iso() { return utc_now_format("%Y-%m-%dT%H:%M:%SZ"); }

// Today's date in UTC, "2026-12-05" (price tables, nightly runs).
inline std::string utc_today() { return utc_now_format("%Y-%m-%d"); }

}  // namespace moebench
