// math_equivalent's expression tree and its numeric evaluation (internal to math_equiv.cpp).
#pragma once

#include <complex>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace moebench::math_equiv_detail {

using Complex = std::complex<double>;

enum class Op {
  kNum,
  kVar,
  kPi,
  kInf,
  kAdd,
  kSub,
  kMul,
  kDiv,
  kPow,
  kNeg,
  kFunc,
  kRoot,
  kFact,
  kAbs,
  kLog,
  kBinom
};

struct Node {
  Op op;
  double num = 0;    // kNum
  std::string name;  // kVar: the variable; kFunc: the function
  std::vector<std::unique_ptr<Node>> kids;
};
using NodePtr = std::unique_ptr<Node>;

inline NodePtr make(Op op, NodePtr a = nullptr, NodePtr b = nullptr) {
  auto n = std::make_unique<Node>();
  n->op = op;
  if (a) n->kids.push_back(std::move(a));
  if (b) n->kids.push_back(std::move(b));
  return n;
}

using Vars = std::map<std::string, Complex>;

// The value at `vars`; NaN where sympy's value is undefined (zoo, nan).
Complex eval(const Node& n, const Vars& vars);

}  // namespace moebench::math_equiv_detail
