// Host-side argument checks for the public kernel entries: a failed check throws
// std::invalid_argument naming the entry and the offending values.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace moebench {

template <typename... Args>
std::string launch_str(const Args&... args) {
  std::ostringstream os;
  (os << ... << args);
  return os.str();
}

// launch_require(dim > 0, "cuda_rmsnorm", "dim must be > 0, got ", dim);
template <typename... Args>
void launch_require(bool ok, const char* entry, const Args&... args) {
  if (!ok) throw std::invalid_argument(std::string(entry) + ": " + launch_str(args...));
}

}  // namespace moebench
