// MATH answer extraction and normalization as lm-eval's minerva_math task does it
// (lm_eval/tasks/minerva_math/utils.py), plus the Python string primitives they are built on.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace moebench {

// Python str primitives on UTF-8 text, so that the ports read like the Python they mirror.
// str.replace(from, to): non-overlapping, left to right; `from` must be non-empty.
std::string math_replace_all(std::string_view s, std::string_view from, std::string_view to);
// str.split(sep) with an explicit separator: n occurrences give n + 1 parts.
std::vector<std::string> math_split(std::string_view s, std::string_view sep);
// str.strip() with no argument: removes the code points for which str.isspace() is true.
std::string math_py_strip(std::string_view s);
// len(s) in code points.
size_t math_utf8_length(std::string_view s);
// Byte length of the code point starting at s[i] (1 for a stray byte).
size_t math_utf8_char_bytes(std::string_view s, size_t i);
// str.isdigit() (non-empty, every code point a digit, superscripts included).
bool math_py_isdigit(std::string_view s);

// The last `\boxed{...}` (brace-matched), or `\boxed ` up to the next `$`, or the last
// `\fbox{...}`; nullopt where lm-eval returns None (no box, or braces never close).
std::optional<std::string> last_boxed_only_string(std::string_view s);
// Strips `\boxed ` or `\boxed{` ... `}`; nullopt where lm-eval's asserts fail (e.g. an `\fbox`).
std::optional<std::string> remove_boxed(std::string_view s);

// The text after "Final Answer: The final answer is" up to ". I hope it is correct." (the
// sentence is appended first, so a response cut after the answer still matches), stripped;
// "[invalidanswer]" when there is no such sentence.
std::string minerva_get_unnormalized_answer(std::string_view text);
// What minerva's normalization does with '=': kLastSide keeps the text after the last one
// (lm-eval: "x = 5" -> "5"); kWhole keeps the whole equation, for answers that are equations
// ("2x+y+1=0", whose last side "0" any other "... = 0" would match).
enum class MinervaEquals { kLastSide, kWhole };
// Lewkowycz et al. (2022) appendix D normalization, step for step as lm-eval implements it (with
// the default kLastSide).
std::string minerva_normalize_final_answer(std::string_view s,
                                           MinervaEquals equals = MinervaEquals::kLastSide);

inline constexpr const char* kMinervaInvalidAnswer = "[invalidanswer]";

}  // namespace moebench
