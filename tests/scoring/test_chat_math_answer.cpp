// math500@chat scoring through the chat profile's patched spec: simple-evals' ANSWER_PATTERN finds
// the "Answer:" line, then the answer is cleaned of chat formatting (markdown, \( \), a final
// period, Unicode √ and π) before minerva's normalization and the symbolic comparison.
#include <string>
#include <vector>

#include "harness/scoring/registry.h"
#include "tasks/profile.h"
#include "tests/catch.h"
#include "tests/scoring/spec_score.h"

using moebench_test::spec_score;

namespace {

const moebench::SuiteSpec& math_chat() {
  static const moebench::SuiteSpec spec = moebench::suite_find_profiled(
      std::filesystem::path(MOEBENCH_SOURCE_DIR "/tasks"), "math500@chat");
  return spec;
}

struct ChatCase {
  const char* line;  // the response's last line
  const char* gold;  // inside the solution's \boxed{}
  double exact_match;
};

const ChatCase kChatCases[] = {
    {"**Answer:** 42", "42", 1},
    {"Answer: **720**", "720", 1},
    {"**Answer: 144**", "144", 1},
    {"Answer: 9.", "9", 1},
    {"Answer: \\(3\\sqrt{13}\\)", "3\\sqrt{13}", 1},
    {"Answer: \\( 5 \\)", "5", 1},
    {"Answer: 11√2", "11\\sqrt{2}", 1},
    {"Answer: π", "\\pi", 1},
    {"*Answer:* $\\frac{1}{2}$.", "\\frac{1}{2}", 1},
    {"Answer: \\[ \\frac{\\pi}{4} \\]", "\\frac{\\pi}{4}", 1},
    {"Answer: 2√(x+1)", "2\\sqrt{x+1}", 1},
    {"Answer: 2π", "2\\pi", 1},
    {"**Answer:** 41", "42", 0},
    {"Answer: **721**", "720", 0},
    {"Answer: 3\\sqrt{12}", "3\\sqrt{13}", 0},
    {"Answer: 12√2", "11\\sqrt{2}", 0},
    {"Answer: 2π", "\\pi", 0},
    {"Answer: 9.5", "9", 0},
    {"The answer is 42.", "42", 0},  // no "Answer:" line: simple-evals finds nothing
};

}  // namespace

TEST_CASE("math500@chat: ordinary chat answer lines", "[scoring][chat-math]") {
  for (const ChatCase& c : kChatCases) {
    const std::string response = std::string("We compute it step by step.\n\n") + c.line;
    const std::string target = std::string("So the answer is $\\boxed{") + c.gold + "}$.";
    auto v = spec_score(math_chat(), "exact_match", response, target);
    INFO(c.line << " vs gold " << c.gold << "\n" << v.detail.dump());
    CHECK(v.value == c.exact_match);
  }
}

TEST_CASE("math_answer_cleanup: what it removes and rewrites", "[scoring][chat-math]") {
  moebench::scoring_register_builtins();
  auto step = moebench::filter_make({{"fn", "math_answer_cleanup"}}, "test");
  auto clean = [&](const std::string& s) { return step({s}, moebench::FilterContext{}).at(0); };
  CHECK(clean("** 42") == "42");
  CHECK(clean("**720**") == "720");
  CHECK(clean("144**") == "144");
  CHECK(clean("_42_") == "42");
  CHECK(clean("9.") == "9");
  CHECK(clean("\\( 5 \\)") == "5");
  CHECK(clean("\\[x^2\\]") == "x^2");
  CHECK(clean("$$7$$.") == "7");
  CHECK(clean("11√2") == "11\\sqrt{2}");
  CHECK(clean("√(x+1)") == "\\sqrt{x+1}");
  CHECK(clean("√{3}") == "\\sqrt{3}");
  CHECK(clean("π") == "\\pi");
  CHECK(clean("2πr") == "2\\pi r");
  // Only a delimiter pair around the whole answer goes; inner ones, products and ellipses stay.
  CHECK(clean("$5$;$10$") == "$5$;$10$");
  CHECK(clean("\\(a\\) and \\(b\\)") == "\\(a\\) and \\(b\\)");
  CHECK(clean("2*3") == "2*3");
  CHECK(clean("1, 2, \\ldots") == "1, 2, \\ldots");
  CHECK(clean("1, 2, ...") == "1, 2, ...");
  CHECK(step({"** 1", "π."}, moebench::FilterContext{}) == std::vector<std::string>{"1", "\\pi"});
}
