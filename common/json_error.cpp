// json_error_reason: nlohmann's parse error message, shortened.
#include "common/json_error.h"

namespace moebench {

std::string json_error_reason(const std::exception& e) {
  constexpr size_t kMaxLength = 200;
  std::string w = e.what();
  if (w.rfind("[json.exception.", 0) == 0) {
    const size_t tag_end = w.find("] ");
    if (tag_end != std::string::npos) w = w.substr(tag_end + 2);
  }
  const size_t read = w.find("; last read: ");
  if (read != std::string::npos) {
    const size_t expected = w.find("; expected ", read);
    w = w.substr(0, read) + (expected == std::string::npos ? "" : w.substr(expected));
  }
  if (w.size() > kMaxLength) w = w.substr(0, kMaxLength) + "...";
  for (char& c : w) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return w;
}

}  // namespace moebench
