// Python's str.strip() / isspace() over UTF-8 (common/py_text.h).
#include "common/py_text.h"

namespace moebench {

bool py_is_space(char32_t c) {
  return (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20) || c == 0x85 || c == 0xa0 ||
         c == 0x1680 || (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f ||
         c == 0x205f || c == 0x3000;
}

size_t utf8_len(unsigned char c) {
  return c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
}

char32_t utf8_at(std::string_view s, size_t i, size_t* len) {
  const unsigned char c = s[i];
  size_t n = utf8_len(c);
  if (i + n > s.size()) n = 1;
  char32_t cp = n == 1 ? c : n == 2 ? (c & 0x1f) : n == 3 ? (c & 0x0f) : (c & 0x07);
  for (size_t k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3f);
  *len = n;
  return cp;
}

std::string py_strip(std::string_view s) {
  size_t b = 0, len = 0;
  while (b < s.size() && py_is_space(utf8_at(s, b, &len))) b += len;
  size_t e = s.size();
  while (e > b) {
    size_t p = e - 1;
    while (p > b && (static_cast<unsigned char>(s[p]) & 0xc0) == 0x80) --p;
    if (!py_is_space(utf8_at(s, p, &len)) || p + len != e) break;
    e = p;
  }
  return std::string(s.substr(b, e - b));
}

}  // namespace moebench
