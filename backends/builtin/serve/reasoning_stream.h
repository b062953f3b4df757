// `moebench serve`'s reasoning split: a chat generation's text into the reasoning and the content
// DeepSeek's API returns apart (`reasoning_content`, then `content`), by common/thinking's rule.
// A whole response is split as thinking_split splits it (reasoning_split). A stream gives each
// piece out as soon as the rule places it: thinking the template opened, or a `<think>` after only
// whitespace opened, goes to reasoning until its balancing `</think>` (nested tags counted; more
// spans after only whitespace join it); what follows, stripped, is the content. The rule puts text
// before a later `</think>` in the thinking, which a stream cannot see coming: text streamed as
// content that a tag then follows (a preamble before `<think>`, an answer before another span)
// stays content, and the rest goes out as it is, tags and all, so a client that splits the content
// by the rule (moebench does) still gets the whole text's answer. A tag split over pieces is held
// back until it is whole.
#pragma once

#include <string>
#include <string_view>

namespace moebench {

class ReasoningStream {
 public:
  explicit ReasoningStream(bool starts_in_thinking)
      : state_(starts_in_thinking ? State::kThinking : State::kUndecided),
        depth_(starts_in_thinking ? 1 : 0) {}

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
  // kUndecided: only whitespace yet; kAnswer: after the thinking, no content yet or content with
  // no tag after it; kRaw: the rest as it is (no thinking first, or a tag after content).
  enum class State { kUndecided, kThinking, kAnswer, kRaw };
  State state_;
  int depth_;     // `<think>` spans open
  int tags_ = 0;  // tags seen: each ends a piece of thinking, as thinking_split counts them
  bool had_thinking_ = state_ == State::kThinking;
  bool content_started_ = false;  // non-blank content went out
  bool any_reasoning_ = false;    // reasoning went out: "\n" before the next piece
  bool piece_started_ = false;    // the thinking piece now holds more than whitespace
  std::string blank_;             // whitespace not placed yet (a piece's, or the content's end)
  std::string alone_;             // a blank first piece, kept while it is the only one
  std::string held_;              // a partial tag at the end
  void text(std::string_view t, Delta* out);
  void tag(bool open, Delta* out);
  void reason(std::string_view t, Delta* out);
  void emit_alone(Delta* out);
};

// A whole chat response split as thinking_split splits it: the answer as content (the text as it
// is when it has no thinking), the thinking as reasoning.
ReasoningStream::Delta reasoning_split(const std::string& text, bool starts_in_thinking,
                                       bool* had_thinking);

}  // namespace moebench
