// math_equivalent: a hand-written recursive-descent parser for the LaTeX answer subset of MATH
// (numbers, \frac, \sqrt, \pi, variables, + - * / ^, functions) and a numeric comparison.
#include "harness/scoring/math_equiv.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <complex>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "harness/scoring/math_equiv_eval.h"

namespace moebench {
namespace {

using namespace math_equiv_detail;

// One comma-separated group: a bracketed tuple/interval `(a,b]` (open and close set) or a bare
// expression / list (open == close == 0).
struct Item {
  char open = 0;
  char close = 0;
  std::vector<NodePtr> elems;
};
using Value = std::vector<Item>;  // the pieces of a `\cup` union (one piece when no union)

struct ParseError {};

constexpr int kMaxDepth = 200;      // adversarial nesting fails the parse instead of the stack
constexpr int kMaxLogRetries = 16;  // `\log_123\log_123...` retries nest: bound their product

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

// What sympy's LaTeX lexer skips between tokens (LaTeX.g4's WS, THINSPACE ... NEGTHICKSPACE).
const std::set<std::string> kLexerSpacing = {",",           ":",
                                             ";",           "!",
                                             "quad",        "qquad",
                                             "thinspace",   "medspace",
                                             "thickspace",  "negthinspace",
                                             "negmedspace", "negthickspace"};

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
  int log_retries_ = 0;

  // The name of the command at pos_ ("frac" for `\frac`, "," for `\,`), "" when none.
  std::string command_at(size_t p) const {
    if (p >= s_.size() || s_[p] != '\\' || p + 1 >= s_.size()) return "";
    size_t e = p + 1;
    while (e < s_.size() && is_letter(s_[e])) ++e;
    if (e == p + 1) return std::string(1, s_[p + 1]);
    return std::string(s_.substr(p + 1, e - p - 1));
  }

  // The first position at or after p past whitespace and TeX spacing: the lexer skips them, so
  // the DIGIT tokens of `1\,000` make one number in sympy's `number` rule.
  size_t after_spacing(size_t p) const {
    while (p < s_.size()) {
      char c = s_[p];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        ++p;
        continue;
      }
      std::string cmd = command_at(p);
      if (!kLexerSpacing.count(cmd)) break;
      p += 1 + cmd.size();
    }
    return p;
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
           cmd == "binom" || cmd == "dbinom" || cmd == "tbinom" || cmd == "pi" || cmd == "infty" ||
           kFunctions.count(cmd) || kGreek.count(cmd);
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
  // (so no `.5`), spacing between digits skipped as its lexer does (`1\,000`); sympify then
  // rejects an integer with a leading zero (`03`) as Python does. At most `max_digits` digits
  // (`\log_28`, see parse_function); `used` gets how many were read. Returns the digits, no commas.
  std::string scan_number(int max_digits = INT_MAX, int* used = nullptr) {
    std::string digits;
    int n = 0;
    auto run = [&] {  // DIGIT+: the first digit at pos_, spacing allowed before the next ones
      do {
        digits += s_[pos_++];
        ++n;
        size_t next = after_spacing(pos_);
        if (n >= max_digits || next >= s_.size() || !is_digit(s_[next])) break;
        pos_ = next;
      } while (true);
    };
    run();
    while (n + 3 <= max_digits && pos_ + 3 < s_.size() && s_[pos_] == ',' &&
           is_digit(s_[pos_ + 1]) && is_digit(s_[pos_ + 2]) && is_digit(s_[pos_ + 3]) &&
           (pos_ + 4 >= s_.size() || !is_digit(s_[pos_ + 4]))) {
      digits += s_.substr(pos_ + 1, 3);
      pos_ += 4;
      n += 3;
    }
    if (n < max_digits && pos_ + 1 < s_.size() && s_[pos_] == '.' && is_digit(s_[pos_ + 1])) {
      digits += s_[pos_++];
      run();
    }
    if (used) *used = n;
    bool decimal = digits.find('.') != std::string::npos;
    if (!decimal && digits.size() > 1 && digits[0] == '0' &&
        digits.find_first_not_of('0') != std::string::npos) {
      throw ParseError{};
    }
    return digits;
  }
  NodePtr parse_number(int max_digits = INT_MAX, int* used = nullptr) {
    auto n = make(Op::kNum);
    n->num = std::strtod(scan_number(max_digits, used).c_str(), nullptr);
    return n;
  }

