// math_equivalent: a hand-written recursive-descent parser for the LaTeX answer subset of MATH
// (numbers, \frac, \sqrt, \pi, variables, + - * / ^, functions) and a numeric comparison.
#include "harness/scoring/math_equiv.h"

#include <algorithm>
#include <cmath>
#include <complex>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace moebench {
namespace {

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
  kLog
};

struct Node {
  Op op;
  double num = 0;    // kNum
  std::string name;  // kVar: the variable; kFunc: the function
  std::vector<std::unique_ptr<Node>> kids;
};
using NodePtr = std::unique_ptr<Node>;

NodePtr make(Op op, NodePtr a = nullptr, NodePtr b = nullptr) {
  auto n = std::make_unique<Node>();
  n->op = op;
  if (a) n->kids.push_back(std::move(a));
  if (b) n->kids.push_back(std::move(b));
  return n;
}

// One comma-separated group: a bracketed tuple/interval `(a,b]` (open and close set) or a bare
// expression / list (open == close == 0).
struct Item {
  char open = 0;
  char close = 0;
  std::vector<NodePtr> elems;
};
using Value = std::vector<Item>;  // the pieces of a `\cup` union (one piece when no union)

struct ParseError {};

constexpr int kMaxDepth = 200;  // adversarial nesting fails the parse instead of the stack

const std::set<std::string> kFunctions = {"sin",  "cos",    "tan",    "sec",    "csc",
                                          "cot",  "arcsin", "arccos", "arctan", "sinh",
                                          "cosh", "tanh",   "ln",     "log",    "exp"};
const std::set<std::string> kGreek = {
    "alpha",    "beta",    "gamma", "delta",  "epsilon", "varepsilon", "zeta",  "eta",   "theta",
    "vartheta", "iota",    "kappa", "lambda", "mu",      "nu",         "xi",    "rho",   "sigma",
    "tau",      "upsilon", "phi",   "varphi", "chi",     "psi",        "omega", "Gamma", "Delta",
    "Theta",    "Lambda",  "Xi",    "Sigma",  "Phi",     "Psi",        "Omega"};
// Commands that only change spacing or delimiter size.
const std::set<std::string> kSkippedCommands = {"left", "right", "quad", "qquad", "displaystyle",
                                                "big",  "Big",   "bigg", "Bigg"};

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

class Parser {
 public:
  explicit Parser(std::string_view s) : s_(s) {}

  Value parse_value() {
    Value pieces;
    pieces.push_back(parse_piece());
    while (eat_command("cup")) pieces.push_back(parse_piece());
    if (!at_end()) throw ParseError{};
    return pieces;
  }

 private:
  struct DepthGuard {
    explicit DepthGuard(int* d) : depth(d) {
      if (++*depth > kMaxDepth) throw ParseError{};
    }
    ~DepthGuard() { --*depth; }
    int* depth;
  };

  std::string_view s_;
  size_t pos_ = 0;
  int depth_ = 0;

  // The name of the command at pos_ ("frac" for `\frac`, "," for `\,`), "" when none.
  std::string command_at(size_t p) const {
    if (p >= s_.size() || s_[p] != '\\' || p + 1 >= s_.size()) return "";
    size_t e = p + 1;
    while (e < s_.size() && is_letter(s_[e])) ++e;
    if (e == p + 1) return std::string(1, s_[p + 1]);
    return std::string(s_.substr(p + 1, e - p - 1));
  }

