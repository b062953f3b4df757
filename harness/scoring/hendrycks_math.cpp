// hendrycks_math answer extraction, strip_string and is_equiv (lm-eval hendrycks_math utils),
// ported step for step; tests/math/reference_math.py is the Python it is checked against.
#include "harness/scoring/hendrycks_math.h"

#include <vector>

#include "harness/scoring/math_normalize.h"

namespace moebench {
namespace {

// The first code point of s ("" when empty) and the rest.
std::string_view first_char(std::string_view s) {
  return s.empty() ? s : s.substr(0, math_utf8_char_bytes(s, 0));
}

// fix_fracs: `\frac12` -> `\frac{1}{2}`, `\frac1{72}` -> `\frac{1}{72}`. The Python indexes
// code points; an empty piece after `\frac` raises (IndexError).
std::optional<std::string> fix_fracs(const std::string& s) {
  std::vector<std::string> pieces = math_split(s, "\\frac");
  std::string out = pieces[0];
  for (size_t p = 1; p < pieces.size(); ++p) {
    const std::string& piece = pieces[p];
    out += "\\frac";
    if (piece.empty()) return std::nullopt;
    if (piece[0] == '{') {
      out += piece;
      continue;
    }
    if (math_utf8_length(piece) < 2) return s;
    std::string_view a = first_char(piece);
    std::string_view rest = std::string_view(piece).substr(a.size());
    std::string_view b = first_char(rest);
    std::string_view post = rest.substr(b.size());
    if (b != "{") {
      out += "{" + std::string(a) + "}{" + std::string(b) + "}" + std::string(post);
    } else {
      out += "{" + std::string(a) + "}" + std::string(b) + std::string(post);
    }
  }
  return out;
}

bool is_ascii_digit(char c) { return c >= '0' && c <= '9'; }

// Whether Python's int(s) accepts s: surrounding whitespace, a sign, digits with single `_`
// between them. NOTE: only ASCII digits are recognised; int() also takes other Unicode decimal
// digits, which a model writing `a/b` does not use.
bool py_int_parses(std::string_view s) {
  std::string t = math_py_strip(s);
  size_t i = (!t.empty() && (t[0] == '+' || t[0] == '-')) ? 1 : 0;
  if (i >= t.size() || !is_ascii_digit(t[i])) return false;
  for (; i < t.size(); ++i) {
    if (is_ascii_digit(t[i])) continue;
    if (t[i] == '_' && i + 1 < t.size() && is_ascii_digit(t[i + 1])) continue;
    return false;
  }
  return true;
}

// Whether str(int(s)) == s, i.e. s is already the canonical spelling of an integer.
bool is_canonical_int(std::string_view s) {
  bool negative = s.starts_with('-');
  if (negative) s.remove_prefix(1);
  if (s.empty() || (s[0] == '0' && (s.size() > 1 || negative))) return false;  // "01", "-0"
  for (char c : s) {
    if (!is_ascii_digit(c)) return false;
  }
  return true;
}

// fix_a_slash_b: `3/4` -> `\frac{3}{4}`; int() raising ValueError escapes the function.
std::optional<std::string> fix_a_slash_b(const std::string& s) {
  std::vector<std::string> parts = math_split(s, "/");
  if (parts.size() != 2) return s;
  if (!py_int_parses(parts[0]) || !py_int_parses(parts[1])) return std::nullopt;
  // The Python asserts s == f"{int(a)}/{int(b)}" and keeps s when that fails ("03/4", "+3/4").
  if (!is_canonical_int(parts[0]) || !is_canonical_int(parts[1])) return s;
  return "\\frac{" + parts[0] + "}{" + parts[1] + "}";
}

// remove_right_units: everything before `\text{ `; more than one occurrence raises.
std::optional<std::string> remove_right_units(const std::string& s) {
  if (s.find("\\text{ ") == std::string::npos) return s;
  std::vector<std::string> parts = math_split(s, "\\text{ ");
  if (parts.size() != 2) return std::nullopt;
  return parts[0];
}

// fix_sqrt: `\sqrt3` -> `\sqrt{3}`; a `\sqrt` with nothing after it raises (IndexError).
std::optional<std::string> fix_sqrt(const std::string& s) {
  if (s.find("\\sqrt") == std::string::npos) return s;
  std::vector<std::string> parts = math_split(s, "\\sqrt");
  std::string out = parts[0];
  for (size_t p = 1; p < parts.size(); ++p) {
    const std::string& piece = parts[p];
    if (piece.empty()) return std::nullopt;
    if (piece[0] != '{') {
      std::string_view a = first_char(piece);
      out += "\\sqrt{" + std::string(a) + "}" + piece.substr(a.size());
    } else {
      out += "\\sqrt" + piece;
    }
  }
  return out;
}

}  // namespace

std::string hendrycks_extract_answer(std::string_view response) {
  size_t first = response.find('$');
  size_t last = response.rfind('$');
  if (first == std::string_view::npos || first == last) return std::string(response);
  return std::string(response.substr(first + 1, last - first - 1));
}

std::optional<std::string> hendrycks_strip_string(std::string_view in) {
  std::string s = math_replace_all(in, "\n", "");
  s = math_replace_all(s, "\\!", "");
  s = math_replace_all(s, "\\\\", "\\");
  s = math_replace_all(s, "tfrac", "frac");
  s = math_replace_all(s, "dfrac", "frac");
  s = math_replace_all(s, "\\left", "");
  s = math_replace_all(s, "\\right", "");
  s = math_replace_all(s, "^{\\circ}", "");
  s = math_replace_all(s, "^\\circ", "");
  s = math_replace_all(s, "\\$", "");
  std::optional<std::string> units = remove_right_units(s);
  if (!units) return std::nullopt;
  // The Python removes "\\%" and then "\%" (the same two characters): twice, as here.
  s = math_replace_all(*units, "\\%", "");
  s = math_replace_all(s, "\\%", "");
  s = math_replace_all(s, " .", " 0.");
  s = math_replace_all(s, "{.", "{0.");
  if (s.empty()) return s;
  if (s[0] == '.') s = "0" + s;
  std::vector<std::string> eq = math_split(s, "=");
  if (eq.size() == 2 && math_utf8_length(eq[0]) <= 2) s = eq[1];
  std::optional<std::string> sqrt_fixed = fix_sqrt(s);
  if (!sqrt_fixed) return std::nullopt;
  s = math_replace_all(*sqrt_fixed, " ", "");
  std::optional<std::string> frac_fixed = fix_fracs(s);
  if (!frac_fixed) return std::nullopt;
  s = *frac_fixed;
  if (s == "0.5") s = "\\frac{1}{2}";
  return fix_a_slash_b(s);
}

bool hendrycks_is_equiv(std::string_view a, std::string_view b) {
  std::optional<std::string> sa = hendrycks_strip_string(a);
  std::optional<std::string> sb = hendrycks_strip_string(b);
  if (!sa || !sb) return a == b;
  return *sa == *sb;
}

}  // namespace moebench
