// Adversarial MATH responses with the verdicts lm-eval gives them (minerva_math exact_match via
// our math_equivalent, normalized string equality, hendrycks_math is_equiv).
#pragma once

namespace moebench_test {

struct MathCase {
  const char* response;
  const char* solution;  // the doc's full solution (MetricInput::target)
  int minerva_equiv;     // math_equivalent(minerva pred, minerva gold)
  int string_match;      // minerva pred == minerva gold
  int hendrycks;         // is_equiv($...$ of the response, boxed answer of the solution)
  const char* why;
};

#define FA(x) "Final Answer: The final answer is " x ". I hope it is correct."

inline const MathCase kMathCases[] = {
    {"The sum is 5.\n" FA("$5$"), "So $x=\\boxed{5}$.", 1, 1, 1, "plain integer"},
    {FA("$\\dfrac{1}{2}$"), "$\\boxed{\\frac{1}{2}}$", 1, 0, 1, "dfrac vs frac"},
    {FA("$\\frac12$"), "$\\boxed{\\frac{1}{2}}$", 1, 1, 1, "frac shorthand"},
    {FA("$0.5$"), "$\\boxed{\\frac{1}{2}}$", 1, 0, 1, "0.5 vs frac12"},
    {FA("$\\frac{\\sqrt{3}}{2}$"), "$\\boxed{\\frac{\\sqrt{3}}{2}}$", 1, 1, 1, "nested braces"},
    {FA("$x = 5$"), "$\\boxed{5}$", 1, 1, 1, "x = 5"},
    {FA("$\\$18.90$"), "costs $\\boxed{\\$18.90}$", 1, 1, 1, "money"},
    {FA("$25\\%$"), "$\\boxed{25\\%}$", 1, 1, 1, "percent both sides (identical)"},
    {FA("$25$"), "$\\boxed{25\\%}$", 0, 0, 1, "percent dropped: only hendrycks strips it"},
    {FA("$10,000$"), "$\\boxed{10000}$", 1, 1, 0, "thousands comma"},
    {FA("$12\\text{ cm}$"), "$\\boxed{12}$", 1, 1, 1, "unit text"},
    {FA("$30^\\circ$"), "$\\boxed{30}$", 1, 1, 1, "degrees"},
    {FA("$\\left(1, 2\\right)$"), "$\\boxed{(1,2)}$", 0, 0, 1,
     "normalize removes the 'ft' of \\left, leaving \\le(1,2\\right)"},
    {"The final answer is 7. I hope it is correct.", "$\\boxed{7}$", 0, 0, 0,
     "no 'Final Answer:' prefix"},
    {"Final Answer: The final answer is 7. I hope it is correct.", "$\\boxed{7}$", 1, 1, 0,
     "no dollars"},
    {"The answer is $\\boxed{7}$.", "$\\boxed{7}$", 0, 0, 0, "missing final-answer sentence"},
    {"We get $x=3$ so the answer is $6$.\n" FA("$6$"), "$\\boxed{6}$", 1, 1, 0, "several $ spans"},
    {FA("$$"), "$\\boxed{5}$", 0, 0, 0, "empty answer"},
    {FA("$[2, \\infty)$"), "$\\boxed{[2,\\infty)}$", 1, 1, 1,
     "infinite interval (both become [2,\\iny): 'ft' is a removed unit)"},
    {FA("$\\left[ 2, \\infty \\right)$"), "$\\boxed{[2,\\infty)}$", 0, 0, 1,
     "interval with left/right: \\le[2,\\iny\\right) after normalize"},
    {FA("$\\frac{-1}{2}$"), "$\\boxed{-\\frac{1}{2}}$", 1, 0, 0, "sign inside the fraction"},
    {FA("$-\\dfrac12$"), "$\\boxed{-\\frac{1}{2}}$", 1, 0, 1, "negative dfrac shorthand"},
    {FA("$2\\sqrt3$"), "$\\boxed{2\\sqrt{3}}$", 1, 1, 1, "sqrt shorthand"},
    {FA("$\\sqrt{12}$"), "$\\boxed{2\\sqrt{3}}$", 1, 0, 0, "unsimplified radical"},
    {FA("$\\frac{2\\pi}{3}$"), "$\\boxed{\\frac{2\\pi}{3}}$", 1, 1, 1, "pi fraction"},
    {FA("$2\\pi/3$"), "$\\boxed{\\frac{2\\pi}{3}}$", 1, 0, 0, "pi with slash"},
    {FA("$x^2+2x+1$"), "$\\boxed{(x+1)^2}$", 1, 0, 0, "expanded polynomial"},
    {FA("$7$"), "$\\boxed{8}$", 0, 0, 0, "wrong"},
    {FA("$0.33$"), "$\\boxed{\\frac{1}{3}}$", 0, 0, 0, "rounded decimal"},
    {FA("$\\text{Monday}$"), "$\\boxed{\\text{Monday}}$", 1, 1, 1, "text answer"},
    {FA("$\\boxed{12}$"), "$\\boxed{12}$", 1, 1, 0, "boxed in the final answer"},
    {FA("3/4"), "$\\boxed{\\frac{3}{4}}$", 1, 0, 0, "slash fraction, no dollars"},
    {FA("$5$"), "so the answer is \\boxed 5$.", 1, 1, 1, "boxed-space gold"},
    {FA("$5$"), "$\\fbox{5}$", 0, 0, 0, "fbox gold: lm-eval's remove_boxed asserts"},
    {FA("$10{,}000$"), "$\\boxed{10,\\!000}$", 1, 1, 0, "TeX thousands separators"},
    {FA("$1.5\\times10^{3}$"), "$\\boxed{1500}$", 1, 0, 0, "scientific notation"},
    {FA("$-3$"), "$\\boxed{-3}$", 1, 1, 1, "negative"},
    {FA("$x^2 + 1$"), "$\\boxed{x^2+1}$", 1, 1, 1, "spaces"},
    {FA("$2^{1/3}$"), "$\\boxed{\\sqrt[3]{2}}$", 0, 0, 0,
     "normalize mangles \\sqrt[3] into \\sqrt{[}3]"},
    {FA("$(2,1)$"), "$\\boxed{(1,2)}$", 0, 0, 0, "tuple order"},
    {FA("$4$"), "$\\boxed{3}$, then $\\boxed{4}$", 1, 1, 1, "last box of the gold"},
    {"Final Answer: The final answer is $9$.", "$\\boxed{9}$", 0, 0, 1,
     "cut before the sentence, no space: no match"},
    {"Final Answer: The final answer is $9$ ", "$\\boxed{9}$", 1, 1, 1,
     "cut before the sentence with a trailing space"},
    {FA("$y = 2x + 3$"), "$\\boxed{2x+3}$", 1, 1, 1, "short lhs"},
    {FA("$f(x) = 3$"), "$\\boxed{3}$", 1, 1, 0, "long lhs: hendrycks keeps it"},
    {FA("$\\text{(C)}$"), "$\\boxed{\\text{(C)}}$", 1, 1, 1, "choice letter"},
    {"", "$\\boxed{5}$", 0, 0, 0, "empty response"},
    {FA("$2/3$"), "$\\boxed{\\frac{2}{3}}$", 1, 0, 1, "a/b"},
    {FA("$\\frac34$"), "$\\boxed{\\dfrac{3}{4}}$", 1, 0, 1, "dfrac gold"},
    {FA("$\\frac{1}{2}$ inches"), "$\\boxed{\\frac12}$", 1, 1, 1, "unit word outside math"},
    {FA("$(-\\infty, 0) \\cup (1, \\infty)$"), "$\\boxed{(-\\infty,0)\\cup(1,\\infty)}$", 1, 1, 1,
     "union"},
    {FA("$(1, 2]$"), "$\\boxed{(1,2)}$", 0, 0, 0, "interval closedness"},
    {FA("$\\frac{\\sqrt{2}}{2}$"), "$\\boxed{\\frac{1}{\\sqrt{2}}}$", 1, 0, 0,
     "rationalized denominator"},
    {FA("$3.0$"), "$\\boxed{3}$", 1, 0, 0, "trailing zero decimal"},
    {FA("$1.000$"), "$\\boxed{1}$", 1, 0, 0, "trailing zeros"},
    {FA("$\\frac{6}{4}$"), "$\\boxed{\\frac{3}{2}}$", 1, 0, 0, "unreduced fraction"},
    {FA("$5\\text{ dollars}$"), "$\\boxed{5}$", 1, 1, 1, "dollars word"},
    {FA("$\\textbf{(A)}$"), "$\\boxed{\\text{(A)}}$", 1, 1, 0, "textbf"},
    {FA("$x$"), "$\\boxed{y}$", 0, 0, 0, "different variables"},
    {FA("$\\{1, 2\\}$"), "$\\boxed{\\{1,2\\}}$", 1, 1, 1, "set braces, identical"},
};

#undef FA

}  // namespace moebench_test
