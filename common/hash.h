// Content hashes: SHA-256 (OpenSSL) as lower-case hex, used for cache keys and run ids.
#pragma once

#include <string>
#include <string_view>

namespace moebench {

std::string sha256_hex(std::string_view data);

}  // namespace moebench
