// The text helpers of the template language (template.h): a value as tag output, Python's
// str.strip(), and the last \boxed{...} of a text.
#include <string>
#include <string_view>

#include "tasks/src/template.h"

namespace moebench {

using nlohmann::json;

void template_append_value(std::string& out, const json& v) {
  switch (v.type()) {
    case json::value_t::string:
      out += v.get_ref<const std::string&>();
      break;
    case json::value_t::null:
      break;
    case json::value_t::boolean:
      out += v.get<bool>() ? "true" : "false";
      break;
    case json::value_t::number_integer:
      out += std::to_string(v.get<long long>());
      break;
    case json::value_t::number_unsigned:
      out += std::to_string(v.get<unsigned long long>());
      break;
    default:
      out += v.dump();
  }
}

namespace {

// Byte length of the Unicode whitespace code point at s[i], or 0 (the set str.isspace() uses).
size_t space_len(std::string_view s, size_t i) {
  unsigned char c = s[i];
  if (c == ' ' || (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x1f)) return 1;
  auto at = [&](size_t k) { return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0; };
  if (c == 0xc2 && (at(1) == 0x85 || at(1) == 0xa0)) return 2;
  if (c == 0xe1 && at(1) == 0x9a && at(2) == 0x80) return 3;  // U+1680
  if (c == 0xe2 && at(1) == 0x80 &&
      (at(2) <= 0x8a || at(2) == 0xa8 || at(2) == 0xa9 || at(2) == 0xaf)) {
    return at(2) >= 0x80 ? 3 : 0;  // U+2000..200A, 2028, 2029, 202F
  }
  if (c == 0xe2 && at(1) == 0x81 && at(2) == 0x9f) return 3;  // U+205F
  if (c == 0xe3 && at(1) == 0x80 && at(2) == 0x80) return 3;  // U+3000
  return 0;
}

}  // namespace

std::string_view template_py_strip(std::string_view s) {
  size_t b = 0;
  for (size_t n; b < s.size() && (n = space_len(s, b)) > 0;) b += n;
  size_t e = s.size();
  while (e > b) {
    // Step back over one code point and test it.
    size_t start = e - 1;
    while (start > b && (static_cast<unsigned char>(s[start]) & 0xc0) == 0x80) --start;
    if (space_len(s, start) != e - start) break;
    e = start;
  }
  return s.substr(b, e - b);
}

std::string template_last_boxed(std::string_view s) {
  size_t sp = s.rfind("\\boxed ");
  if (sp != std::string_view::npos && s.find("\\boxed ") != std::string_view::npos) {
    std::string_view rest = s.substr(sp + 7);
    return std::string(rest.substr(0, rest.find('$')));
  }
  size_t idx = s.rfind("\\boxed");
  size_t skip = 6;
  if (idx == std::string_view::npos) {
    idx = s.rfind("\\fbox");
    skip = 5;
    if (idx == std::string_view::npos) return "";
  }
  int depth = 0;
  for (size_t i = idx; i < s.size(); ++i) {
    if (s[i] == '{') ++depth;
    if (s[i] == '}' && --depth == 0) {
      size_t open = idx + skip;
      if (open >= s.size() || s[open] != '{') return "";
      return std::string(s.substr(open + 1, i - open - 1));
    }
  }
  return "";
}

}  // namespace moebench
