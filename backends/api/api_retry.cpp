// Retry classification, backoff and Retry-After parsing.
#include "backends/api/api_retry.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>

namespace moebench {

bool api_retryable(const AttemptFailure& f) {
  // NOTE: an oversized body (32 MiB by default) is no completion a max_tokens could allow: it
  // is a broken server or proxy, so it is retried like a malformed one.
  switch (f.type) {
    case ErrorType::rate_limit:
    case ErrorType::timeout:
    case ErrorType::connection:
    case ErrorType::protocol:
    case ErrorType::oversized:
      return true;
    case ErrorType::http:
      break;
    default:
      return false;
  }
  return f.status == 408 || f.status == 409 || f.status == 429 || f.status >= 500;
}

double api_backoff_s(const ModelTransport& t, int retry, std::optional<double> retry_after,
                     std::mt19937_64& rng) {
  if (retry_after) return std::max(0.0, *retry_after);
  const double cap =
      std::min(t.backoff_max_s, t.backoff_base_s * std::ldexp(1.0, std::min(retry, 30)));
  return std::uniform_real_distribution<double>(0.0, cap)(rng);
}

namespace {

// timegm of an IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT"; -1 when not one.
std::time_t parse_http_date(const std::string& v) {
  static const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char wday[4] = {}, mon[4] = {}, zone[4] = {};
  std::tm tm{};
  int day = 0, year = 0, h = 0, m = 0, s = 0;
  if (std::sscanf(v.c_str(), "%3s, %d %3s %d %d:%d:%d %3s", wday, &day, mon, &year, &h, &m, &s,
                  zone) != 8 ||
      std::strcmp(zone, "GMT") != 0) {
    return -1;
  }
  int month = -1;
  for (int i = 0; i < 12; ++i) {
    if (std::strcmp(mon, kMonths[i]) == 0) month = i;
  }
  if (month < 0 || day < 1 || day > 31 || h > 23 || m > 59 || s > 60) return -1;
  tm.tm_year = year - 1900;
  tm.tm_mon = month;
  tm.tm_mday = day;
  tm.tm_hour = h;
  tm.tm_min = m;
  tm.tm_sec = s;
  return timegm(&tm);
}

}  // namespace

std::optional<double> api_parse_retry_after(const std::string& value, std::time_t now) {
  std::string v = value;
  while (!v.empty() && v.back() == ' ') v.pop_back();
  while (!v.empty() && v.front() == ' ') v.erase(0, 1);
  if (v.empty()) return std::nullopt;
  // NOTE: RFC 9110 says integer seconds; some gateways send "1.5", which is accepted too.
  char* end = nullptr;
  double secs = std::strtod(v.c_str(), &end);
  if (end && *end == '\0' && std::isfinite(secs)) return std::max(0.0, secs);
  std::time_t when = parse_http_date(v);
  if (when < 0) return std::nullopt;
  return std::max(0.0, std::difftime(when, now));
}

}  // namespace moebench
