// thinking_split and where the answer starts (common/thinking.h).
#include "common/thinking.h"

#include <string_view>

namespace moebench {
namespace {

// Python's str.isspace() set (bidi WS/B/S or category Zs), so the strip matches `.strip()`.
bool py_is_space(char32_t c) {
  return (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20) || c == 0x85 || c == 0xa0 ||
         c == 0x1680 || (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f ||
         c == 0x205f || c == 0x3000;
}

char32_t utf8_at(const std::string& s, size_t i, size_t* len) {
  unsigned char c = s[i];
  int n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
  if (i + n > s.size()) n = 1;
  char32_t cp = n == 1 ? c : n == 2 ? (c & 0x1f) : n == 3 ? (c & 0x0f) : (c & 0x07);
  for (int k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3f);
  *len = n;
  return cp;
}

std::string py_strip(const std::string& s) {
  size_t b = 0, len = 0;
  while (b < s.size() && py_is_space(utf8_at(s, b, &len))) b += len;
  size_t e = s.size();
  while (e > b) {
    size_t p = e - 1;
    while (p > b && (static_cast<unsigned char>(s[p]) & 0xc0) == 0x80) --p;
    if (!py_is_space(utf8_at(s, p, &len)) || p + len != e) break;
    e = p;
  }
  return s.substr(b, e - b);
}

bool ascii_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

void add_thinking(ThinkingSplit* out, const std::string& span) {
  if (out->has_thinking) out->thinking += "\n";
  out->thinking += span;
  out->has_thinking = true;
}

}  // namespace

ThinkingSplit thinking_split(const std::string& text, bool starts_in_thinking) {
  const std::string open_tag = kThinkOpen, close_tag = kThinkClose;
  ThinkingSplit out;
  std::string s = text;
  size_t close = s.find(close_tag), open = s.find(open_tag);
  if (starts_in_thinking && close == std::string::npos) {
    add_thinking(&out, s);
    out.open = true;
    return out;
  }
  if (close != std::string::npos &&
      (starts_in_thinking || open == std::string::npos || close < open)) {
    add_thinking(&out, s.substr(0, close));
    s.erase(0, close + close_tag.size());
  }
  while ((open = s.find(open_tag)) != std::string::npos) {
    close = s.find(close_tag, open);
    const size_t body = open + open_tag.size();
    if (close == std::string::npos) {
      add_thinking(&out, s.substr(body));
      out.open = true;
      s.erase(open);
      break;
    }
    add_thinking(&out, s.substr(body, close - body));
    s.erase(open, close + close_tag.size() - open);
  }
  out.answer = py_strip(s);
  return out;
}

size_t thinking_answer_start(const std::string& text, bool starts_in_thinking) {
  size_t from = 0;
  if (!starts_in_thinking) {
    while (from < text.size() && ascii_space(text[from])) ++from;
    if (text.compare(from, std::string_view(kThinkOpen).size(), kThinkOpen) != 0) {
      // Not (yet) a thinking opening: while the text is a prefix of "<think>" it may become one.
      const std::string_view rest(text.data() + from, text.size() - from);
      return std::string_view(kThinkOpen).substr(0, rest.size()) == rest && !rest.empty()
                 ? std::string::npos
                 : 0;
    }
  }
  const size_t close = text.find(kThinkClose, from);
  return close == std::string::npos ? std::string::npos
                                    : close + std::string_view(kThinkClose).size();
}

bool thinking_prompt_opens(const std::string& prompt) {
  size_t e = prompt.size();
  while (e > 0 && ascii_space(prompt[e - 1])) --e;
  const std::string_view open(kThinkOpen);
  return e >= open.size() && prompt.compare(e - open.size(), open.size(), open) == 0;
}

}  // namespace moebench
