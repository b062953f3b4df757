// math_equivalent on normalized answers: what sympy's simplify(a - b) == 0 accepts, plus the
// documented extras (identical strings, tuples, intervals).
#include <string>

#include "harness/scoring/math_equiv.h"
#include "tests/catch.h"

using namespace moebench;

namespace {

struct Pair {
  const char* a;
  const char* b;
};

void check_all(const Pair* pairs, size_t n, bool want) {
  for (size_t i = 0; i < n; ++i) {
    INFO(pairs[i].a << "  vs  " << pairs[i].b);
    CHECK(math_equivalent(pairs[i].a, pairs[i].b) == want);
    CHECK(math_equivalent(pairs[i].b, pairs[i].a) == want);
  }
}

}  // namespace

TEST_CASE("math_equivalent: numbers") {
  const Pair yes[] = {{"5", "5.0"},
                      {"-3", "-3"},
                      {"0.50", "0.5"},
                      {"1,000", "1000"},
                      {"1500", "1.5\\times10^{3}"},
                      {"1500", "1.5\\cdot10^3"},
                      {"-2", "-(2)"},
                      {"2", "+2"},
                      {"0.1", "\\frac{1}{10}"},
                      {"3", "3.000"},
                      {"12", "3*4"}};
  const Pair no[] = {{"5", "6"},      {"0.33", "\\frac{1}{3}"},
                     {"-3", "3"},     {"25\\%", "25"},
                     {"1e3", "1000"}, {".5", "0.5"},
                     {"03", "3"},     {"5", ""}};
  check_all(yes, std::size(yes), true);
  check_all(no, std::size(no), false);
}

TEST_CASE("math_equivalent: fractions") {
  const Pair yes[] = {{"\\frac{1}{2}", "0.5"},
                      {"\\frac{1}{2}", "1/2"},
                      {"\\dfrac{3}{4}", "\\frac34"},
                      {"\\tfrac{6}{8}", "\\frac{3}{4}"},
                      {"-\\frac{1}{2}", "\\frac{-1}{2}"},
                      {"\\frac{1}{-2}", "-0.5"},
                      {"\\frac{\\frac{1}{2}}{3}", "\\frac{1}{6}"},
                      {"1/2x", "\\frac{1}{2x}"}};
  const Pair no[] = {{"\\frac{1}{2}", "\\frac{2}{1}"},
                     {"\\frac{1}{3}", "0.333"},
                     {"\\frac{1}{0}", "\\frac{2}{0}"},
                     {"\\frac{1}{2}", "-\\frac{1}{2}"}};
  check_all(yes, std::size(yes), true);
  check_all(no, std::size(no), false);
}

TEST_CASE("math_equivalent: radicals and pi") {
  const Pair yes[] = {
      {"\\sqrt{12}", "2\\sqrt{3}"},       {"\\frac{\\sqrt{2}}{2}", "\\frac{1}{\\sqrt{2}}"},
      {"\\sqrt{8}", "2\\sqrt{2}"},        {"\\sqrt[3]{8}", "2"},
      {"\\sqrt[3]{16}", "2\\sqrt[3]{2}"}, {"2\\pi/3", "\\frac{2\\pi}{3}"},
      {"\\pi", "\\frac{2\\pi}{2}"},       {"3\\sqrt{2}+\\sqrt{2}", "4\\sqrt{2}"},
      {"\\left(\\sqrt{3}\\right)^2", "3"}};
  const Pair no[] = {{"\\sqrt{2}", "1.414"},   {"\\pi", "3.14"},         {"\\sqrt{3}", "3"},
                     {"\\sqrt2", "\\sqrt{2}"}, {"x^-1", "\\frac{1}{x}"}, {"2\\pi", "\\pi"}};
  check_all(yes, std::size(yes), true);
  check_all(no, std::size(no), false);
}

TEST_CASE("math_equivalent: symbolic expressions") {
  const Pair yes[] = {{"x^2+2x+1", "(x+1)^2"},       {"(x-y)(x+y)", "x^2-y^2"},
                      {"\\frac{x}{2}", "0.5x"},      {"2x+3", "3+2x"},
                      {"x^{2}", "x\\cdot x"},        {"2^{10}", "2^10"},
                      {"\\frac{x^2-1}{x-1}", "x+1"}, {"a_1+a_2", "a_2+a_1"},
                      {"\\sin^2x+\\cos^2x", "1"},    {"\\frac{1}{2}(x+1)", "\\frac{x+1}{2}"}};
  const Pair no[] = {{"x", "y"},       {"x^2", "x"}, {"\\sqrt{x^2}", "x"},
                     {"2x+1", "2x-1"}, {"x=5", "5"}, {"x_1", "x_2"}};
  check_all(yes, std::size(yes), true);
  check_all(no, std::size(no), false);
}

