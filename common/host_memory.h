// How much more memory this process may allocate on the host, for checks made before a large load.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace moebench {

// /proc/meminfo's MemAvailable, capped by the address-space limit (ulimit -v) less what this
// process maps already; nullopt when neither is known.
std::optional<uint64_t> host_memory_available();

// Bytes as "62.8 GB" (decimal gigabytes, one decimal).
std::string format_gb(uint64_t bytes);

}  // namespace moebench
