// host_memory_available from /proc and getrlimit.
#include "common/host_memory.h"

#include <sys/resource.h>

#include <cstdio>
#include <fstream>

namespace moebench {
namespace {

// A "Key:   N kB" field of a /proc file, in bytes.
std::optional<uint64_t> proc_kb(const char* file, const std::string& key) {
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(key + ":", 0) != 0) continue;
    unsigned long long kb = 0;
    if (std::sscanf(line.c_str() + key.size() + 1, "%llu", &kb) != 1) return std::nullopt;
    return static_cast<uint64_t>(kb) * 1024;
  }
  return std::nullopt;
}

}  // namespace

std::optional<uint64_t> host_memory_available() {
  std::optional<uint64_t> have = proc_kb("/proc/meminfo", "MemAvailable");
  struct rlimit as {};
  if (getrlimit(RLIMIT_AS, &as) == 0 && as.rlim_cur != RLIM_INFINITY) {
    const uint64_t mapped = proc_kb("/proc/self/status", "VmSize").value_or(0);
    const uint64_t left = as.rlim_cur > mapped ? as.rlim_cur - mapped : 0;
    if (!have || left < *have) have = left;
  }
  return have;
}

std::string format_gb(uint64_t bytes) {
  char s[32];
  std::snprintf(s, sizeof s, "%.1f GB", static_cast<double>(bytes) / 1e9);
  return s;
}

}  // namespace moebench
