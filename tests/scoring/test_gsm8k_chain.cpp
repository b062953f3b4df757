// GSM8K strict-match and flexible-extract, full chain (regex -> take_first -> exact_match), on
// hand-written adversarial responses with the verdicts lm-eval 3.0 gives them.
#include "tests/catch.h"
#include "tests/scoring/gsm8k_fixture.h"

using moebench::test::Gsm8kChain;

namespace {

const std::string kTarget72 =
    "Natalia sold 48/2 = <<48/2=24>>24 clips in May.\n"
    "Natalia sold 48+24 = <<48+24=72>>72 clips altogether in April and May.\n#### 72";
const std::string kTarget1000 = "Each box holds 20 * 50 = <<20*50=1000>>1,000 pencils.\n#### 1,000";
const std::string kTargetNeg = "The temperature fell 3 - 10 = <<3-10=-7>>-7 degrees.\n#### -7";
const std::string kTargetDec = "Each share is 10 / 4 = <<10/4=2.5>>2.5 dollars.\n#### 2.5";

// clang-format off
const std::vector<moebench::test::Gsm8kCase> kCases = {
  {"She sold 48 + 24 = 72 clips.\n#### 72", &kTarget72, "72", 1, "72", 1},
  {"The answer is 72.", &kTarget72, "[invalid]", 0, "72.", 1},
  {"#### 72.00", &kTarget72, "72.00", 0, "72.00", 0},
  {"#### $72", &kTarget72, "[invalid]", 0, "$72", 1},
  {"#### 72\n\nQuestion: how many?", &kTarget72, "72", 1, "72", 1},
  {"#### 72 clips. Then she bought 5 more.", &kTarget72, "72", 1, "5", 0},
  {"#### -72", &kTarget72, "-72", 0, "-72", 0},
  {"####72", &kTarget72, "[invalid]", 0, "72", 1},
  {"#### 72\n#### 73", &kTarget72, "72", 1, "73", 0},
  {"#### 7,2", &kTarget72, "7,2", 1, "7,2", 1},  // lm-eval drops every comma
  {"#### 72,", &kTarget72, "72,", 1, "72,", 1},
  {"#### 72..", &kTarget72, "72..", 0, "72..", 0},  // \.$ removes one period only
  {"#### .", &kTarget72, ".", 0, "[invalid]", 0},
  {"seventy-two", &kTarget72, "[invalid]", 0, "[invalid]", 0},
  {"72", &kTarget72, "[invalid]", 0, "72", 1},
  {"The answer is $72.00.", &kTarget72, "[invalid]", 0, "$72.00.", 0},
  {"0.72 * 100 = 72", &kTarget72, "[invalid]", 0, "72", 1},
  {"#### 072", &kTarget72, "072", 0, "072", 0},
  {"#### \xd9\xa7\xd9\xa2", &kTarget72, "[invalid]", 0, "[invalid]", 0},  // Arabic-Indic 72
  {"#### 72\n", &kTarget72, "72", 1, "72", 1},
  {"#### 72 dollars", &kTarget72, "72", 1, "72", 1},
  {"I think it's 71. Wait, actually 72.", &kTarget72, "[invalid]", 0, "72.", 1},
  {"The answer is 72!", &kTarget72, "[invalid]", 0, "72", 1},
  {"####  72", &kTarget72, "[invalid]", 0, "72", 1},
  {"$\\boxed{72}$", &kTarget72, "[invalid]", 0, "72", 1},
  {"#### 72\n\nThe answer is 73", &kTarget72, "72", 1, "73", 0},
  {"1. Add 48 and 24.\n2. So the total is 72", &kTarget72, "[invalid]", 0, "72", 1},
  {"#### 7 2", &kTarget72, "7", 0, "2", 0},
  {"#### 72 + 1 = 73", &kTarget72, "72", 1, "73", 0},
  {"#### 72%", &kTarget72, "72", 1, "72", 1},
  {"", &kTarget72, "[invalid]", 0, "[invalid]", 0},
  {"#### 1000", &kTarget1000, "1000", 1, "1000", 1},
  {"#### 1,000", &kTarget1000, "1,000", 1, "1,000", 1},
  {"The answer is 1,000.", &kTarget1000, "[invalid]", 0, "1,000.", 1},
  {"#### 1.000", &kTarget1000, "1.000", 0, "1.000", 0},
  {"#### $1,000.", &kTarget1000, "[invalid]", 0, "$1,000.", 1},
  {"#### -7", &kTargetNeg, "-7", 1, "-7", 1},
  {"It dropped by 7 degrees, so -7.", &kTargetNeg, "[invalid]", 0, "-7.", 1},
  {"#### 7", &kTargetNeg, "7", 0, "7", 0},
  {"#### 2.5", &kTargetDec, "2.5", 1, "2.5", 1},
  {"#### 2.50", &kTargetDec, "2.50", 0, "2.50", 0},
  {"Each gets $2.5.", &kTargetDec, "[invalid]", 0, "$2.5.", 1},
  {"#### 5/2", &kTargetDec, "5", 0, "2", 0},
};
// clang-format on

}  // namespace

const std::vector<moebench::test::Gsm8kCase>& moebench::test::gsm8k_hand_cases() { return kCases; }

TEST_CASE("GSM8K strict-match and flexible-extract verdicts", "[scoring][gsm8k]") {
  Gsm8kChain chain;
  int i = 0;
  for (const auto& c : kCases) {
    INFO("case " << i++ << ": " << c.response);
    auto v = chain.score(c.response, *c.target);
    CHECK(v.strict == c.strict);
    CHECK(v.strict_em == c.strict_em);
    CHECK(v.flexible == c.flexible);
    CHECK(v.flexible_em == c.flexible_em);
  }
  CHECK(i >= 30);
}
