// Stop strings during generation never fire inside the reasoning: StopScanner fed text piece by
// piece, as the engine decodes it.
#include "backends/api/api_wire.h"
#include "backends/builtin/stop_scanner.h"
#include "common/thinking.h"
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
  StopScanner none({}, false);
  none.feed("0123456789xy", 0);
  CHECK(none.hold() == 0);
  StopScanner two({"ab", "Question:"}, false);
  two.feed("0123456789xy", 0);
  CHECK(two.hold() == 8);
  CHECK(two.feed("0123456789xyzab", 12) == 13);
  StopScanner thinking({"Question:"}, true);  // nothing is cut before the thinking ends
  thinking.feed("0123456789ab", 0);
  CHECK(thinking.hold() == 0);
  // A lone </think> (the template opened the thinking): a stop string starting before it (here
  // the tag itself) does not fire, as the API client does not cut there.
  CHECK(generate({"#### 5", "</think>more"}, {"</think>"}, false) == "#### 5</think>more");
}

namespace {

// The text fed at the cuts `cuts` (ascending offsets), the last piece marked as the end; returns
// the text cut where the scanner fired.
std::string fed(const std::string& text, const std::vector<std::string>& stops, bool opened,
                const std::vector<size_t>& cuts) {
  StopScanner scan(stops, opened);
  std::string sofar;
  std::vector<size_t> ends = cuts;
  ends.push_back(text.size());
  for (size_t i = 0; i < ends.size(); ++i) {
    const size_t before = sofar.size();
    sofar = text.substr(0, ends[i]);
    const size_t at = scan.feed(sofar, before, i + 1 == ends.size());
    if (at != std::string::npos) return sofar.substr(0, at);
  }
  return sofar;
}

// Where the API client cuts the whole text. A template-opened thinking is the text after a
// `<think>` (a thinking that closes before any `<think>` is cut the same either way).
std::string client_cut(const std::string& text, const std::vector<std::string>& stops,
                       bool opened) {
  if (!opened) return moebench::api_cut_at_stop(text, stops);
  const std::string open(moebench::kThinkOpen);
  return moebench::api_cut_at_stop(open + text, stops).substr(open.size());
}

}  // namespace

// Reviewer 87, F4: the engine decided once, from the text's first bytes, whether it was thinking,
// so a preamble then <think> let a stop fire inside the thinking, and after the first </think> a
// nested span's stops fired. Fed in pieces cut anywhere, the engine cuts where the API client
// (api_cut_at_stop, which stands in for the server's stop) cuts the whole text.
TEST_CASE("stop scanner: fires where the API client cuts the whole text", "[builtin][thinking]") {
  struct Case {
    std::string text;
    bool opened;
  };
  const std::vector<std::string> stops = {"Question:", "<th", "k>y"};
  const std::string invented = "\n\nQuestion: What is 2+2?\n<think>easy</think>\n#### 4";
  const std::vector<Case> cases = {
      {"The answer is 4.\nQuestion: next", false},
      {"Let me see.\n<think>Question: no</think>\n#### 4" + invented, false},
      {"<think>a <think>Question: b</think> Question: c</think>\n#### 3" + invented, false},
      {"<think>x</think>#### 2 <think>Question: no</think> and Question: yes", false},
      {"Hmm. Question: x?</think>\n#### 7" + invented, true},
      {"<think>Let me compute.</think>\nHe fills 100 cartons.\n#### 100" + invented, false},
      {"<think>Question: a Question: b", false},
      {"Question: a <think>Question: b</think> #### 9", true},
      {"<think>x</think>y and k>y", false},
      {"#### 4 <think>Question: x", false},
      {"x<thanks> Question: x", false},
      {"tag = '</think>'\nQuestion: x", false},
      {"#### 5</think>more", false},
      {"\n <think>\n</think>\n\n#### 6 <th", false},
  };
  for (const Case& c : cases) {
    INFO(c.text << (c.opened ? " (opened)" : ""));
    const std::string want = client_cut(c.text, stops, c.opened);
    CHECK(fed(c.text, stops, c.opened, {}) == want);
    std::string first_wrong;  // the first two cuts that give another text, and that text
    for (size_t a = 0; a <= c.text.size() && first_wrong.empty(); ++a) {
      for (size_t b = a; b <= c.text.size() && first_wrong.empty(); b += 3) {
        const std::string got = fed(c.text, stops, c.opened, {a, b});
        if (got != want) first_wrong = std::to_string(a) + "," + std::to_string(b) + ": " + got;
      }
    }
    CHECK(first_wrong == "");
    std::vector<size_t> each;  // one byte at a time, as a byte-level tokenizer decodes
    for (size_t i = 1; i < c.text.size(); ++i) each.push_back(i);
    CHECK(fed(c.text, stops, c.opened, each) == want);
  }
  // An R1-style lone </think> (the template opened the thinking) is cut the same without the
  // <think> in front.
  CHECK(moebench::api_cut_at_stop(cases[4].text, stops) == client_cut(cases[4].text, stops, true));
}
