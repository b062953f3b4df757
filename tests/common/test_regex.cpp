// Regex: Python `re` semantics the scorers rely on.
#include "common/error.h"
#include "common/regex.h"
#include "tests/catch.h"

using moebench::Regex;

TEST_CASE("findall returns groups like Python", "[regex]") {
  Regex strict("#### (\\-?[0-9\\.\\,]+)");
  auto m = strict.findall("so #### 1,234.5 and #### -7");
  REQUIRE(m.size() == 2);
  CHECK(m[0][0] == "1,234.5");
  CHECK(m[1][0] == "-7");

  Regex flex("(-?[$0-9.,]{2,})|(-?[0-9]+)");
  auto f = flex.findall("a 5 then $12.50 x");
  REQUIRE(f.size() == 2);
  CHECK(f[0][0] == "");
  CHECK(f[0][1] == "5");
  CHECK(f[1][0] == "$12.50");
}

TEST_CASE("empty matches follow Python 3.7 rules", "[regex]") {
  CHECK(Regex("x*").sub("-", "abxd") == "-a-b--d-");
  CHECK(Regex("").sub("-", "ab") == "-a-b-");
  auto parts = Regex("x*").findall("axb");
  CHECK(parts.size() == 4);  // '', 'x', '', ''
}

TEST_CASE("anchors, dotall and replacement templates", "[regex]") {
  // `$` matches at the end and before a final newline, like Python without MULTILINE.
  CHECK(Regex("\\.$").sub("", "88.") == "88");
  CHECK(Regex("\\.$").sub("", "a.\nb.") == "a.\nb");
  CHECK(Regex("(?s).*#### ").sub("", "line1\nline2\n#### 42") == "42");
  CHECK(Regex(".*#### ").sub("", "line1\n#### 42") == "line1\n42");
  CHECK(Regex("(frac)([^{])(.)").sub("frac{\\2}{\\3}", "\\frac12") == "\\frac{1}{2}");
  CHECK(Regex("(?i)answer").sub("X", "ANSWER answer") == "X X");
  CHECK(Regex("^a", {.multiline = true}).sub("b", "a\na") == "b\nb");
  CHECK(Regex("^a").sub("b", "a\na") == "b\na");
  CHECK(Regex("a.b", {.dotall = true}).fullmatch("a\nb"));
  CHECK_FALSE(Regex("a.b").fullmatch("a\nb"));
}

TEST_CASE("unicode classes and code points", "[regex]") {
  CHECK(Regex("答案[:：]?\\s*([A-D])").findall("所以答案：C")[0][0] == "C");
  CHECK(Regex(".").findall("π2").size() == 2);
}

TEST_CASE("bad pattern is an InputError naming it", "[regex]") {
  REQUIRE_THROWS_AS(Regex("(unclosed"), moebench::InputError);
}
