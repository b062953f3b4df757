// Numeric evaluation of math_equivalent's expression tree, in complex doubles.
#include "harness/scoring/math_equiv_eval.h"

#include <cmath>

namespace moebench::math_equiv_detail {
namespace {

// `-0.0` imaginary parts flip the branch of sqrt/log/pow; sympy has no signed zero.
Complex clean(Complex z) { return z.imag() == 0 ? Complex(z.real(), 0.0) : z; }

bool is_small_int(Complex z, double* n) {
  if (z.imag() != 0 || std::abs(z.real()) > 1024 || z.real() != std::round(z.real())) return false;
  *n = z.real();
  return true;
}

// z^n by squaring: exact for integer powers where std::pow goes through exp/log.
Complex int_power(Complex z, long n) {
  if (n < 0) return Complex(1.0) / int_power(z, -n);
  Complex out(1.0);
  while (n > 0) {
    if (n & 1) out *= z;
    z *= z;
    n >>= 1;
  }
  return out;
}

// sympy's binomial(n, k) for an integer k: 0 below 0, else n(n-1)...(n-k+1)/k!, any n. NOTE:
// with a variable n it is evaluated (sympy's simplify leaves binomial(n, 2) - n(n-1)/2 alone).
Complex binomial(Complex n, Complex k) {
  double kk = 0;
  if (!is_small_int(k, &kk)) return Complex(std::nan(""), std::nan(""));
  Complex out(1.0);
  for (long i = 0; i < static_cast<long>(kk); ++i) out = out * (n - double(i)) / double(i + 1);
  return kk < 0 ? Complex(0.0) : clean(out);
}

Complex eval_function(const std::string& name, Complex x) {
  if (name == "sin") return std::sin(x);
  if (name == "cos") return std::cos(x);
  if (name == "tan") return std::tan(x);
  if (name == "sec") return 1.0 / std::cos(x);
  if (name == "csc") return 1.0 / std::sin(x);
  if (name == "cot") return 1.0 / std::tan(x);
  if (name == "arcsin") return std::asin(x);
  if (name == "arccos") return std::acos(x);
  if (name == "arctan") return std::atan(x);
  if (name == "sinh") return std::sinh(x);
  if (name == "cosh") return std::cosh(x);
  if (name == "tanh") return std::tanh(x);
  if (name == "exp") return std::exp(x);
  return std::log(x);  // ln, log: sympy's \log is the natural logarithm
}

}  // namespace

Complex eval(const Node& n, const Vars& vars) {
  const double nan = std::nan("");
  auto kid = [&](size_t i) { return eval(*n.kids[i], vars); };
  double k = 0;
  switch (n.op) {
    case Op::kNum:
      return Complex(n.num, 0.0);
    case Op::kVar:
      return vars.at(n.name);
    case Op::kPi:
      return Complex(M_PI, 0.0);
    case Op::kInf:
      return Complex(INFINITY, 0.0);
    case Op::kAdd:
      return clean(kid(0) + kid(1));
    case Op::kSub:
      return clean(kid(0) - kid(1));
    case Op::kMul:
      return clean(kid(0) * kid(1));
    case Op::kNeg:
      return clean(-kid(0));
    case Op::kDiv: {
      Complex d = kid(1);
      if (d == Complex(0.0)) return Complex(nan, nan);  // sympy: zoo, never equal to anything
      return clean(kid(0) / d);
    }
    case Op::kPow: {
      Complex base = kid(0), e = kid(1);
      if (is_small_int(e, &k)) return clean(int_power(base, static_cast<long>(k)));
      if (base == Complex(0.0)) return Complex(0.0);
      return clean(std::pow(base, e));
    }
    case Op::kRoot: {
      Complex x = kid(0), index = kid(1);
      if (index == Complex(2.0)) return clean(std::sqrt(x));
      if (x == Complex(0.0)) return Complex(0.0);
      return clean(std::pow(x, 1.0 / index));
    }
    case Op::kFact: {
      Complex x = kid(0);
      if (!is_small_int(x, &k) || k < 0 || k > 170) return Complex(nan, nan);
      return Complex(std::tgamma(k + 1), 0.0);
    }
    case Op::kAbs:
      return Complex(std::abs(kid(0)), 0.0);
    case Op::kLog:
      return clean(std::log(kid(0)) / std::log(kid(1)));
    case Op::kBinom:
      return binomial(kid(0), kid(1));
    case Op::kFunc:
      return clean(eval_function(n.name, kid(0)));
  }
  return Complex(nan, nan);
}

}  // namespace moebench::math_equiv_detail
