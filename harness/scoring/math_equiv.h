// Mathematical equivalence of two normalized MATH answers: what lm-eval's minerva_math accepts
// through sympy (simplify(parse_latex(a) - parse_latex(b)) == 0), decided without sympy.
#pragma once

#include <string_view>

namespace moebench {

// True when `a` and `b` denote the same value: identical strings; numbers, fractions, radicals,
// pi and polynomial-like expressions that agree numerically (variables sampled at fixed random
// complex points); and, beyond sympy, tuples, intervals and their unions compared element by
// element. Never throws: anything it cannot parse is equivalent only to itself.
bool math_equivalent(std::string_view a, std::string_view b);

}  // namespace moebench
