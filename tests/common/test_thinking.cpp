// common/thinking: the one rule for what is reasoning and what is the answer.
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
  // Several blocks are all removed.
  s = thinking_split("<think>a</think>x<think>b</think>y");
  CHECK(s.answer == "xy");
  CHECK(s.thinking == "a\nb");

  CHECK(moebench::thinking_answer_start("<think>a</think>b", false) == 16);
  CHECK(moebench::thinking_answer_start("<think>a", false) == std::string::npos);
  CHECK(moebench::thinking_answer_start("<thi", false) == std::string::npos);
  CHECK(moebench::thinking_answer_start("answer", false) == 0);
  CHECK(moebench::thinking_answer_start("a</think>b", true) == 9);
  CHECK(moebench::thinking_prompt_opens("<|Assistant|><think>\n"));
  CHECK_FALSE(moebench::thinking_prompt_opens("<|Assistant|>"));
}