  // Skips whitespace, `~`, TeX spacing (`\,` `\;` `\!` `\ ` `\:`) and `\left` / `\right`.
  void skip() {
    while (pos_ < s_.size()) {
      char c = s_[pos_];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '~') {
        ++pos_;
        continue;
      }
      std::string cmd = command_at(pos_);
      if (cmd == "," || cmd == ";" || cmd == "!" || cmd == " " || cmd == ":") {
        pos_ += 2;
      } else if (kSkippedCommands.count(cmd)) {
        pos_ += 1 + cmd.size();
        if (pos_ < s_.size() && s_[pos_] == '.') ++pos_;  // `\left.` is an empty delimiter
      } else {
        return;
      }
    }
  }
  bool at_end() {
    skip();
    return pos_ >= s_.size();
  }
  char peek() {
    skip();
    return pos_ < s_.size() ? s_[pos_] : '\0';
  }
  bool eat(char c) {
    if (peek() != c) return false;
    ++pos_;
    return true;
  }
  void expect(char c) {
    if (!eat(c)) throw ParseError{};
  }
  std::string peek_command() {
    skip();
    return command_at(pos_);
  }
  bool eat_command(std::string_view name) {
    if (peek_command() != name) return false;
    pos_ += 1 + name.size();
    return true;
  }

  Item parse_piece() {
    size_t save = pos_;
    char open = peek();
    if (open == '(' || open == '[') {
      ++pos_;
      try {
        Item item{open, 0, {}};
        parse_list(&item);
        char close = peek();
        if (item.elems.size() >= 2 && (close == ')' || close == ']')) {
          ++pos_;
          if (at_end() || peek_command() == "cup") {
            item.close = close;
            return item;
          }
        }
      } catch (const ParseError&) {
      }
      pos_ = save;  // not a tuple/interval: a parenthesized expression, parsed below
    }
    Item item;
    parse_list(&item);
    return item;
  }
  void parse_list(Item* item) {
    item->elems.push_back(parse_expr());
    while (eat(',')) item->elems.push_back(parse_expr());
  }

  NodePtr parse_expr() {
    DepthGuard guard(&depth_);
    NodePtr lhs = parse_term();
    while (true) {
      if (eat('+')) {
        lhs = make(Op::kAdd, std::move(lhs), parse_term());
      } else if (eat('-')) {
        lhs = make(Op::kSub, std::move(lhs), parse_term());
      } else {
        return lhs;
      }
    }
  }

  NodePtr parse_term() {
    NodePtr lhs = parse_unary();
    while (true) {
      if (eat('*') || eat_command("cdot") || eat_command("times")) {
        lhs = make(Op::kMul, std::move(lhs), parse_unary());
      } else if (eat('/') || eat_command("div")) {
        lhs = make(Op::kDiv, std::move(lhs), parse_unary());
      } else {
        return lhs;
      }
    }
  }

  NodePtr parse_unary() {
    DepthGuard guard(&depth_);
    if (eat('-')) return make(Op::kNeg, parse_unary());
    if (eat('+')) return parse_unary();
    // Juxtaposition (`2\sqrt{3}`, `3x`) binds tighter than `*` and `/`, as in sympy's grammar.
    NodePtr lhs = parse_power();
    while (starts_operand()) lhs = make(Op::kMul, std::move(lhs), parse_power());
    return lhs;
  }

  bool starts_operand() {
    char c = peek();
    if (is_digit(c) || is_letter(c) || c == '(' || c == '{') return true;
    std::string cmd = peek_command();
    return cmd == "frac" || cmd == "dfrac" || cmd == "tfrac" || cmd == "cfrac" || cmd == "sqrt" ||
           cmd == "pi" || cmd == "infty" || kFunctions.count(cmd) || kGreek.count(cmd);
  }

  NodePtr parse_power() {
    NodePtr base = parse_primary();
    while (true) {
      if (eat('!')) {
        base = make(Op::kFact, std::move(base));
      } else if (eat('^')) {
        base = make(Op::kPow, std::move(base), parse_arg(Arg::kAtom));
      } else {
        return base;
      }
    }
  }

  // What may follow a macro, as in sympy's grammar: kBraced `\sqrt{..}`; kDigit `\frac12` (a
  // brace group or one digit); kAtom `x^2`, `x^{10}`, `2^x`, `e^\pi` (a brace group, a whole
  // number, a letter or a command).
  enum class Arg { kBraced, kDigit, kAtom };

  NodePtr parse_arg(Arg kind) {
    DepthGuard guard(&depth_);
    char c = peek();
    if (c == '{') {
      ++pos_;
      NodePtr e = parse_expr();
      expect('}');
      return e;
    }
    if (kind == Arg::kDigit && is_digit(c)) {
      ++pos_;
      auto n = make(Op::kNum);
      n->num = c - '0';
      return n;
    }
    if (kind == Arg::kAtom && (is_digit(c) || is_letter(c) || c == '\\')) return parse_primary();
    throw ParseError{};
  }

  NodePtr parse_primary() {
    DepthGuard guard(&depth_);
    char c = peek();
    if (is_digit(c)) return parse_number();
    if (is_letter(c)) return parse_variable();
    if (c == '{' || c == '(' || c == '[') {
      ++pos_;
      NodePtr e = parse_expr();
      expect(c == '{' ? '}' : c == '(' ? ')' : ']');
      return e;
    }
    if (c == '|') {
      ++pos_;
      NodePtr e = parse_expr();
      expect('|');
      return make(Op::kAbs, std::move(e));
    }
    if (c == '\\') return parse_command();
    throw ParseError{};
  }

  // sympy's number rule: digits with `,ddd` thousands groups and an optional `.digits` part
  // (so no `.5`); sympify then rejects an integer with a leading zero (`03`) as Python does.
  NodePtr parse_number() {
    std::string digits;
    while (pos_ < s_.size() && is_digit(s_[pos_])) digits += s_[pos_++];
    while (!digits.empty() && pos_ + 3 < s_.size() && s_[pos_] == ',' && is_digit(s_[pos_ + 1]) &&
           is_digit(s_[pos_ + 2]) && is_digit(s_[pos_ + 3]) &&
           (pos_ + 4 >= s_.size() || !is_digit(s_[pos_ + 4]))) {
      digits += s_.substr(pos_ + 1, 3);
      pos_ += 4;
    }
    if (pos_ + 1 < s_.size() && s_[pos_] == '.' && is_digit(s_[pos_ + 1])) {
      digits += s_[pos_++];
      while (pos_ < s_.size() && is_digit(s_[pos_])) digits += s_[pos_++];
    }
    bool decimal = digits.find('.') != std::string::npos;
    if (!decimal && digits.size() > 1 && digits[0] == '0' &&
        digits.find_first_not_of('0') != std::string::npos) {
      throw ParseError{};
    }
    auto n = make(Op::kNum);
    n->num = std::strtod(digits.c_str(), nullptr);
    return n;
  }

  // One letter, with an optional subscript that becomes part of its name (`x_1`, `a_{10}`).
  NodePtr parse_variable() {
    auto n = make(Op::kVar);
    n->name = std::string(1, s_[pos_++]);
    if (pos_ < s_.size() && s_[pos_] == '_') {
      size_t start = ++pos_;
      if (pos_ < s_.size() && s_[pos_] == '{') {
        size_t close = s_.find('}', pos_);
        if (close == std::string_view::npos) throw ParseError{};
        pos_ = close + 1;
      } else if (pos_ < s_.size()) {
        ++pos_;
      } else {
        throw ParseError{};
      }
      n->name += "_" + std::string(s_.substr(start, pos_ - start));
    }
    return n;
  }

  NodePtr parse_command() {
    std::string cmd = peek_command();
    pos_ += 1 + cmd.size();
    if (cmd == "frac" || cmd == "dfrac" || cmd == "tfrac" || cmd == "cfrac") {
      NodePtr num = parse_arg(Arg::kDigit);
      return make(Op::kDiv, std::move(num), parse_arg(Arg::kDigit));
    }
    if (cmd == "sqrt") {
      NodePtr index;
      if (eat('[')) {
        index = parse_expr();
        expect(']');
      } else {
        index = make(Op::kNum);
        index->num = 2;
      }
      NodePtr radicand = parse_arg(Arg::kBraced);
      return make(Op::kRoot, std::move(radicand), std::move(index));
    }
    if (cmd == "pi") return make(Op::kPi);
    if (cmd == "infty") return make(Op::kInf);
    if (kGreek.count(cmd)) {
      auto n = make(Op::kVar);
      n->name = "\\" + cmd;
      return n;
    }
    if (kFunctions.count(cmd)) return parse_function(cmd);
    throw ParseError{};
  }

  // `\sin x`, `\sin^2(x)`, `\log_2 8`, `\ln(x)`.
  NodePtr parse_function(const std::string& name) {
    NodePtr base;
    NodePtr exponent;
    if (name == "log" && eat('_')) base = parse_arg(Arg::kAtom);
    if (eat('^')) exponent = parse_arg(Arg::kAtom);
    char c = peek();
    NodePtr arg = (c == '(' || c == '{' || c == '[') ? parse_primary() : parse_power();
    NodePtr call;
    if (base) {
      call = make(Op::kLog, std::move(arg), std::move(base));
    } else {
      call = make(Op::kFunc, std::move(arg));
      call->name = name;
    }
    if (exponent) call = make(Op::kPow, std::move(call), std::move(exponent));
    return call;
  }
};

