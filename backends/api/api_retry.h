// When an API request is tried again: which failures are transient, how long to wait (exponential
// backoff with full jitter, or the server's Retry-After), and reading Retry-After itself.
#pragma once

#include <ctime>
#include <optional>
#include <random>
#include <string>

#include "backends/error_type.h"
#include "backends/models_file.h"

namespace moebench {

// What one attempt ended with, as far as retrying is concerned.
struct AttemptFailure {
  ErrorType type = ErrorType::http;
  std::string message;
  int status = 0;                     // HTTP status, 0 when none arrived
  std::optional<double> retry_after;  // seconds, from the Retry-After header
};

// 429, 408, 409, 5xx (and Anthropic's 529), connection errors, timeouts, cut, malformed or
// oversized responses are transient; other 4xx (bad request, auth, not found) are not.
bool api_retryable(const AttemptFailure& f);

// Seconds to wait before retry number `retry` (0-based): the server's Retry-After when given,
// else U(0, min(max, base * 2^retry)) (AWS "full jitter"). Never negative.
double api_backoff_s(const ModelTransport& t, int retry, std::optional<double> retry_after,
                     std::mt19937_64& rng);

// RFC 9110 Retry-After: delay-seconds or an HTTP-date (relative to `now`); nullopt when
// unreadable. A date in the past gives 0.
std::optional<double> api_parse_retry_after(const std::string& value, std::time_t now);

}  // namespace moebench
