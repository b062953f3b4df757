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