using Vars = std::map<std::string, Complex>;

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
    case Op::kFunc:
      return clean(eval_function(n.name, kid(0)));
  }
  return Complex(nan, nan);
}

void collect_vars(const Node& n, std::set<std::string>* out) {
  if (n.op == Op::kVar) out->insert(n.name);
  for (const auto& k : n.kids) collect_vars(*k, out);
}

enum class Verdict { kEqual, kDiffer, kUndefined };

// NOTE: sympy compares exact values; we compare doubles. Constant expressions must agree to
// 1e-12 relative (so a 13+ digit decimal of an irrational passes where sympy, keeping pi or
// sqrt(2) symbolic, would not); expressions with variables to 1e-9, for rounding in expanded
// polynomials evaluated at complex points.
Verdict compare_values(Complex a, Complex b, double tol) {
  auto bad = [](Complex z) { return std::isnan(z.real()) || std::isnan(z.imag()); };
  if (bad(a) || bad(b)) return Verdict::kUndefined;
  auto inf = [](Complex z) { return std::isinf(z.real()) || std::isinf(z.imag()); };
  if (inf(a) || inf(b)) return a == b ? Verdict::kEqual : Verdict::kDiffer;
  double scale = std::max({1.0, std::abs(a), std::abs(b)});
  return std::abs(a - b) <= tol * scale ? Verdict::kEqual : Verdict::kDiffer;
}

