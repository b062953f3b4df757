// Stop strings during generation never fire inside the reasoning: StopScanner fed text piece by
// piece, as the engine decodes it.
#include "backends/builtin/stop_scanner.h"
#include "tests/catch.h"

using moebench::StopScanner;

namespace {

// Feeds `pieces` one at a time; returns the text cut at the first stop (as generate() does) and
// whether the thinking closed along the way.
std::string generate(const std::vector<std::string>& pieces, const std::vector<std::string>& stops,
                     bool starts_in_thinking, bool* closed = nullptr) {
  StopScanner scan(stops, starts_in_thinking);
  std::string text;
  bool saw_close = false;
  for (const std::string& p : pieces) {
    const size_t before = text.size();
    text += p;
    const size_t at = scan.feed(text, before);
    saw_close |= scan.closed_thinking();
    if (at != std::string::npos) {
      text.resize(at);
      break;
    }
  }
  if (closed) *closed = saw_close;
  return text;
}

}  // namespace

TEST_CASE("stop scanner: a stop string inside the thinking does not end the generation",
          "[builtin][thinking]") {
  bool closed = false;
  CHECK(generate({"<think>", "Question", ": what", " now?", "</th", "ink>", "#### 4", "\nQuestion",
                  ": next"},
                 {"Question:"}, false, &closed) == "<think>Question: what now?</think>#### 4\n");
  CHECK(closed);
  // The prompt opened the thinking (the chat template ended with "<think>\n").
  CHECK(generate({"Question: hmm", "</think>", "Answer: 3", "Question: x"}, {"Question:"}, true) ==
        "Question: hmm</think>Answer: 3");
  // Still thinking when the tokens run out: nothing is cut.
  CHECK(generate({"<think>", "Question: a", " Question: b"}, {"Question:"}, false, &closed) ==
        "<think>Question: a Question: b");
  CHECK_FALSE(closed);
  // Leading whitespace before "<think>"; the tag split over pieces.
  CHECK(generate({"\n", "<th", "ink>", "[DONE] maybe", "</think>ok[DONE]"}, {"[DONE]"}, false) ==
        "\n<think>[DONE] maybe</think>ok");
  // A stop string that straddles the closing tag does not reach into the thinking.
  CHECK(generate({"<think>x</think>", "y"}, {"k>y"}, false) == "<think>x</think>y");
}

TEST_CASE("stop scanner: without thinking, stops fire as before", "[builtin][thinking]") {
  CHECK(generate({"The answer", " is 4.\nQuest", "ion: next"}, {"Question:"}, false) ==
        "The answer is 4.\n");
  // "<" alone could open "<think>"; once it does not, the whole text is searched.
  CHECK(generate({"<", "b>Question: x"}, {"Question:"}, false) == "<b>");
  CHECK(generate({"#### 5", "</think>more"}, {"</think>"}, false) == "#### 5");
  StopScanner none({}, false);
  CHECK(none.hold() == 0);
  StopScanner two({"ab", "Question:"}, false);
  CHECK(two.hold() == 8);
}
