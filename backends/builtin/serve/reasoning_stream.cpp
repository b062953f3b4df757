// ReasoningStream (reasoning_stream.h).
#include "backends/builtin/serve/reasoning_stream.h"

#include <string_view>

#include "common/thinking.h"

namespace moebench {
namespace {

bool space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// The length of the longest suffix of `text` that is a proper prefix of `tag` (a tag that may be
// completed by the next piece).
size_t partial_tag(const std::string& text, std::string_view tag) {
  for (size_t n = std::min(text.size(), tag.size() - 1); n > 0; --n) {
    if (std::string_view(text).substr(text.size() - n) == tag.substr(0, n)) return n;
  }
  return 0;
}

}  // namespace

void ReasoningStream::emit_content(std::string text, Delta* out) {
  if (!content_started_) {
    size_t b = 0;
    while (b < text.size() && space(text[b])) ++b;
    text.erase(0, b);
    content_started_ = !text.empty();
  }
  out->content += text;
}

ReasoningStream::Delta ReasoningStream::feed(const std::string& piece) {
  Delta out;
  held_ += piece;
  if (state_ == State::kUndecided) {
    size_t b = 0;
    while (b < held_.size() && space(held_[b])) ++b;
    const std::string_view rest = std::string_view(held_).substr(b);
    const std::string_view open(kThinkOpen);
    if (rest.size() < open.size() && open.substr(0, rest.size()) == rest) return out;  // maybe
    if (rest.substr(0, open.size()) == open) {
      state_ = State::kThinking;
      had_thinking_ = true;
      held_.erase(0, b + open.size());
    } else {
      state_ = State::kContent;
      out.content = std::move(held_);  // no thinking: the text as it is
      content_started_ = true;
      held_.clear();
      return out;
    }
  }
  if (state_ == State::kThinking) {
    const size_t close = held_.find(kThinkClose);
    if (close == std::string::npos) {
      const size_t keep = partial_tag(held_, kThinkClose);
      out.reasoning = held_.substr(0, held_.size() - keep);
      held_.erase(0, held_.size() - keep);
      return out;
    }
    out.reasoning = held_.substr(0, close);
    std::string rest = held_.substr(close + std::string_view(kThinkClose).size());
    held_.clear();
    state_ = State::kContent;
    emit_content(std::move(rest), &out);
    return out;
  }
  std::string text = std::move(held_);
  held_.clear();
  emit_content(std::move(text), &out);
  return out;
}

ReasoningStream::Delta ReasoningStream::finish() {
  Delta out;
  if (state_ == State::kThinking) {
    out.reasoning = std::move(held_);
  } else {
    out.content = std::move(held_);  // undecided: a bare prefix of "<think>" is content
  }
  held_.clear();
  return out;
}

}  // namespace moebench
