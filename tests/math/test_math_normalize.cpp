// Unit tests of the minerva_math helpers (expected strings taken from lm-eval's Python).
#include <optional>
#include <string>

#include "harness/scoring/math_normalize.h"
#include "tests/catch.h"

using namespace moebench;

TEST_CASE("last_boxed_only_string") {
  CHECK(last_boxed_only_string("\\boxed{\\frac{1}{\\sqrt{2}}} and more") ==
        "\\boxed{\\frac{1}{\\sqrt{2}}}");
  CHECK(last_boxed_only_string("a \\boxed 5$ b") == "\\boxed 5");
  CHECK(last_boxed_only_string("\\fbox{3}") == "\\fbox{3}");
  CHECK(last_boxed_only_string("\\boxed{3") == std::nullopt);
  CHECK(last_boxed_only_string("no box") == std::nullopt);
  CHECK(last_boxed_only_string("\\boxed{1}\\boxed{2}") == "\\boxed{2}");
  CHECK(last_boxed_only_string("\\boxed\\frac{1}{2}") == "\\boxed\\frac{1}");
  CHECK(last_boxed_only_string("") == std::nullopt);
}

TEST_CASE("remove_boxed") {
  CHECK(remove_boxed("\\boxed{5}") == "5");
  CHECK(remove_boxed("\\boxed 5") == "5");
  CHECK(remove_boxed("\\boxed{}") == "");
  CHECK(remove_boxed("\\fbox{5}") == std::nullopt);
  CHECK(remove_boxed("\\boxed\\frac{1}") == std::nullopt);
  CHECK(remove_boxed("x\\boxed 5") == std::nullopt);
}

TEST_CASE("minerva_get_unnormalized_answer") {
  CHECK(minerva_get_unnormalized_answer(
            "Final Answer: The final answer is $7$. I hope it is correct.") == "$7$");
  // `.` does not match a newline, as in Python without re.DOTALL.
  CHECK(minerva_get_unnormalized_answer(
            "Final Answer: The final answer is\n$7$. I hope it is correct.") == "[invalidanswer]");
  CHECK(minerva_get_unnormalized_answer("Final Answer: The final answer is 7") ==
        "[invalidanswer]");
  CHECK(minerva_get_unnormalized_answer("Final Answer: The final answer is 7. I hope it is "
                                        "correct. Final Answer: The final answer is 8. I hope "
                                        "it is correct.") == "7");
  // str.strip() removes Unicode spaces too (U+00A0, U+3000).
  CHECK(minerva_get_unnormalized_answer("Final Answer: The final answer is \u00a07\u3000. I hope "
                                        "it is correct.") == "7");
  CHECK(minerva_get_unnormalized_answer("") == "[invalidanswer]");
}

TEST_CASE("minerva_normalize_final_answer") {
  CHECK(minerva_normalize_final_answer("The answer is 3 units") == "Theansweris3");
  CHECK(minerva_normalize_final_answer("\\text{(A)}") == "(A)");
  CHECK(minerva_normalize_final_answer("10,000") == "10000");
  CHECK(minerva_normalize_final_answer("1,2,3") == "123");
  CHECK(minerva_normalize_final_answer("x=\\frac12") == "\\frac{1}{2}");
  CHECK(minerva_normalize_final_answer("\\sqrt2") == "\\sqrt{2}");
  CHECK(minerva_normalize_final_answer("\\$5.00") == "5.00");
  CHECK(minerva_normalize_final_answer("5 \\text{ cm}^2") == "5");
  CHECK(minerva_normalize_final_answer("\\overline{AB}") == "AB");
  CHECK(minerva_normalize_final_answer("1,000.5") == "1,000.5");
  CHECK(minerva_normalize_final_answer("\\mbox{and}") == ",");
  CHECK(minerva_normalize_final_answer("\\frac123") == "\\frac{1}{2}3");
  CHECK(minerva_normalize_final_answer("\\dfrac{a}{b}") == "\\dfrac{a}{b}");
  CHECK(minerva_normalize_final_answer("\\sqrt[3]{2}") == "\\sqrt{[}3]{2}");
  CHECK(minerva_normalize_final_answer("12\\,345") == "12\\,345");
  CHECK(minerva_normalize_final_answer("\\left( 1,2 \\right)") == "\\le(1,2\\right)");
  CHECK(minerva_normalize_final_answer("2^{\\circ}") == "2");
  CHECK(minerva_normalize_final_answer("\"6\"") == "6");
  CHECK(minerva_normalize_final_answer("a and b") == "andb");
  CHECK(minerva_normalize_final_answer("  7 ") == "7");
  CHECK(minerva_normalize_final_answer("$\\boxed{12}$") == "12");
  CHECK(minerva_normalize_final_answer("") == "");
  // kWhole keeps an equation answer whole; the default is lm-eval's last side.
  CHECK(minerva_normalize_final_answer("$2x + y+1=0$") == "0");
  CHECK(minerva_normalize_final_answer("$2x + y+1=0$", MinervaEquals::kWhole) == "2x+y+1=0");
  CHECK(minerva_normalize_final_answer("x=\\frac12", MinervaEquals::kWhole) == "x=\\frac{1}{2}");
}

TEST_CASE("python string primitives") {
  CHECK(math_replace_all("aaa", "aa", "b") == "ba");
  CHECK(math_replace_all("\\\\%%", "\\%", "") == "\\%");
  CHECK(math_split("a=b=c", "=").size() == 3);
  CHECK(math_split("", "=").size() == 1);
  CHECK(math_py_strip(" \t\u2003x y\u00a0\n") == "x y");
  CHECK(math_py_strip("\u3000") == "");
  CHECK(math_utf8_length("\u03b1\u03b2=3") == 4);
  CHECK(math_py_isdigit("12"));
  CHECK(math_py_isdigit("2\u00b2"));  // superscript two is a digit to str.isdigit()
  CHECK_FALSE(math_py_isdigit(""));
  CHECK_FALSE(math_py_isdigit("1.5"));
  CHECK_FALSE(math_py_isdigit("\u00bd"));  // one half is numeric, not a digit
}
