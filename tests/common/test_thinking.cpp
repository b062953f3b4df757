// common/thinking: the one rule for what is reasoning and what is the answer.
#include "common/py_text.h"
#include "common/thinking.h"
#include "tests/catch.h"

using moebench::thinking_split;

TEST_CASE("thinking: split, truncated thinking and prompts that open it", "[common][thinking]") {
  auto s = thinking_split("<think>Answer: C?</think>\n\nAnswer: B");
  CHECK(s.has_thinking);
  CHECK_FALSE(s.open);
  CHECK(s.thinking == "Answer: C?");
  CHECK(s.answer == "Answer: B");
  // The template put "<think>" in the prompt: everything before the first "</think>".
  s = thinking_split("let me see</think> 42 ");
  CHECK(s.thinking == "let me see");
  CHECK(s.answer == "42");
  // Cut off while thinking: no answer at all.
  s = thinking_split("<think>still going, Answer: A");
  CHECK(s.open);
  CHECK(s.answer.empty());
  CHECK(s.thinking == "still going, Answer: A");
  s = thinking_split("still going", true);
  CHECK(s.open);
  CHECK(s.answer.empty());
  // No thinking: the text stripped, as Python's str.strip() does.
  s = thinking_split("  Answer: D\n");
  CHECK_FALSE(s.has_thinking);
  CHECK(s.answer == "Answer: D");
  // Several blocks: everything before the last "</think>" was thinking.
  s = thinking_split("<think>a</think>x<think>b</think>y");
  CHECK(s.answer == "y");
  CHECK(s.thinking == "a\nx\nb");

  CHECK(moebench::thinking_prompt_opens("<|Assistant|><think>\n"));
  CHECK_FALSE(moebench::thinking_prompt_opens("<|Assistant|>"));
}

namespace {

// The answer part of `text` by thinking_answer_span ("" while there is none).
std::string answer_of(const std::string& text, bool starts_in_thinking = false) {
  const moebench::AnswerSpan a = moebench::thinking_answer_span(text, starts_in_thinking);
  return a.begin == std::string::npos ? "<none>" : text.substr(a.begin, a.end - a.begin);
}

}  // namespace

// Reviewer 85, F1: the API client's stop cut asked where the answer starts with a rule of its own,
// which took a text without a leading "<think>" for all answer.
TEST_CASE("thinking: where the answer lies is the split's answer", "[common][thinking]") {
  CHECK(answer_of("<think>a</think>b") == "b");
  CHECK(answer_of("<think>a") == "<none>");
  CHECK(answer_of("  <think>a") == "<none>");
  CHECK(answer_of("answer") == "answer");
  CHECK(answer_of("<thi") == "<thi");  // the whole text: no tag
  CHECK(answer_of("a</think>b", true) == "b");
  CHECK(answer_of("still", true) == "<none>");
  // Template-opened: text before a lone "</think>" is thinking.
  CHECK(answer_of("Hmm. Question: 999?\n</think>\n\n#### 100") == "\n\n#### 100");
  // A block not at the start is thinking, and so is what came before it.
  CHECK(answer_of("Let me see.\n<think>Question: 7?</think>\n#### -7") == "\n#### -7");
  // An answer, then thinking opened again to the end: the answer stops at "<think>".
  CHECK(answer_of("Answer: 5 <think>Question: x") == "Answer: 5 ");
  CHECK(answer_of("<think>a</think>\n\n<think>b") == "<none>");
  for (const char* t : {"<think>a</think>b", "Hmm</think>x", "Let me see.\n<think>Q</think>\nA",
                        "Answer: 5 <think>Q", "<think>a</think>x<think>b</think>y",
                        "<think>o <think>i</think> A</think>\nD"}) {
    INFO(t);
    const std::string a = answer_of(t);
    CHECK(moebench::thinking_split(t).answer == moebench::py_strip(a == "<none>" ? "" : a));
  }
}

// Reviewer 85, F2: a nested "<think>" left "Answer: A</think>" in the answer; a rescore then split
// that stored answer again and scored "Answer: D". The run and the rescore must split alike.
TEST_CASE("thinking: nested and repeated tags never leave a decoy or a tag in the answer",
          "[common][thinking]") {
  auto s = thinking_split("<think>outer <think>inner</think> Answer: A</think>\nAnswer: D");
  CHECK(s.answer == "Answer: D");
  CHECK(s.thinking.find("Answer: A") != std::string::npos);
  CHECK_FALSE(s.open);
  // The builtin engine's R1 template opened the thinking; the model closed it twice.
  s = thinking_split("sch</think>70sour</think>pro", true);
  CHECK(s.answer == "pro");
  CHECK_FALSE(s.open);
  s = thinking_split("<think></think>");
  CHECK(s.has_thinking);
  CHECK(s.answer.empty());
  CHECK_FALSE(s.open);
  s = thinking_split("<think>");
  CHECK(s.has_thinking);
  CHECK(s.open);
  // Splitting the stored answer again (a rescore) changes nothing.
  for (const char* t : {"<think>outer <think>inner</think> Answer: A</think>\nAnswer: D",
                        "a</think>b</think>c<think>d", "x<think>y</think>z</think>w",
                        "</think></think><think></think>q", "Answer: 5 <think>Question: x"}) {
    INFO(t);
    const std::string answer = thinking_split(t).answer;
    CHECK(answer.find("think>") == std::string::npos);
    const auto again = thinking_split(answer);
    CHECK(again.answer == answer);
    CHECK_FALSE(again.has_thinking);
  }
}
