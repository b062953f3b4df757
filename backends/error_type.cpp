// ErrorType names, in one table.
#include "backends/error_type.h"

#include <iterator>

#include "common/error.h"

namespace moebench {
namespace {

struct Named {
  ErrorType type;
  const char* name;
};

constexpr Named kNames[] = {
    {ErrorType::timeout, "timeout"},
    {ErrorType::http, "http"},
    {ErrorType::rate_limit, "rate_limit"},
    {ErrorType::connection, "connection"},
    {ErrorType::protocol, "protocol"},
    {ErrorType::oversized, "oversized"},
    {ErrorType::refused, "refused"},
    {ErrorType::interrupted, "interrupted"},
    {ErrorType::backend, "backend"},
    {ErrorType::not_found, "not_found"},
    {ErrorType::scoring, "scoring"},
    {ErrorType::no_output, "no_output"},
    {ErrorType::content_filter, "content_filter"},
    {ErrorType::non_finite, "non_finite"},
};

}  // namespace

const char* error_type_name(ErrorType type) {
  for (const Named& n : kNames) {
    if (n.type == type) return n.name;
  }
  return "unknown";  // NOTE: unreachable while kNames lists every enumerator
}

ErrorType error_type_parse(const std::string& name, const std::string& where) {
  std::string known;
  for (const Named& n : kNames) {
    if (name == n.name) return n.type;
    known += std::string(known.empty() ? "" : ", ") + n.name;
  }
  throw input_error(where, "unknown error type '" + name + "' (known: " + known + ")");
}

}  // namespace moebench
