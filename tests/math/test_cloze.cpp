// agieval_gaokao_mathcloze scoring through its spec file: answers with several blanks ('$5$;$10$')
// and equations ('$2x+y+1=0$') among the real golds (items 1, 2, 10, 29, 87, 93 of
// gaokao-mathcloze.jsonl), right answers in the forms models write them, and wrong ones.
#include <string>

#include "tasks/profile.h"
#include "tests/catch.h"
#include "tests/scoring/spec_score.h"

using moebench_test::spec_score;

namespace {

struct ClozeCase {
  const char* gold;    // the dataset's "answer" field
  const char* answer;  // what the model writes after "The final answer is"
  double exact_match;  // symbolic per blank
  double string_match;
  const char* why;
};

// NOTE: minerva's normalization keeps only the text after the last '=' and the first $...$ pair,
// which turned '$2x+y+1=0$' into '0' and '$5$;$10$' into '5'; these cases pin the blank-aware
// comparison that replaced it.
const ClozeCase kCases[] = {
    {"$5$;$10$", "$5;10$", 1, 1, "both blanks in one $...$"},
    {"$5$;$10$", "5, 10", 1, 1, "blanks separated by a comma"},
    {"$5$;$10$", "$5$;$10$", 1, 1, "the gold itself"},
    {"$5$;$10$", "5；10", 1, 1, "full-width semicolon"},
    {"$5$;$10$", "$5$ 和 $10$", 1, 1, "joined by 'and' (he)"},
    {"$5$;$10$", "$a_1=5$, $a_2+a_3+a_4=10$", 1, 1, "each blank as an assignment"},
    {"$5$;$10$", "$5$", 0, 0, "first blank only"},
    {"$5$;$10$", "$10$", 0, 0, "second blank only"},
    {"$5$;$10$", "5;11", 0, 0, "second blank wrong"},
    {"$5$;$10$", "10;5", 0, 0, "blanks swapped"},
    {"$5$;$10$", "5;10;15", 0, 0, "one blank too many"},
    {"1;$\\frac{8}{9}$", "1;\\frac{8}{9}", 1, 1, "both blanks"},
    {"1;$\\frac{8}{9}$", "$1$, $\\frac89$", 1, 1, "comma, \\frac89"},
    {"1;$\\frac{8}{9}$", "$1$", 0, 0, "first blank only"},
    {"1;$\\frac{8}{9}$", "$\\frac{8}{9}$", 0, 0, "second blank only"},
    {"$2x+y+1=0$", "2x+y+1=0", 1, 1, "the equation"},
    {"$2x+y+1=0$", "$2x + y + 1 = 0$", 1, 1, "with spaces"},
    {"$2x+y+1=0$", "y=-2x-1", 1, 0, "the same line solved for y"},
    {"$2x+y+1=0$", "x-y=0", 0, 0, "another line through '= 0'"},
    {"$2x+y+1=0$", "7=0", 0, 0, "any '= 0'"},
    {"$2x+y+1=0$", "0", 0, 0, "the right-hand side alone"},
    {"$5x-y+2=0$", "5x-y+2=0", 1, 1, "the equation"},
    {"$5x-y+2=0$", "y=5x+2", 1, 0, "slope-intercept form"},
    {"$5x-y+2=0$", "x-y=0", 0, 0, "another line"},
    {"$5x-y+2=0$", "2=0", 0, 0, "a false equation"},
    {"$3x-y=0$", "3x-y=0", 1, 1, "the equation"},
    {"$3x-y=0$", "y=3x", 1, 0, "solved for y"},
    {"$3x-y=0$", "x-y=0", 0, 0, "another line"},
    {"$3x-y=0$", "7=0", 0, 0, "any '= 0'"},
    {"5;$720-\\frac{15(3+n)}{2^{n-4}}$", "5;720-\\frac{15(3+n)}{2^{n-4}}", 1, 1, "both blanks"},
    {"5;$720-\\frac{15(3+n)}{2^{n-4}}$", "$5$, $720-\\frac{15(n+3)}{2^{n-4}}$", 1, 0,
     "comma, terms reordered"},
    {"5;$720-\\frac{15(3+n)}{2^{n-4}}$", "5", 0, 0, "first blank only"},
    {"5;$720-\\frac{15(3+n)}{2^{n-4}}$", "$720-\\frac{15(3+n)}{2^{n-4}}$", 0, 0,
     "second blank only"},
    // One-blank golds keep minerva's rules: commas inside a blank never split it.
    {"$(0,1)$", "(0, 1)", 1, 1, "an interval"},
    {"$[0,2]$", "[0,2]", 1, 1, "a closed interval"},
    {"2", "a=2", 1, 1, "an assignment to a number gold"},
    {"$x=-\\frac{3}{2}$", "x=-\\frac32", 1, 1, "an equation gold"},
    {"$\\left(3,0\\right)$;$\\sqrt{3}$", "\\left(3,0\\right), \\sqrt{3}", 1, 1,
     "a comma inside parentheses is not a blank separator"},
};

const moebench::SuiteSpec& cloze_spec() {
  static const moebench::SuiteSpec spec = moebench::suite_find_profiled(
      std::filesystem::path(MOEBENCH_SOURCE_DIR "/tasks"), "agieval_gaokao_mathcloze");
  return spec;
}

}  // namespace

TEST_CASE("mathcloze: blanks and equations of real golds", "[math][cloze]") {
  for (const ClozeCase& c : kCases) {
    const std::string response =
        std::string("Final Answer: The final answer is ") + c.answer + ". I hope it is correct.";
    const std::string target = std::string("\\boxed{") + c.gold + "}";
    auto exact = spec_score(cloze_spec(), "cloze_exact_match", response, target);
    auto string = spec_score(cloze_spec(), "cloze_string_match", response, target);
    INFO(c.why << "\ngold " << c.gold << "\nanswer " << c.answer << "\nexact_match "
               << exact.detail.dump() << "\nstring_match " << string.detail.dump());
    CHECK(exact.value == c.exact_match);
    CHECK(string.value == c.string_match);
  }
}

TEST_CASE("mathcloze: the chat profile compares blanks the same way", "[math][cloze]") {
  const moebench::SuiteSpec chat = moebench::suite_find_profiled(
      std::filesystem::path(MOEBENCH_SOURCE_DIR "/tasks"), "agieval_gaokao_mathcloze@chat");
  const std::string two = "\\boxed{$5$;$10$}", line = "\\boxed{$2x+y+1=0$}";
  CHECK(spec_score(chat, "cloze_exact_match", "So...\nAnswer: $5$, $10$", two).value == 1);
  CHECK(spec_score(chat, "cloze_exact_match", "So...\n**Answer:** 5；10", two).value == 1);
  CHECK(spec_score(chat, "cloze_exact_match", "So...\nAnswer: $5$", two).value == 0);
  CHECK(spec_score(chat, "cloze_exact_match", "Answer: \\(2x+y+1=0\\)", line).value == 1);
  CHECK(spec_score(chat, "cloze_exact_match", "Answer: x-y=0", line).value == 0);
}
