// minerva_math answer extraction and normalization (lm-eval minerva_math/utils.py), ported step
// for step; tests/math/reference_math.py is the Python it is checked against string for string.
#include "harness/scoring/math_normalize.h"

#include <utility>

#include "common/regex.h"

namespace moebench {
namespace {

// Decodes the code point at s[i] (a stray byte decodes as itself).
char32_t utf8_decode(std::string_view s, size_t i, size_t* len) {
  const auto c = static_cast<unsigned char>(s[i]);
  size_t n = math_utf8_char_bytes(s, i);
  *len = n;
  if (n == 1) return c;
  char32_t cp = c & (0xFF >> (n + 1));
  for (size_t k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  return cp;
}

bool py_isspace(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 ||
         c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
         c == 0x205F || c == 0x3000;
}

// NOTE: str.isdigit() is true for Unicode Numeric_Type Digit/Decimal. We cover ASCII, the
// super/subscript and circled digits and the common decimal scripts; a rarer script's digit is
// treated as a non-digit (it only matters for the "1,000" -> "1000" rule).
bool py_isdigit_cp(char32_t c) {
  static constexpr std::pair<char32_t, char32_t> kRanges[] = {
      {0x30, 0x39},     {0xB2, 0xB3},     {0xB9, 0xB9},     {0x660, 0x669},   {0x6F0, 0x6F9},
      {0x7C0, 0x7C9},   {0x966, 0x96F},   {0x9E6, 0x9EF},   {0xE50, 0xE59},   {0x1369, 0x1371},
      {0x2070, 0x2070}, {0x2074, 0x2079}, {0x2080, 0x2089}, {0x2460, 0x2468}, {0x2474, 0x247C},
      {0x2488, 0x2490}, {0x24EA, 0x24EA}, {0x24F5, 0x24FD}, {0x24FF, 0x24FF}, {0x2776, 0x277E},
      {0x2780, 0x2788}, {0x278A, 0x2792}, {0xFF10, 0xFF19}};
  for (const auto& [lo, hi] : kRanges) {
    if (c >= lo && c <= hi) return true;
  }
  return false;
}

}  // namespace

size_t math_utf8_char_bytes(std::string_view s, size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  size_t n = 1;
  if ((c >> 5) == 0x6) n = 2;
  if ((c >> 4) == 0xE) n = 3;
  if ((c >> 3) == 0x1E) n = 4;
  if (i + n > s.size()) return 1;
  for (size_t k = 1; k < n; ++k) {
    if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return 1;
  }
  return n;
}

size_t math_utf8_length(std::string_view s) {
  size_t n = 0;
  for (size_t i = 0; i < s.size(); i += math_utf8_char_bytes(s, i)) ++n;
  return n;
}

std::string math_replace_all(std::string_view s, std::string_view from, std::string_view to) {
  std::string out;
  size_t pos = 0;
  while (true) {
    size_t hit = s.find(from, pos);
    if (hit == std::string_view::npos) break;
    out.append(s.substr(pos, hit - pos));
    out.append(to);
    pos = hit + from.size();
  }
  out.append(s.substr(pos));
  return out;
}

std::vector<std::string> math_split(std::string_view s, std::string_view sep) {
  std::vector<std::string> parts;
  size_t pos = 0;
  while (true) {
    size_t hit = s.find(sep, pos);
    if (hit == std::string_view::npos) break;
    parts.emplace_back(s.substr(pos, hit - pos));
    pos = hit + sep.size();
  }
  parts.emplace_back(s.substr(pos));
  return parts;
}

std::string math_py_strip(std::string_view s) {
  size_t begin = 0;
  while (begin < s.size()) {
    size_t len = 0;
    if (!py_isspace(utf8_decode(s, begin, &len))) break;
    begin += len;
  }
  size_t end = begin;  // one past the last non-space code point
  for (size_t i = begin; i < s.size();) {
    size_t len = 0;
    bool space = py_isspace(utf8_decode(s, i, &len));
    i += len;
    if (!space) end = i;
  }
  return std::string(s.substr(begin, end - begin));
}

bool math_py_isdigit(std::string_view s) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size();) {
    size_t len = 0;
    if (!py_isdigit_cp(utf8_decode(s, i, &len))) return false;
    i += len;
  }
  return true;
}

