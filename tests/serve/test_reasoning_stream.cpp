// ReasoningStream, `moebench serve`'s split of a chat generation into reasoning_content and
// content: for every way of cutting the text into pieces (tags cut anywhere), the deltas join to
// the split of the whole text, which agrees with thinking_split (the scorer's rule).
#include "backends/builtin/serve/reasoning_stream.h"
#include "common/thinking.h"
#include "tests/catch.h"

using moebench::ReasoningStream;

namespace {

struct Joined {
  std::string reasoning, content;
  bool thinking = false;
};

// The text fed in pieces cut at `cuts` (ascending offsets).
Joined feed(const std::string& text, bool starts_in_thinking, const std::vector<size_t>& cuts) {
  ReasoningStream s(starts_in_thinking);
  Joined out;
  size_t from = 0;
  auto add = [&](const ReasoningStream::Delta& d) {
    out.reasoning += d.reasoning;
    out.content += d.content;
  };
  for (size_t cut : cuts) {
    add(s.feed(text.substr(from, cut - from)));
    from = cut;
  }
  add(s.feed(text.substr(from)));
  add(s.finish());
  out.thinking = s.had_thinking();
  return out;
}

}  // namespace

TEST_CASE("reasoning stream: every cut of the text gives the whole text's split",
          "[serve][thinking]") {
  struct Case {
    std::string text;
    bool opened;  // the prompt opened the thinking
    std::string reasoning, content;
    bool thinking;
  };
  const std::vector<Case> cases = {
      {"Let me see. 2+2=4.\n</think>\n\nThe answer is 4.", true, "Let me see. 2+2=4.\n",
       "The answer is 4.", true},
      {"\n<think>hm, </thin is not a tag</think>Answer: B", false, "hm, </thin is not a tag",
       "Answer: B", true},
      {"still thinking when the limit came", true, "still thinking when the limit came", "", true},
      {"<think>cut in the middle", false, "cut in the middle", "", true},
      {"Plain answer, no thinking <think> later", false, "",
       "Plain answer, no thinking <think> later", false},
      {"<thi", false, "", "<thi", false},  // a bare prefix of the tag at the end is content
      {"  ", false, "", "  ", false},
      {"</think>", true, "", "", true},
  };
  for (const Case& c : cases) {
    INFO(c.text);
    for (size_t a = 0; a <= c.text.size(); ++a) {
      for (size_t b = a; b <= c.text.size(); ++b) {
        const Joined j = feed(c.text, c.opened, {a, b});
        CHECK(j.reasoning == c.reasoning);
        CHECK(j.content == c.content);
        CHECK(j.thinking == c.thinking);
      }
    }
    const moebench::ThinkingSplit split = moebench::thinking_split(c.text, c.opened);
    if (c.thinking) {
      CHECK(split.has_thinking);
      CHECK(split.thinking == c.reasoning);
      CHECK(split.answer == c.content);
    }
  }
}

// Reviewer 87, F4: the stream decided from the text's first bytes whether it thought, so a preamble
// then <think> went to content whole, nested tags ended the thinking at the first </think>, and a
// second span after only whitespace went to content. Split by the one rule: exactly as
// thinking_split splits the whole text where a stream can know it in time; where it cannot (text
// already given out as content that a tag then follows), the content carries the rest with its
// tags, and a client splitting the content by the rule gets the whole text's answer.
TEST_CASE("reasoning stream: pieces split as the one rule splits the whole text",
          "[serve][thinking]") {
  struct Case {
    std::string text;
    bool opened;
    bool exact;  // the stream gives thinking_split's reasoning and content
  };
  const std::vector<Case> cases = {
      {"<think>a <think>b</think> c</think>\n#### 3", false, true},
      {"a<think>b</think>c</think>d", true, true},
      {"\n<think>x</think>\n<think>y</think>\n\nans  \n", false, true},
      {"<think>\n\n</think>\n\nans", false, true},
      {"<think>a</think>\n<think>b", false, true},
      {"\n</think>ans", false, true},
      {"  \n", false, true},
      {"Let me see.\n<think>Question: no</think>\n#### 4", false, false},
      {"<think>x</think>#### 2 <think>y</think> and #### 3", false, false},
      {"#### 4 <think>more", false, false},
      {"Hmm.</think> ans", false, false},
      {"a<think>b", true, false},
  };
  for (const Case& c : cases) {
    INFO(c.text << (c.opened ? " (opened)" : ""));
    const moebench::ThinkingSplit split = moebench::thinking_split(c.text, c.opened);
    const std::string answer = split.has_thinking ? split.answer : c.text;
    bool had = false;
    const ReasoningStream::Delta whole = moebench::reasoning_split(c.text, c.opened, &had);
    CHECK(whole.content == answer);
    CHECK(whole.reasoning == split.thinking);
    CHECK(had == split.has_thinking);
    std::string first_wrong;  // the first two cuts that give another split, and what they give
    for (size_t a = 0; a <= c.text.size() && first_wrong.empty(); ++a) {
      for (size_t b = a; b <= c.text.size() && first_wrong.empty(); ++b) {
        const Joined j = feed(c.text, c.opened, {a, b});
        const moebench::ThinkingSplit client = moebench::thinking_split(j.content);
        const bool right = c.exact ? j.reasoning == split.thinking && j.content == answer &&
                                         j.thinking == split.has_thinking
                                   : (client.has_thinking ? client.answer : j.content) == answer;
        if (!right) {
          first_wrong = std::to_string(a) + "," + std::to_string(b) + ": reasoning '" +
                        j.reasoning + "' content '" + j.content + "'";
        }
      }
    }
    CHECK(first_wrong == "");
  }
}
