// Blank-by-blank comparison of cloze answers (agieval_gaokao_mathcloze): splitting at top-level
// separators, minerva normalization per blank, whole equations where the gold is one.
// Hand-written: this is the product.
#include "harness/scoring/math_cloze.h"

#include "harness/scoring/math_equiv.h"
#include "harness/scoring/math_normalize.h"

namespace moebench {
namespace {

// The separator starting at s[i] (its byte length), or 0.
size_t separator_at(std::string_view s, size_t i, bool commas) {
  static constexpr std::string_view kAlways[] = {";", "\xef\xbc\x9b"};                  // ';' '；'
  static constexpr std::string_view kCommas[] = {",", "\xef\xbc\x8c", "\xe5\x92\x8c"};  // , ， 和
  // NOTE: "\;" and "\," are TeX spacing inside one blank, never separators.
  if (i > 0 && s[i - 1] == '\\') return 0;
  for (std::string_view sep : kAlways) {
    if (s.substr(i).starts_with(sep)) return sep.size();
  }
  if (!commas) return 0;
  for (std::string_view sep : kCommas) {
    if (s.substr(i).starts_with(sep)) return sep.size();
  }
  return 0;
}

// True when both are equations with the same number of sides and math_equivalent agrees side by
// side (in either order for two sides), or on lhs - rhs up to sign. Each test implies the two
// equations have the same solutions; the converse is not attempted (scaled equations differ).
bool equations_equivalent(const std::string& pred, const std::string& gold) {
  const std::vector<std::string> p = math_split(pred, "="), g = math_split(gold, "=");
  if (p.size() != g.size() || p.size() < 2) return false;
  bool sides = true;
  for (size_t i = 0; i < p.size(); ++i) sides = sides && math_equivalent(p[i], g[i]);
  if (sides || p.size() != 2) return sides;
  if (math_equivalent(p[0], g[1]) && math_equivalent(p[1], g[0])) return true;
  auto diff = [](const std::vector<std::string>& e, bool flip) {
    return "(" + e[flip ? 1 : 0] + ")-(" + e[flip ? 0 : 1] + ")";
  };
  return math_equivalent(diff(p, false), diff(g, false)) ||
         math_equivalent(diff(p, false), diff(g, true));
}

bool blank_matches(std::string_view pred, std::string_view gold, bool symbolic) {
  const bool equation = gold.find('=') != std::string_view::npos;
  const MinervaEquals equals = equation ? MinervaEquals::kWhole : MinervaEquals::kLastSide;
  const std::string p = minerva_normalize_final_answer(pred, equals);
  const std::string g = minerva_normalize_final_answer(gold, equals);
  if (p == g) return true;
  if (!symbolic) return false;
  return equation ? equations_equivalent(p, g) : math_equivalent(p, g);
}

}  // namespace

std::vector<std::string> cloze_split_blanks(std::string_view answer, bool commas) {
  std::vector<std::string> blanks;
  auto keep = [&](std::string_view part) {
    std::string blank = math_py_strip(part);
    if (!blank.empty()) blanks.push_back(std::move(blank));
  };
  int depth = 0;  // brackets of any kind: intervals pair '[' with ')' ("[0,1)")
  size_t begin = 0;
  for (size_t i = 0; i < answer.size();) {
    const char c = answer[i];
    if (c == '{' || c == '[' || c == '(') ++depth;
    if ((c == '}' || c == ']' || c == ')') && depth > 0) --depth;
    const size_t sep = depth == 0 ? separator_at(answer, i, commas) : 0;
    if (sep > 0) {
      keep(answer.substr(begin, i - begin));
      begin = i + sep;
      i += sep;
      continue;
    }
    i += math_utf8_char_bytes(answer, i);
  }
  keep(answer.substr(begin));
  return blanks;
}

bool cloze_answers_match(std::string_view pred, std::string_view gold, bool symbolic) {
  const std::vector<std::string> golds = cloze_split_blanks(gold, false);
  std::vector<std::string> preds = cloze_split_blanks(pred, false);
  // NOTE: models list blanks with commas as often as with semicolons; a gold blank may itself
  // hold a comma ("(0,1)"), so commas split the prediction only when semicolons did not give the
  // gold's count, and never the gold.
  if (golds.size() > 1 && preds.size() != golds.size()) preds = cloze_split_blanks(pred, true);
  if (golds.empty() || preds.size() != golds.size()) return false;
  for (size_t i = 0; i < golds.size(); ++i) {
    if (!blank_matches(preds[i], golds[i], symbolic)) return false;
  }
  return true;
}

}  // namespace moebench
