// Parity with lm-eval's Python: every helper's output on a corpus of >= 200 responses must equal,
// string for string, what tests/math/reference_math.py computes.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "harness/scoring/hendrycks_math.h"
#include "harness/scoring/math_equiv.h"
#include "harness/scoring/math_normalize.h"
#include "tests/catch.h"
#include "tests/math/math_cases.h"

using namespace moebench;
using nlohmann::json;

namespace {

// Answer bodies models write, combined with the templates below.
const char* const kBodies[] = {
    "5",
    "-3",
    "0.5",
    ".5",
    "\\frac12",
    "\\dfrac{1}{2}",
    "-\\frac{1}{2}",
    "\\frac{-1}{2}",
    "\\frac123",
    "\\frac1{72}",
    "\\frac{72}1",
    "\\frac",
    "2\\sqrt3",
    "\\sqrt{12}",
    "\\sqrt",
    "\\sqrt[3]{2}",
    "2\\pi/3",
    "\\frac{2\\pi}{3}",
    "10,000",
    "10{,}000",
    "10,\\!000",
    "1,000.5",
    "\\$18.90",
    "25\\%",
    "25%",
    "30^\\circ",
    "30^{\\circ}",
    "12\\text{ cm}",
    "12 \\text{ cm}^2",
    "\\text{ cm}\\text{ m}",
    "5 dollars",
    "x = 5",
    "k = 7",
    "abc = 7",
    "f(x) = 3",
    "x=1=2",
    "\\left(1, 2\\right)",
    "(1,2)",
    "[2, \\infty)",
    "(-\\infty, 0) \\cup "
    "(1, \\infty)",
    "\\text{Monday}",
    "\\textbf{(A)}",
    "\\overline{AB}",
    "\\mbox{and}",
    "3/4",
    "x/4",
    "03/4",
    "-3/4",
    "1/2/3",
    "",
    " ",
    "\\boxed{12}",
    "\\boxed 12",
    "\\fbox{7}",
    "\\boxed{\\frac{1}{\\sqrt{2}}}",
    "a and b",
    "an apple",
    "\"6\"",
    "\\ldots",
    "2\\cdot 10^3",
    "x^2 + 2x + 1",
    "\\{1, 2\\}",
    "7.",
    "7.\\,",
    "\u00bd",
    "x\u00b2",
    "1,2\u00b2",
    "\u00a07\u3000",
    "\u03b1\u03b2=3",
    "\\frac\u00bd3",
    "a\\\\b",
    "\\!1",
    "\\text{\ns}",
    "multiples",
    "5 \\text{m}",
    "$5$ and $6$",
    "\\begin{pmatrix}1\\\\2"
    "\\end{pmatrix}",
};

// %s is replaced with a body.
const char* const kTemplates[] = {
    "Final Answer: The final answer is $%s$. I hope it is correct.",
    "Final Answer: The final answer is %s. I hope it is correct.",
    "So $y = %s$.\nFinal Answer: The final answer is $%s$. I hope it is correct.",
    "The answer is $\\boxed{%s}$.",
    "%s",
    "Thus \\boxed %s$ end",
    "Final Answer: The final answer is $%s$ ",
    "Final Answer: The final answer is $%s$.",
};

std::string fill(std::string tmpl, const std::string& body) {
  for (size_t at; (at = tmpl.find("%s")) != std::string::npos;) tmpl.replace(at, 2, body);
  return tmpl;
}

json opt(const std::optional<std::string>& s) { return s ? json(*s) : json(); }

// What the C++ computes for one record; the same keys as reference_math.py's record().
json cpp_record(const std::string& s, const std::string& b) {
  std::optional<std::string> boxed = last_boxed_only_string(s);
  std::optional<std::string> unboxed = boxed ? remove_boxed(*boxed) : std::nullopt;
  std::string unnormalized = minerva_get_unnormalized_answer(s);
  json r;
  r["unnormalized"] = unnormalized;
  r["minerva"] = minerva_normalize_final_answer(unnormalized);
  r["normalize"] = minerva_normalize_final_answer(s);
  r["last_boxed"] = opt(boxed);
  r["remove_boxed"] = opt(remove_boxed(s));
  r["boxed_answer"] = opt(unboxed);
  r["gold_minerva"] = unboxed ? json(minerva_normalize_final_answer(*unboxed)) : json();
  r["hendrycks_answer"] = hendrycks_extract_answer(s);
  r["strip"] = opt(hendrycks_strip_string(s));
  r["is_equiv"] = hendrycks_is_equiv(hendrycks_extract_answer(s), b);
  return r;
}

std::vector<std::pair<std::string, std::string>> build_corpus() {
  std::vector<std::pair<std::string, std::string>> corpus;
  for (const auto& c : moebench_test::kMathCases) {
    corpus.emplace_back(c.response,
                        remove_boxed(last_boxed_only_string(c.solution).value_or("")).value_or(""));
    corpus.emplace_back(c.solution, c.response);
  }
  const size_t n = std::size(kBodies);
  for (size_t i = 0; i < n; ++i) {
    for (size_t t = 0; t < std::size(kTemplates); ++t) {
      // Pair each response with another body as the hendrycks gold, so both verdicts occur.
      corpus.emplace_back(fill(kTemplates[t], kBodies[i]), kBodies[(i + t) % n]);
    }
  }
  return corpus;
}

}  // namespace