  // One letter, with an optional subscript that becomes part of its name. sympy names the symbol
  // `x_{1}` for both `x_1` and `x_{1}`: an unbraced subscript is an atom (a letter, a command or
  // a whole number, `x_12` = `x_{12}`), a braced one an expression (compared as its text here).
  NodePtr parse_variable() {
    auto n = make(Op::kVar);
    n->name = std::string(1, s_[pos_++]);
    n->name += parse_subscript();
    return n;
  }
  std::string parse_subscript() {
    if (pos_ >= s_.size() || s_[pos_] != '_') return "";
    ++pos_;
    char c = peek();
    std::string text;
    if (c == '{') {
      int depth = 0;
      size_t start = pos_;
      for (; pos_ < s_.size(); ++pos_) {
        depth += s_[pos_] == '{' ? 1 : s_[pos_] == '}' ? -1 : 0;
        if (depth == 0) break;
      }
      if (pos_ >= s_.size()) throw ParseError{};
      Parser inner(s_.substr(start + 1, pos_ - start - 1));  // the text, spacing left out
      for (inner.skip(); !inner.at_end(); inner.skip()) text += inner.s_[inner.pos_++];
      ++pos_;
    } else if (is_digit(c)) {
      text = scan_number();
    } else if (is_letter(c)) {
      text = std::string(1, s_[pos_++]);
    } else if (c == '\\' && !peek_command().empty()) {
      text = "\\" + peek_command();
      pos_ += text.size();
    } else {
      throw ParseError{};
    }
    return "_{" + text + "}";
  }

  NodePtr parse_command() {
    std::string cmd = peek_command();
    pos_ += 1 + cmd.size();
    if (cmd == "frac" || cmd == "dfrac" || cmd == "tfrac" || cmd == "cfrac") {
      NodePtr num = parse_arg(Arg::kDigit);
      return make(Op::kDiv, std::move(num), parse_arg(Arg::kDigit));
    }
    if (cmd == "binom" || cmd == "dbinom" || cmd == "tbinom") {  // brace groups only, as sympy
      NodePtr top = parse_arg(Arg::kBraced);
      return make(Op::kBinom, std::move(top), parse_arg(Arg::kBraced));
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
      n->name = "\\" + cmd + parse_subscript();
      return n;
    }
    if (kFunctions.count(cmd)) return parse_function(cmd);
    throw ParseError{};
  }

  // `\sin x`, `\sin^2(x)`, `\log_2 8`, `\ln(x)`. An unbraced base is a whole number, as
  // sympy's `subexpr` atom, but ANTLR's prediction stops it where the rest would not parse:
  // `\log_28` (nothing left for the argument) is log base 2 of 8, `\log_28x` base 28 of x.
  NodePtr parse_function(const std::string& name) {
    if ((name != "log" && name != "ln") || !eat('_')) return parse_function_rest(name, nullptr);
    if (!is_digit(peek())) return parse_function_rest(name, parse_arg(Arg::kAtom));
    const size_t start = pos_;
    int used = 0;
    NodePtr base = parse_number(INT_MAX, &used);
    try {
      return parse_function_rest(name, std::move(base));
    } catch (const ParseError&) {
      if (used < 2 || ++log_retries_ > kMaxLogRetries) throw;
    }
    pos_ = start;
    return parse_function_rest(name, parse_number(used - 1));
  }
  NodePtr parse_function_rest(const std::string& name, NodePtr base) {
    NodePtr exponent;
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
