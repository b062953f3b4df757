// Unit tests of the hendrycks_math helpers (expected strings taken from lm-eval's Python).
#include <optional>
#include <string>

#include "harness/scoring/hendrycks_math.h"
#include "tests/catch.h"

using namespace moebench;

TEST_CASE("hendrycks_extract_answer") {
  CHECK(hendrycks_extract_answer("so $x$ is $\\frac12$.") == "x$ is $\\frac12");
  CHECK(hendrycks_extract_answer("costs $5") == "costs $5");
  CHECK(hendrycks_extract_answer("no math") == "no math");
  CHECK(hendrycks_extract_answer("$$") == "");
  CHECK(hendrycks_extract_answer("") == "");
}

TEST_CASE("hendrycks_strip_string") {
  const std::pair<const char*, std::optional<std::string>> cases[] = {
      {"\\frac12", "\\frac{1}{2}"},
      {"\\frac1{72}", "\\frac{1}{72}"},
      {"\\frac{72}1", "\\frac{72}1"},
      {"\\frac", std::nullopt},  // IndexError in fix_fracs
      {"\\frac1", "\\frac1"},
      {"\\sqrt3x", "\\sqrt{3}x"},
      {"\\sqrt", std::nullopt},  // IndexError in fix_sqrt
      {"3/4", "\\frac{3}{4}"},
      {"x/4", std::nullopt},  // ValueError from int("x")
      {"03/4", "03/4"},
      {"-3/4", "\\frac{-3}{4}"},
      {"-0/4", "-0/4"},
      {"1_0/4", "1_0/4"},
      {"1__0/4", std::nullopt},
      {"1/2/3", "1/2/3"},
      {".5", "\\frac{1}{2}"},
      {"0.5", "\\frac{1}{2}"},
      {" .5", "\\frac{1}{2}"},
      {"k = 7", "7"},
      {"abc = 7", "abc=7"},
      {"\\text{ cm}\\text{ m}", std::nullopt},  // assert len(splits) == 2
      {"5\\text{ cm}", "5"},
      {"\\left(1,2\\right)", "(1,2)"},
      {"50\\%", "50"},
      {"\\tfrac{1}{2}", "\\frac{1}{2}"},
      {"a\\\\b", "a\\b"},
      {"", ""},
      {"\\!1", "1"},
      {"x=1=2", "x=1=2"},
      {"\u03b1\u03b2=3", "3"},  // two code points before `=`, four bytes
      {"\\frac\u00bd3", "\\frac{\u00bd}{3}"},
  };
  for (const auto& [in, want] : cases) {
    INFO("input: " << in);
    CHECK(hendrycks_strip_string(in) == want);
  }
}

TEST_CASE("hendrycks_is_equiv") {
  CHECK(hendrycks_is_equiv("\\dfrac{1}{2}", "0.5"));
  CHECK(hendrycks_is_equiv("x = 5", "5"));
  CHECK(hendrycks_is_equiv("10\\%", "10"));
  CHECK_FALSE(hendrycks_is_equiv("10,000", "10000"));
  // strip_string raises on "x/4", so the raw strings are compared.
  CHECK(hendrycks_is_equiv("x/4", "x/4"));
  CHECK_FALSE(hendrycks_is_equiv("x/4", "x / 4"));
  CHECK_FALSE(hendrycks_is_equiv("\\frac{x}{4}", "x/4"));
}