TEST_CASE("math helpers match lm-eval's Python string for string") {
  const char* python = "/usr/bin/python3";
  if (access(python, X_OK) != 0) {
    WARN("SKIPPED: " << python << " not found; the Python parity check did not run");
    return;
  }
  auto corpus = build_corpus();
  REQUIRE(corpus.size() >= 200);
  auto dir =
      std::filesystem::temp_directory_path() / ("moebench_math_parity_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const auto in_path = dir / "in.jsonl";
  const auto out_path = dir / "out.jsonl";
  {
    std::ofstream in(in_path);
    for (const auto& [s, b] : corpus) in << json({{"s", s}, {"b", b}}).dump() << "\n";
  }
  std::string cmd = std::string(python) + " " + MOEBENCH_SOURCE_DIR +
                    "/tests/math/reference_math.py " + in_path.string() + " " + out_path.string();
  REQUIRE(std::system(cmd.c_str()) == 0);

  std::ifstream out(out_path);
  std::string line;
  size_t records = 0, compared = 0, differed = 0;
  while (std::getline(out, line)) {
    json py = json::parse(line);
    REQUIRE(records < corpus.size());
    const auto& [s, b] = corpus[records++];
    REQUIRE(py["s"] == s);
    json cpp = cpp_record(s, b);
    for (const auto& [key, want] : py.items()) {
      if (key == "s" || key == "b") continue;
      ++compared;
      if (cpp[key] != want) {
        ++differed;
        FAIL_CHECK(key << " differs on " << json(s).dump() << "\n  python: " << want.dump()
                       << "\n  c++:    " << cpp[key].dump());
      }
    }
  }
  CHECK(records == corpus.size());
  std::printf("math parity: %zu responses, %zu strings compared, %zu differed\n", records, compared,
              differed);
  std::filesystem::remove_all(dir);
}

// Dev-time: MOEBENCH_MATH_EQUIV_DUMP=path writes our minerva_equiv verdicts on the corpus (and
// the adversarial cases) for scripts/math_equiv_diff.py to compare with sympy.
TEST_CASE("math_equivalent verdicts dump (only with MOEBENCH_MATH_EQUIV_DUMP)") {
  const char* path = std::getenv("MOEBENCH_MATH_EQUIV_DUMP");
  if (!path) return;
  std::ofstream out(path);
  auto corpus = build_corpus();
  for (const auto& [s, b] : corpus) {
    std::string pred = minerva_normalize_final_answer(minerva_get_unnormalized_answer(s));
    std::string gold = minerva_normalize_final_answer(b);
    out << json({{"a", pred}, {"b", gold}, {"ours", math_equivalent(pred, gold)}}).dump() << "\n";
  }
  REQUIRE(out.good());
}