constexpr double kTolConstant = 1e-12;
constexpr double kTolVariable = 1e-9;
constexpr int kPoints = 6;       // random complex points per comparison with variables
constexpr int kMinAgreeing = 3;  // defined points that must agree (and none may differ)

bool nodes_equivalent(const Node& a, const Node& b) {
  std::set<std::string> names;
  collect_vars(a, &names);
  collect_vars(b, &names);
  if (names.empty())
    return compare_values(eval(a, {}), eval(b, {}), kTolConstant) == Verdict::kEqual;
  // Complex points keep sqrt(x^2) apart from x, as sympy (no positivity assumption) does.
  std::mt19937_64 rng(0x6d6174685f657175ULL);
  std::uniform_real_distribution<double> coord(-2.0, 2.0);
  int agreeing = 0;
  for (int p = 0; p < kPoints; ++p) {
    Vars vars;
    for (const auto& name : names) vars[name] = Complex(coord(rng), coord(rng));
    Verdict v = compare_values(eval(a, vars), eval(b, vars), kTolVariable);
    if (v == Verdict::kDiffer) return false;
    if (v == Verdict::kEqual) ++agreeing;
  }
  return agreeing >= kMinAgreeing;
}

bool items_equivalent(const Item& a, const Item& b) {
  if (a.open != b.open || a.close != b.close || a.elems.size() != b.elems.size()) return false;
  for (size_t i = 0; i < a.elems.size(); ++i) {
    if (!nodes_equivalent(*a.elems[i], *b.elems[i])) return false;
  }
  return true;
}

}  // namespace

// NOTE: where this accepts more than lm-eval's sympy check, deliberately:
//  - identical strings are equivalent even when sympy cannot parse them ("[2,5)", "\text{(C)}")
//    or gets nan (oo - oo for "\infty");
//  - tuples `(1,2)`, intervals `(a,b]`, `[a,\infty)`, `\cup` unions and bare lists `1,2` are
//    compared element by element (brackets must match); parse_latex rejects them;
//  - numeric tolerance, see compare_values ("0.3333333333333333" equals \frac{1}{3} here).
// And where it is deliberately stricter: sympy 1.11's grammar has no end-of-input rule, so it
// reads "1,2" as 1 (equal to "1" and to "1,5"); here a bare list compares element by element.
// scripts/math_equiv_diff.py measures the agreement with sympy on the test corpus.
bool math_equivalent(std::string_view a, std::string_view b) {
  if (a == b) return true;
  try {
    Value va = Parser(a).parse_value();
    Value vb = Parser(b).parse_value();
    if (va.size() != vb.size()) return false;
    for (size_t i = 0; i < va.size(); ++i) {
      if (!items_equivalent(va[i], vb[i])) return false;
    }
    return true;
  } catch (const ParseError&) {
    return false;
  }
}

}  // namespace moebench