// sympy's LaTeX grammar (LaTeX.g4): \binom takes two brace groups; the lexer skips TeX spacing,
// so the DIGIT tokens of `1\,000` make one number; an unbraced subscript is an atom (a whole
// number), named `x_{1}` whether braced or not; `\log_28` has no argument left if the base takes
// both digits, so ANTLR's prediction ends the base at 2 (`\log_28x` keeps base 28).
TEST_CASE("math_equivalent: binomials spacing log bases and subscripts as sympy reads them") {
  const Pair yes[] = {{"\\binom{6}{2}", "15"},
                      {"\\dbinom{6}{2}", "15"},
                      {"\\tbinom{6}{2}", "\\binom{6}{4}"},
                      {"\\binom{6}{-1}", "0"},
                      {"\\binom{0.5}{2}", "-0.125"},
                      {"\\binom{10}{3}\\cdot2", "240"},
                      {"1\\,000", "1000"},
                      {"12\\,345\\,678", "12345678"},
                      {"1\\,000.5", "1000.5"},
                      {"2\\,3", "23"},
                      {"\\log_28", "3"},
                      {"\\log_2 8", "3"},
                      {"\\log_{2}8", "3"},
                      {"\\ln_28", "3"},
                      {"\\log_216", "\\log_{21}6"},
                      {"\\log_28x", "\\log_{28}x"},
                      {"\\log_2.58", "\\log_{2.5}8"},
                      {"x_1", "x_{1}"},
                      {"x_12", "x_{12}"},
                      {"x_{a}", "x_a"},
                      {"\\alpha_1", "\\alpha_{1}"},
                      {"2x_1+1", "1+2x_{1}"}};
  const Pair no[] = {
      {"\\binom{6}{2}", "30"}, {"\\binom62", "15"}, {"2\\,3", "6"}, {"\\log_28", "\\log_{28}8"},
      {"\\log_381", "4"},      {"x_12", "2x_1"},    {"x_1", "x_2"}};
  check_all(yes, std::size(yes), true);
  check_all(no, std::size(no), false);
}

TEST_CASE("math_equivalent: tuples, intervals and unions (beyond sympy)") {
  const Pair yes[] = {{"(1,2)", "(1, 2)"},
                      {"(\\frac{1}{2},3)", "(0.5,3)"},
                      {"\\left(1,2\\right)", "(1,2)"},
                      {"[2,\\infty)", "[2, \\infty)"},
                      {"(-\\infty,0)\\cup(1,\\infty)", "(-\\infty, 0) \\cup (1, \\infty)"},
                      {"(1,2]", "(1.0,2]"},
                      {"1,2", "1, 2"},
                      {"(1,2,3)", "(1,2,3.0)"}};
  const Pair no[] = {{"(1,2)", "(2,1)"},
                     {"(1,2]", "(1,2)"},
                     {"[2,\\infty)", "(2,\\infty)"},
                     {"(1,2)", "(1,2,3)"},
                     {"(-\\infty,0)", "(\\infty,0)"},
                     {"(1,2)\\cup(3,4)", "(1,2)"},
                     {"(1,2)", "1,2"}};
  check_all(yes, std::size(yes), true);
  check_all(no, std::size(no), false);
}

TEST_CASE("math_equivalent: identical strings and junk") {
  CHECK(math_equivalent("", ""));
  CHECK(math_equivalent("\\iny", "\\iny"));
  CHECK(math_equivalent("\\text{(C)}", "\\text{(C)}"));
  CHECK_FALSE(math_equivalent("[invalidanswer]", "5"));
  CHECK_FALSE(math_equivalent("\\le(1,2\\right)", "(1,2)"));
  CHECK_FALSE(math_equivalent("(((",
                              "((("
                              "("));
  CHECK_FALSE(math_equivalent("\\frac{1}{2", "\\frac{1}{2}"));
  CHECK_FALSE(math_equivalent("\\sqrt{[}3]{2}", "2^{1/3}"));
  std::string deep(5000, '(');
  CHECK_FALSE(math_equivalent(deep + "1", "1"));  // depth limit, not a stack overflow
}
