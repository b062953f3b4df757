// simple-evals answer extraction as filter steps (simple_evals_mc, simple_evals_answer,
// mgsm_answer, simple_evals_code) and the mgsm_match metric (score_mgsm). Hand-written: this is
// the product.
//
// Copied from openai/simple-evals main as of the HealthBench release (mgsm_eval.py and
// humaneval_eval.py at 5e623c2b400af62a1278e23595f95b0853d7fe8a; common.py and mmlu_eval.py in the
// same state). NOTE: where versions differ we follow the newest: ANSWER_PATTERN_MULTICHOICE and
// MULTILINGUAL_ANSWER_PATTERN_TEMPLATE use `[ \t]*` between "Answer:" and the letter (older
// versions had `\s*`, which crossed newlines); one stored version wraps the template in
// `(?=(?:...))`, which gives the same re.search group 1. tests/scoring/reference_simple_evals.py
// holds the Python text these are checked against (test_parity_simple_evals.cpp).
#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/error.h"
#include "common/py_text.h"
#include "common/regex.h"
#include "harness/scoring/builtins.h"
#include "harness/scoring/registry.h"

namespace moebench {
namespace {

// common.py MULTILINGUAL_ANSWER_REGEXES, in order (the order decides which language wins).
// NOTE: the second entry ends in six U+200B (the "Korean invisible character"), and upstream
// stores the two Yoruba words "Àmọ̀nà" and "Ànúgọ" decomposed (NFD); both written as escapes here.
const std::vector<std::string> kMultilingualAnswerRegexes = {
    "Answer\\s*:",
    "Answer\\s*:\u200b\u200b\u200b\u200b\u200b\u200b",
    "উত্তর\\s*:",
    "उत्तर\\s*:",
    "উত্তরঃ",
    "উত্তর\\s*:",
    "Antwort\\s*:",
    "답변\\s*:",
    "정답\\s*:",
    "답\\s*:",
    "答案\\s*：",
    "答案\\s*:",
    "答\\s*：",
    "答\\s*:",
    "答复\\s*：",
    "答曰\\s*：",
    "الإجابة:",
    "الجواب:",
    "إجابة:",
    "الإجابة النهائية:",
    "الإجابة الصحيحة:",
    "الإجابة الصحيحة هي:",
    "الإجابة هي:",
    "الجواب النهائي:",
    "Respuesta\\s*:",
    "Risposta\\s*:",
    "答え\\s*:",
    "答え\\s*：",
    "回答\\s*:",
    "回答\\s*：",
    "解答\\s*:",
    "Jawaban\\s*:",
    "Réponse\\s*:",
    "Resposta\\s*:",
    "Jibu\\s*:",
    "Idahun\\s*:",
    "Ìdáhùn\\s*:",
    "Idáhùn\\s*:",
    "A\u0300m\u1ecd\u0300na\u0300\\s*:",
    "Àdáhùn\\s*:",
    "A\u0300nu\u0301go\u0323\\s*:",
    "Àṣàyàn\\s*:",
};

// MULTILINGUAL_ANSWER_PATTERN_TEMPLATE without its Latin class:
// "(?i){}[ \t]*([A-D]|[أ-د]|[অ]|[ব]|[ড]|[ঢ]|[Ａ]|[Ｂ]|[Ｃ]|[Ｄ])".
const std::string kNonLatinLetters = "|[أ-د]|[অ]|[ব]|[ড]|[ঢ]|[Ａ]|[Ｂ]|[Ｃ]|[Ｄ])";

// common.py ANSWER_PATTERN (math_eval.py's extraction).
const char* kAnswerPattern = "(?i)Answer\\s*:\\s*([^\\n]+)";

// common.py normalize_response: str.replace in this order.
const std::vector<std::pair<std::string, std::string>> kResponseReplacements = {
    {"**", ""},        {"$\\boxed{", ""}, {"}$", ""},      {"\\$", ""},    {"$\\text{", ""},
    {"$", ""},         {"\\mathrm{", ""}, {"\\{", ""},     {"\\text", ""}, {"\\(", ""},
    {"\\mathbf{", ""}, {"{", ""},         {"\\boxed", ""},
};

// common.py normalize_extracted_answer: Arabic, Bengali and full-width letters for A-D.
const std::vector<std::pair<std::string, std::string>> kLetterReplacements = {
    {"أ", " A"}, {"ب", " B"}, {"ج", " C"},  {"د", " D"},  {"অ", " A"},  {"ব", " B"},
    {"ড", " C"}, {"ঢ", " D"}, {"Ａ", " A"}, {"Ｂ", " B"}, {"Ｃ", " C"}, {"Ｄ", " D"},
};

// Python str.replace(from, to): every non-overlapping occurrence, left to right.
std::string py_replace(std::string s, const std::string& from, const std::string& to) {
  for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) {
    s.replace(p, from.size(), to);
  }
  return s;
}

std::string normalize_response(std::string s) {
  for (const auto& [from, to] : kResponseReplacements) s = py_replace(std::move(s), from, to);
  return s;
}

std::string normalize_extracted_answer(std::string s) {
  for (const auto& [from, to] : kLetterReplacements) s = py_replace(std::move(s), from, to);
  return py_strip(s);
}

// mmlu_eval.py: normalize_response, then re.search with each multilingual regex in order; the
// first hit gives normalize_extracted_answer(group 1); none -> fallback.
// NOTE: our generalisation for items that do not have exactly A-D (ARC: 3 to 5 options, some
// labelled 1-5): the Latin class [A-D] becomes [<letters>] (still under (?i), so "answer: e" gives
// "e", which scores wrong as "answer: b" does upstream). The non-Latin alternatives stand for A-D
// only and stay exactly as upstream, whatever `letters` is. letters "ABCD" is upstream verbatim.
FilterStep make_simple_evals_mc(const nlohmann::json& args, const std::string& where) {
  scoring_check_args(args, where, {"letters", "fallback"});
  const std::string letters = scoring_arg_letters(args, where, "ABCD", true);
  const std::string fallback = scoring_arg_string(args, "fallback", where, "[invalid]");
  const std::string latin = letters == "ABCD" ? "[A-D]" : "[" + letters + "]";
  std::vector<std::shared_ptr<const Regex>> res;
  for (const auto& answer_regex : kMultilingualAnswerRegexes) {
    res.push_back(
        scoring_regex("(?i)" + answer_regex + "[ \t]*(" + latin + kNonLatinLetters, {}, where));
  }
  return [res, fallback](std::vector<std::string> resps, const FilterContext&) {
    for (auto& r : resps) {
      const std::string text = normalize_response(std::move(r));
      r = fallback;
      for (const auto& re : res) {
        RegexMatch m;
        if (re->search(text, &m)) {
          r = normalize_extracted_answer(m.group(text, 1));
          break;
        }
      }
    }
    return resps;
  };
}

// math_eval.py: re.search(ANSWER_PATTERN, response), group 1 as it is (no strip: a trailing
// "\r" or space stays); no match -> fallback (upstream: None).
FilterStep make_simple_evals_answer(const nlohmann::json& args, const std::string& where) {
  scoring_check_args(args, where, {"fallback"});
  const std::string fallback = scoring_arg_string(args, "fallback", where, "[invalid]");
  auto re = scoring_regex(kAnswerPattern, {}, where);
  return [re, fallback](std::vector<std::string> resps, const FilterContext&) {
    for (auto& r : resps) {
      RegexMatch m;
      r = re->search(r, &m) ? m.group(r, 1) : fallback;
    }
    return resps;
  };
}

// mgsm_eval.py parse_answer: the text after the last `prefix` (str.split(prefix)[-1]), commas
// removed, the last \d+\.?\d* (Python \d: any Unicode decimal digit) without a trailing ".".
// Returns "" where upstream does (no prefix, no number).
std::string mgsm_parse_answer(const std::string& answer, const std::string& prefix,
                              const Regex& number) {
  size_t after = std::string::npos;
  // split() scans left to right without overlaps, which rfind() would not reproduce for a
  // prefix that overlaps itself.
  for (size_t p = answer.find(prefix); p != std::string::npos;
       p = answer.find(prefix, p + prefix.size())) {
    after = p + prefix.size();
  }
  if (after == std::string::npos) return "";
  const std::string text = py_replace(py_strip(answer.substr(after)), ",", "");
  auto numbers = number.findall(text);
  if (numbers.empty()) return "";
  std::string last = numbers.back()[0];
  while (!last.empty() && last.back() == '.') last.pop_back();
  return last;
}

// mgsm_eval.py score_mgsm: a prediction with a "." loses trailing zeros, then a trailing ".";
// commas are removed from both; then string equality.
bool mgsm_score(std::string target, std::string prediction) {
  if (prediction.find('.') != std::string::npos) {
    while (!prediction.empty() && prediction.back() == '0') prediction.pop_back();
    while (!prediction.empty() && prediction.back() == '.') prediction.pop_back();
  }
  return py_replace(std::move(target), ",", "") == py_replace(std::move(prediction), ",", "");
}

FilterStep make_mgsm_answer(const nlohmann::json& args, const std::string& where) {
  scoring_check_args(args, where, {"prefix", "fallback"});
  const std::string prefix = scoring_arg_string(args, "prefix", where, "Answer");
  // Python's str.split("") raises ValueError: empty separator.
  if (prefix.empty()) throw input_error(where + ".prefix", "must not be empty");
  const std::string fallback = scoring_arg_string(args, "fallback", where, "");
  auto number = scoring_regex("\\d+\\.?\\d*", {}, where);
  return [prefix, fallback, number](std::vector<std::string> resps, const FilterContext&) {
    for (auto& r : resps) {
      std::string parsed = mgsm_parse_answer(r, prefix, *number);
      r = parsed.empty() ? fallback : parsed;
    }
    return resps;
  };
}

// humaneval_eval.py find_code: the first ```python\n ... ``` block (else the whole completion),
// then [find(":\n    ") + 2:], which removes a signature line. NOTE: as upstream, when there is
// no ":\n    " find() is -1 and the slice drops the first character (a code point, not a byte).
std::string find_code(const std::string& completion, const Regex& fence) {
  RegexMatch m;
  std::string code = fence.search(completion, &m) ? m.group(completion, 1) : completion;
  size_t at = code.find(":\n    ");
  if (at != std::string::npos) return code.substr(at + 2);
  if (code.empty()) return code;
  return code.substr(std::min(code.size(), utf8_len(static_cast<unsigned char>(code[0]))));
}

FilterStep make_simple_evals_code(const nlohmann::json& args, const std::string& where) {
  scoring_check_args(args, where, {});
  auto fence = scoring_regex("```python\\n(.*?)```", Regex::Options{.dotall = true}, where);
  return [fence](std::vector<std::string> resps, const FilterContext&) {
    for (auto& r : resps) r = find_code(r, *fence);
    return resps;
  };
}

// score_mgsm(target, prediction) per prediction, averaged (n = 1 greedy gives 0 or 1).
MetricFn make_mgsm_match(const nlohmann::json& args, const std::string& where) {
  scoring_check_args(args, where, {});
  return [](const MetricInput& in) {
    MetricValue v;
    if (!in.predictions || in.predictions->empty()) {
      v.detail = {{"error", "no predictions"}};
      return v;
    }
    double hits = 0;
    for (const auto& p : *in.predictions) hits += mgsm_score(in.target, p);
    v.value = hits / static_cast<double>(in.predictions->size());
    v.detail = {{"prediction", in.predictions->front()}, {"target", in.target}};
    return v;
  };
}

}  // namespace

void scoring_register_simple_evals() {
  filter_register("simple_evals_mc", make_simple_evals_mc);
  filter_register("simple_evals_answer", make_simple_evals_answer);
  filter_register("mgsm_answer", make_mgsm_answer);
  filter_register("simple_evals_code", make_simple_evals_code);
  metric_register({.name = "mgsm_match", .higher_is_better = true, .make = make_mgsm_match});
}

}  // namespace moebench
