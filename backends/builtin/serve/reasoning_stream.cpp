// ReasoningStream (reasoning_stream.h).
#include "backends/builtin/serve/reasoning_stream.h"

#include "common/thinking.h"

namespace moebench {
namespace {

constexpr const char* kSpace = " \t\r\n";

}  // namespace

// Thinking text. As thinking_split joins them, pieces go out joined by "\n", and a piece's
// whitespace waits for its first other character (a blank piece among several is left out).
void ReasoningStream::reason(std::string_view t, Delta* out) {
  if (!piece_started_) {
    blank_ += t;
    if (thinking_blank(blank_)) return;
    t = blank_;
    piece_started_ = true;
    if (any_reasoning_) out->reasoning += "\n";
  }
  out->reasoning += t;
  any_reasoning_ = true;
  if (t.data() == blank_.data()) blank_.clear();
}

// A blank first piece that stayed the only one: the thinking, kept as it is.
void ReasoningStream::emit_alone(Delta* out) {
  if (!alone_.empty()) out->reasoning += alone_;
  any_reasoning_ |= !alone_.empty();
  alone_.clear();
}

void ReasoningStream::text(std::string_view t, Delta* out) {
  if (t.empty()) return;
  switch (state_) {
    case State::kUndecided:
      blank_ += t;
      if (thinking_blank(blank_)) return;
      state_ = State::kRaw;  // no thinking first: the text as it is
      out->content += blank_;
      blank_.clear();
      return;
    case State::kThinking:
      reason(t, out);
      return;
    case State::kRaw:
      out->content += t;
      return;
    case State::kAnswer:
      break;
  }
  // The answer, stripped: its leading whitespace dropped, its trailing whitespace held.
  std::string s = blank_ + std::string(t);
  blank_.clear();
  if (!content_started_) {
    const size_t first = s.find_first_not_of(kSpace);
    if (first == std::string::npos) return;
    s.erase(0, first);
    content_started_ = true;
    emit_alone(out);
  }
  const size_t last = s.find_last_not_of(kSpace);
  out->content += s.substr(0, last + 1);
  blank_ = s.substr(last + 1);
}

void ReasoningStream::tag(bool open, Delta* out) {
  if (state_ == State::kRaw || (state_ == State::kAnswer && content_started_)) {
    // A tag after content: the rest goes out as it is, for the client to split by the rule.
    state_ = State::kRaw;
    out->content += blank_ + (open ? kThinkOpen : kThinkClose);
    blank_.clear();
    return;
  }
  had_thinking_ = true;
  // The piece this tag ends: a blank one is left out, unless it is the only one (so far).
  alone_ = tags_++ == 0 && !open && !piece_started_ ? blank_ : "";
  blank_.clear();
  piece_started_ = false;
  if (state_ == State::kThinking) {
    depth_ += open ? 1 : -1;
  } else if (open) {
    depth_ = 1;  // thinking opens (again) after only whitespace
  }
  state_ = depth_ > 0 ? State::kThinking : State::kAnswer;
}

ReasoningStream::Delta ReasoningStream::feed(const std::string& piece) {
  Delta out;
  held_ += piece;
  const std::string_view all(held_);
  size_t from = 0;
  for (size_t at = 0;;) {
    at = all.find('<', at);
    const int t = at == std::string_view::npos ? 0 : thinking_tag_at(all, at);
    if (at == std::string_view::npos || t == 2) {
      const size_t end = at == std::string_view::npos ? all.size() : at;
      text(all.substr(from, end - from), &out);
      held_.erase(0, end);  // a partial tag waits for the next piece
      return out;
    }
    if (t == 0) {
      ++at;
      continue;
    }
    text(all.substr(from, at - from), &out);
    tag(t > 0, &out);
    at += std::string_view(t > 0 ? kThinkOpen : kThinkClose).size();
    from = at;
  }
}

ReasoningStream::Delta ReasoningStream::finish() {
  Delta out;
  std::string rest;
  rest.swap(held_);
  text(rest, &out);  // a partial tag at the end is text
  if (state_ == State::kThinking && !blank_.empty()) {
    piece_started_ = false;  // a blank open thinking is kept as it is
    const std::string b = std::move(blank_);
    blank_.clear();
    if (any_reasoning_) out.reasoning += "\n";
    out.reasoning += b;
  } else if (state_ == State::kAnswer && !content_started_) {
    emit_alone(&out);
  } else if (state_ == State::kUndecided) {
    out.content += blank_;  // whitespace only: the text as it is
  }
  blank_.clear();
  return out;
}

ReasoningStream::Delta reasoning_split(const std::string& text, bool starts_in_thinking,
                                       bool* had_thinking) {
  ThinkingSplit split = thinking_split(text, starts_in_thinking);
  *had_thinking = split.has_thinking;
  if (!split.has_thinking) return {"", text};
  return {std::move(split.thinking), std::move(split.answer)};
}

}  // namespace moebench
