// thinking_answer_span and thinking_split (common/thinking.h).
#include "common/thinking.h"

#include <algorithm>
#include <string_view>
#include <vector>

#include "common/py_text.h"

namespace moebench {
namespace {

bool ascii_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

void add_thinking(ThinkingSplit* out, std::string_view span) {
  if (!out->thinking.empty() && !span.empty()) out->thinking += "\n";
  out->thinking += span;
  out->has_thinking = true;
}

// The thinking before the last `</think>`: the pieces between tags, blank ones left out when
// there are several (one alone is kept as it is).
void add_tagged(ThinkingSplit* out, std::string_view text) {
  const std::string_view open(kThinkOpen), close(kThinkClose);
  std::vector<std::string_view> pieces;
  for (size_t from = 0;;) {
    const size_t o = text.find(open, from), c = text.find(close, from), at = std::min(o, c);
    pieces.push_back(text.substr(from, at == std::string_view::npos ? at : at - from));
    if (at == std::string_view::npos) break;
    from = at + (at == o ? open.size() : close.size());
  }
  for (std::string_view p : pieces) {
    if (pieces.size() == 1 || !thinking_blank(p)) add_thinking(out, p);
  }
  out->has_thinking = true;
}

}  // namespace

AnswerSpan thinking_answer_span(const std::string& text, bool starts_in_thinking) {
  const std::string_view open(kThinkOpen), close(kThinkClose);
  const size_t last_close = text.rfind(close);
  if (last_close == std::string::npos && starts_in_thinking) return {std::string::npos, 0};
  const size_t begin = last_close == std::string::npos ? 0 : last_close + close.size();
  const size_t reopen = text.find(open, begin);
  if (reopen == std::string::npos) return {begin, text.size()};
  // Only whitespace before thinking opened again: no answer yet.
  if (thinking_blank(std::string_view(text).substr(begin, reopen - begin)))
    return {std::string::npos, 0};
  return {begin, reopen};
}

ThinkingSplit thinking_split(const std::string& text, bool starts_in_thinking) {
  const std::string_view all(text), open(kThinkOpen);
  ThinkingSplit out;
  const size_t last_close = text.rfind(kThinkClose);
  const size_t after =
      last_close == std::string::npos ? 0 : last_close + std::string_view(kThinkClose).size();
  if (last_close != std::string::npos) add_tagged(&out, all.substr(0, last_close));
  if (last_close == std::string::npos && starts_in_thinking) {
    add_thinking(&out, all);
    out.open = true;
    return out;
  }
  const AnswerSpan span = thinking_answer_span(text, starts_in_thinking);
  const size_t reopen = text.find(open, after);
  if (reopen != std::string::npos) {
    add_thinking(&out, all.substr(reopen + open.size()));
    out.open = true;
  }
  if (span.begin != std::string::npos)
    out.answer = py_strip(all.substr(span.begin, span.end - span.begin));
  return out;
}

size_t thinking_span_end(const std::string& text, size_t open_at) {
  const std::string_view open(kThinkOpen), close(kThinkClose);
  int depth = 0;
  for (size_t at = open_at; at != std::string::npos;) {
    const size_t o = text.find(open, at), c = text.find(close, at);
    if (c == std::string::npos) return std::string::npos;
    if (o < c) {
      ++depth;
      at = o + open.size();
      continue;
    }
    at = c + close.size();
    if (--depth <= 0) return at;
  }
  return std::string::npos;
}

size_t thinking_template_end(const std::string& text) {
  const size_t o = text.find(kThinkOpen), c = text.find(kThinkClose);
  return c != std::string::npos && c < o ? c + std::string_view(kThinkClose).size() : 0;
}

bool thinking_prompt_opens(const std::string& prompt) {
  size_t e = prompt.size();
  while (e > 0 && ascii_space(prompt[e - 1])) --e;
  const std::string_view open(kThinkOpen);
  return e >= open.size() && prompt.compare(e - open.size(), open.size(), open) == 0;
}

int thinking_tag_at(std::string_view text, size_t at) {
  const std::string_view rest = text.substr(at);
  for (std::string_view tag : {std::string_view(kThinkOpen), std::string_view(kThinkClose)}) {
    if (rest.substr(0, tag.size()) == tag) return tag == kThinkOpen ? 1 : -1;
    if (rest.size() < tag.size() && tag.substr(0, rest.size()) == rest) return 2;
  }
  return 0;
}

bool thinking_blank(std::string_view text) {
  for (char c : text)
    if (!ascii_space(c)) return false;
  return true;
}

}  // namespace moebench
