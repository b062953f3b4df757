// MATH scoring as lm-eval's hendrycks_math task does it: the answer between the first and last
// `$`, `strip_string` normalization and string equality (`is_equiv`).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace moebench {

// The text between the first and the last `$` of a response; the whole response when it has
// fewer than two `$`.
std::string hendrycks_extract_answer(std::string_view response);

// lm-eval's strip_string. nullopt where the Python raises (two `\text{ ` unit markers, a
// trailing `\sqrt` or `\frac`, an `a/b` whose sides are not integers), which makes is_equiv fall
// back to comparing the raw strings.
std::optional<std::string> hendrycks_strip_string(std::string_view s);

// lm-eval's is_equiv: strip_string(a) == strip_string(b), or a == b when either strip raises.
bool hendrycks_is_equiv(std::string_view a, std::string_view b);

}  // namespace moebench
