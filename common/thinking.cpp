// thinking_split and where the answer starts (common/thinking.h).
#include "common/thinking.h"

#include <string_view>

#include "common/py_text.h"

namespace moebench {
namespace {

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
