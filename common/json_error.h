// A one-line, bounded reason for a JSON parse error, without the input text nlohmann quotes: a
// truncated file must not print a 700-character line of prompt text.
#pragma once

#include <exception>
#include <string>

namespace moebench {

// "parse error at line 1, column 918: syntax error while parsing object key - unexpected end of
// input; expected string literal" (the "[json.exception...]" tag and "last read: '...'" cut).
std::string json_error_reason(const std::exception& e);

}  // namespace moebench
