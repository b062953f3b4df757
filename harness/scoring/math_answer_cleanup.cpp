// math_answer_cleanup: markdown, math delimiters, a final period and Unicode √ / π removed from a
// chat model's answer line (the chat profile's math suites). Hand-written: this is the product.
#include "harness/scoring/math_answer_cleanup.h"

#include <cctype>

#include "harness/scoring/math_normalize.h"

namespace moebench {
namespace {

constexpr std::string_view kSqrt = "\xe2\x88\x9a";  // √
constexpr std::string_view kPi = "\xcf\x80";        // π

// Markdown bold/italics around the answer or left from the label: "** 42", "**720**", "144**".
// NOTE: only the ends; a '*' inside is a product ("2*3").
std::string strip_emphasis(std::string s) {
  s = math_py_strip(s);
  const size_t begin = s.find_first_not_of('*');
  if (begin == std::string::npos) return "";
  s = math_py_strip(s.substr(begin, s.find_last_not_of('*') + 1 - begin));
  // '_' marks italics only in pairs; a lone one may be a subscript.
  if (s.size() > 2 && s.front() == '_' && s.back() == '_')
    s = math_py_strip(s.substr(1, s.size() - 2));
  return s;
}

// One delimiter pair around the whole answer, when the pair occurs nowhere inside it.
std::string strip_delimiters(const std::string& s) {
  static constexpr std::string_view kPairs[][2] = {
      {"\\(", "\\)"}, {"\\[", "\\]"}, {"$$", "$$"}, {"$", "$"}};
  for (const auto& [open, close] : kPairs) {
    if (s.size() < open.size() + close.size() || !s.starts_with(open) || !s.ends_with(close)) {
      continue;
    }
    const std::string_view inner(s.data() + open.size(), s.size() - open.size() - close.size());
    // "$5\$" ends in an escaped dollar, and "$5$;$10$" holds several pairs: both stay.
    if (inner.find(open) != std::string_view::npos || inner.find(close) != std::string_view::npos ||
        inner.ends_with('\\')) {
      continue;
    }
    return math_py_strip(inner);
  }
  return s;
}

// The end of the bracket group opening at s[i] ('(' or '{'), or npos when it never closes.
size_t group_end(std::string_view s, size_t i) {
  const char open = s[i], close = open == '(' ? ')' : '}';
  int depth = 0;
  for (size_t j = i; j < s.size(); ++j) {
    if (s[j] == open) ++depth;
    if (s[j] == close && --depth == 0) return j;
  }
  return std::string_view::npos;
}

// √N, √(…), √{…} -> \sqrt{…} (N: a number or one letter); π -> \pi, with a space
// before a following letter ("2πr" -> "2\pi r", not the unknown "\pir").
std::string unicode_math(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size();) {
    if (s.substr(i).starts_with(kPi)) {
      i += kPi.size();
      const bool letter = i < s.size() && std::isalpha(static_cast<unsigned char>(s[i]));
      out += letter ? "\\pi " : "\\pi";
      continue;
    }
    if (!s.substr(i).starts_with(kSqrt)) {
      const size_t n = math_utf8_char_bytes(s, i);
      out += s.substr(i, n);
      i += n;
      continue;
    }
    i += kSqrt.size();
    while (i < s.size() && s[i] == ' ') ++i;
    size_t end = i < s.size() && (s[i] == '(' || s[i] == '{') ? group_end(s, i) : i;
    if (end != i && end != std::string_view::npos) {
      out += "\\sqrt{" + unicode_math(s.substr(i + 1, end - i - 1)) + "}";
      i = end + 1;
      continue;
    }
    // A number ("11√2", "√2.5") or one letter ("√x"); "√3x" is \sqrt{3}x, as it reads.
    end = i;
    while (end < s.size() && (std::isdigit(static_cast<unsigned char>(s[end])) || s[end] == '.')) {
      ++end;
    }
    if (end == i && i < s.size() && std::isalpha(static_cast<unsigned char>(s[i]))) end = i + 1;
    // NOTE: a √ before anything else ("√\frac{1}{2}") becomes a bare \sqrt, as TeX would read it.
    out += end > i ? "\\sqrt{" + std::string(s.substr(i, end - i)) + "}" : "\\sqrt";
    i = end;
  }
  return out;
}

}  // namespace

std::string math_answer_cleanup(std::string_view answer) {
  std::string s = math_py_strip(answer);
  bool period_removed = false;
  for (std::string before; before != s;) {
    before = s;
    s = strip_emphasis(std::move(s));
    // One sentence-final period ("Answer: 9."); an ellipsis ("1, 2, ...") is part of the answer.
    if (!period_removed && s.ends_with('.') && !s.ends_with("..")) {
      s.pop_back();
      period_removed = true;
    }
    s = strip_delimiters(math_py_strip(s));
  }
  return unicode_math(s);
}

}  // namespace moebench
