// Python's str semantics over UTF-8 that the reference harnesses' text handling relies on
// (`.strip()`, `.isspace()`): one copy for the scoring filters and the thinking split.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace moebench {

// Python's str.isspace() set (bidi WS/B/S or category Zs).
bool py_is_space(char32_t c);
// Byte length of the UTF-8 sequence led by `c` (1 for an invalid lead byte).
size_t utf8_len(unsigned char c);
// The code point starting at s[i]; *len is its byte length (1 on invalid bytes).
char32_t utf8_at(std::string_view s, size_t i, size_t* len);
// Python's str.strip(): Unicode whitespace off both ends.
std::string py_strip(std::string_view s);

}  // namespace moebench
