// Reasoning ("thinking") inside a model's text: `<think>...</think>` written inline by reasoning
// models (DeepSeek-R1, Qwen3), or opened by the chat template at the end of the prompt. One rule,
// used by scoring (the answer is what follows the thinking), by the builtin engine and the API
// client (stop strings do not fire inside the thinking) and by the strip_think filter.
#pragma once

#include <string>

namespace moebench {

inline constexpr const char* kThinkOpen = "<think>";
inline constexpr const char* kThinkClose = "</think>";

struct ThinkingSplit {
  std::string answer;    // the text with every thinking span removed, whitespace-stripped
  std::string thinking;  // the removed spans' contents, joined by "\n"
  bool has_thinking = false;
  bool open = false;  // a span was still open at the end: the text stopped while thinking
};

// Removes reasoning: text before a `</think>` that has no opening tag (a template put `<think>`
// in the prompt; also when `starts_in_thinking`), every `<think>...</think>` block, and an
// unclosed `<think>` to the end.
ThinkingSplit thinking_split(const std::string& text, bool starts_in_thinking = false);

// Where the answer part of `text` starts: 0 without thinking, the end of the first `</think>`
// when the text opens with thinking (leading whitespace allowed before `<think>`, or
// `starts_in_thinking`), npos while that thinking is still open. Stop strings are looked for
// only from there.
size_t thinking_answer_start(const std::string& text, bool starts_in_thinking);

// True when a chat prompt ends inside an opened thinking span (the template appended `<think>`).
bool thinking_prompt_opens(const std::string& prompt);

}  // namespace moebench
