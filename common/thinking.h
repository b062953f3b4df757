// Reasoning ("thinking") inside a model's text: `<think>...</think>` written inline by reasoning
// models (DeepSeek-R1, Qwen3), or opened by the chat template at the end of the prompt. One rule,
// used by scoring (the answer is what follows the thinking), by the builtin engine and the API
// client (stop strings do not fire inside the thinking) and by the strip_think filter.
#pragma once

#include <string>
#include <string_view>

namespace moebench {

inline constexpr const char* kThinkOpen = "<think>";
inline constexpr const char* kThinkClose = "</think>";

struct ThinkingSplit {
  std::string answer;    // the text with every thinking span removed, whitespace-stripped
  std::string thinking;  // the removed spans' contents (tags left out), joined by "\n"
  bool has_thinking = false;
  bool open = false;  // a span was still open at the end: the text stopped while thinking
};

// Where the answer lies in a text: [begin, end). begin is npos while the text has no answer yet (it
// is thinking, or only whitespace came before a `<think>`).
struct AnswerSpan {
  size_t begin = 0, end = 0;
};

// The rule. Everything before the last `</think>` is thinking: the model was thinking until it
// closed it, whether a template opened it (`starts_in_thinking`, or a lone `</think>`), a `<think>`
// not at the start did, or tags nested or repeated. The answer follows it, up to a `<think>` that
// opens thinking again to the end. Without any `</think>` the answer is what precedes the first
// `<think>`, or nothing when `starts_in_thinking`.
AnswerSpan thinking_answer_span(const std::string& text, bool starts_in_thinking);

// Where a generation's text leaves the thinking a template opened: just past a `</think>` that
// comes before any `<think>`, else 0. Stop strings that stand in for a server's are looked for
// from there in order, skipping `<think>` spans (thinking_span_end), and the first one cuts
// whatever follows: a generation that went on into an invented turn with thinking of its own
// stops where a server would have stopped it, before that turn.
size_t thinking_template_end(const std::string& text);

// The end of the `<think>` span opening at `open_at` (just past its balancing `</think>`; nested
// tags counted), or npos when it never closes.
size_t thinking_span_end(const std::string& text, size_t open_at);

// The text split by that rule: the answer (stripped, holding no tag) and the thinking.
ThinkingSplit thinking_split(const std::string& text, bool starts_in_thinking = false);

// True when `text` holds only ASCII whitespace: an empty thinking (Qwen3's `<think>\n\n</think>`,
// which counts as no thinking) or no answer.
bool thinking_blank(std::string_view text);

// For a streaming scanner: +1 when `<think>` starts at `at`, -1 for `</think>`, 2 when the text
// ends there in a proper prefix of one (it may still become a tag), else 0.
int thinking_tag_at(std::string_view text, size_t at);

// True when a chat prompt ends inside an opened thinking span (the template appended `<think>`).
bool thinking_prompt_opens(const std::string& prompt);

}  // namespace moebench
