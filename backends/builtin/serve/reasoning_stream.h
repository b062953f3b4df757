// `moebench serve`'s reasoning split: a chat generation's text, as it streams, into the reasoning
// and the content DeepSeek's API returns apart (`reasoning_content`, then `content`). Thinking that
// the prompt opened (R1's template ends with "<think>\n") or that the text opens with "<think>"
// ends at "</think>"; what follows, leading whitespace dropped, is the content. A tag split over
// pieces is held back until it is whole, so a stream's deltas join to the whole response's split.
#pragma once

#include <string>

namespace moebench {

class ReasoningStream {
 public:
  explicit ReasoningStream(bool starts_in_thinking)
      : state_(starts_in_thinking ? State::kThinking : State::kUndecided) {}

  struct Delta {
    std::string reasoning, content;
  };
  // The text `piece` adds to each part (either may be empty while a tag is undecided).
  Delta feed(const std::string& piece);
  // What was held back, at the end of the generation (an unclosed thinking stays reasoning).
  Delta finish();
  // True once any thinking was seen: the response then carries reasoning_content.
  bool had_thinking() const { return had_thinking_; }

 private:
  enum class State { kUndecided, kThinking, kContent };
  State state_;
  bool had_thinking_ = state_ == State::kThinking;
  bool content_started_ = false;  // leading whitespace of the content is dropped
  std::string held_;              // text not yet given out
  void emit_content(std::string text, Delta* out);
};

}  // namespace moebench