std::optional<std::string> last_boxed_only_string(std::string_view s) {
  if (s.find("\\boxed ") != std::string_view::npos) {
    std::string tail = math_split(s, "\\boxed ").back();
    return "\\boxed " + tail.substr(0, tail.find('$'));
  }
  size_t idx = s.rfind("\\boxed");
  if (idx == std::string_view::npos) idx = s.rfind("\\fbox");
  if (idx == std::string_view::npos) return std::nullopt;
  int open = 0;
  for (size_t i = idx; i < s.size(); ++i) {
    if (s[i] == '{') ++open;
    if (s[i] == '}' && --open == 0) return std::string(s.substr(idx, i + 1 - idx));
  }
  return std::nullopt;
}

std::optional<std::string> remove_boxed(std::string_view s) {
  constexpr std::string_view kSpace = "\\boxed ";
  constexpr std::string_view kBrace = "\\boxed{";
  if (s.find(kSpace) != std::string_view::npos) {
    if (!s.starts_with(kSpace)) return std::nullopt;
    return std::string(s.substr(kSpace.size()));
  }
  if (!s.starts_with(kBrace) || !s.ends_with('}')) return std::nullopt;
  return std::string(s.substr(kBrace.size(), s.size() - kBrace.size() - 1));
}

std::string minerva_get_unnormalized_answer(std::string_view text) {
  static const Regex kFinal("Final Answer: The final answer is(.*?). I hope it is correct.");
  std::string full = std::string(text) + "I hope it is correct.";
  RegexMatch m;
  if (!kFinal.search(full, &m)) return kMinervaInvalidAnswer;
  return math_py_strip(m.group(full, 1));
}

std::string minerva_normalize_final_answer(std::string_view s, MinervaEquals equals) {
  // (before, after) pairs applied in order with str.replace, then the removed expressions.
  static const std::pair<std::string_view, std::string_view> kSubstitutions[] = {
      {"an ", ""},          {"a ", ""},
      {".$", "$"},          {"\\$", ""},
      {"\\ ", ""},          {" ", ""},
      {"mbox", "text"},     {",\\text{and}", ","},
      {"\\text{and}", ","}, {"\\text{m}", "\\text{}"}};
  static const std::string_view kRemoved[] = {"square",       "ways",
                                              "integers",     "dollars",
                                              "mph",          "inches",
                                              "ft",           "hours",
                                              "km",           "units",
                                              "\\ldots",      "sue",
                                              "points",       "feet",
                                              "minutes",      "digits",
                                              "cents",        "degrees",
                                              "cm",           "gm",
                                              "pounds",       "meters",
                                              "meals",        "edges",
                                              "students",     "childrentickets",
                                              "multiples",    "\\text{s}",
                                              "\\text{.}",    "\\text{\ns}",
                                              "\\text{}^2",   "\\text{}^3",
                                              "\\text{\n}",   "\\text{}",
                                              "\\mathrm{th}", "^\\circ",
                                              "^{\\circ}",    "\\;",
                                              ",\\!",         "{,}",
                                              "\"",           "\\dots"};
  // (pattern, Python replacement template), applied with re.sub in order.
  static const Regex kDollar("(.*?)(\\$)(.*?)(\\$)(.*)");
  static const Regex kText("(\\\\text\\{)(.*?)(\\})");
  static const Regex kTextbf("(\\\\textbf\\{)(.*?)(\\})");
  static const Regex kOverline("(\\\\overline\\{)(.*?)(\\})");
  static const Regex kBoxed("(\\\\boxed\\{)(.*)(\\})");
  static const Regex kFrac("(frac)([^{])(.)");
  static const Regex kSqrt("(sqrt)([^{])");

  std::string out = equals == MinervaEquals::kWhole ? std::string(s) : math_split(s, "=").back();
  for (const auto& [before, after] : kSubstitutions) out = math_replace_all(out, before, after);
  for (const auto& expr : kRemoved) out = math_replace_all(out, expr, "");

  out = kDollar.sub("$\\3$", out);
  out = kText.sub("\\2", out);
  out = kTextbf.sub("\\2", out);
  out = kOverline.sub("\\2", out);
  out = kBoxed.sub("\\2", out);

  out = kFrac.sub("frac{\\2}{\\3}", out);
  out = kSqrt.sub("sqrt{\\2}", out);
  out = math_replace_all(out, "$", "");

  std::string no_commas = math_replace_all(out, ",", "");
  if (math_py_isdigit(no_commas)) out = std::move(no_commas);
  return out;
}

}  // namespace moebench
