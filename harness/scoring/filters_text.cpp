// Text filter steps: regex (lm-eval RegexFilter), take_first, strip_think, answer_letter
// (simple-evals), answer_letters (Gaokao lists) and code_block. Hand-written: this is the product.
#include <memory>

#include "common/error.h"
#include "common/py_text.h"
#include "common/regex.h"
#include "common/thinking.h"
#include "harness/scoring/builtins.h"
#include "harness/scoring/registry.h"

namespace moebench {
namespace {

// lm-eval RegexFilter: findall, pick match[group_select] (negative from the end), a tuple yields
// its first non-empty group, then strip(); no match -> fallback.
// NOTE: where lm-eval would raise IndexError (group_select out of range, or a tuple of only empty
// groups) we return the fallback instead of aborting the run.
FilterStep make_regex(const nlohmann::json& args, const std::string& where) {
  scoring_check_args(args, where,
                     {"pattern", "regex_pattern", "group_select", "fallback", "ignore_case"});
  if (args.contains("pattern") == args.contains("regex_pattern")) {
    throw input_error(where + ".pattern", "give exactly one of pattern / regex_pattern");
  }
  const char* key = args.contains("pattern") ? "pattern" : "regex_pattern";
  auto re = scoring_regex(
      scoring_arg_string(args, key, where, ""),
      Regex::Options{.ignore_case = scoring_arg_bool(args, "ignore_case", where, false)},
      where + "." + key);
  const long group_select = scoring_arg_int(args, "group_select", where, 0);
  const std::string fallback = scoring_arg_string(args, "fallback", where, "[invalid]");
  const bool tuples = re->group_count() >= 2;
  return [=](std::vector<std::string> resps, const FilterContext&) {
    for (auto& resp : resps) {
      auto matches = re->findall(resp);
      long i = group_select < 0 ? group_select + static_cast<long>(matches.size()) : group_select;
      if (i < 0 || i >= static_cast<long>(matches.size())) {
        resp = fallback;
        continue;
      }
      const auto& m = matches[i];
      std::string picked = fallback;
      bool found = !tuples;
      if (tuples) {
        for (const auto& g : m) {
          if (!g.empty()) {
            picked = g;
            found = true;
            break;
          }
        }
      } else {
        picked = m[0];
      }
      resp = found ? py_strip(picked) : fallback;
    }
    return resps;
  };
}

// lm-eval take_first: keeps the first of the n responses.
FilterStep make_take_first(const nlohmann::json& args, const std::string& where) {
  scoring_check_args(args, where, {});
  return [](std::vector<std::string> resps, const FilterContext&) {
    if (resps.size() > 1) resps.resize(1);
    return resps;
  };
}

FilterStep make_strip_think(const nlohmann::json& args, const std::string& where) {
  scoring_check_args(args, where, {});
  return [](std::vector<std::string> resps, const FilterContext&) {
    for (auto& r : resps) r = thinking_split(r).answer;
    return resps;
  };
}

// A response that is nothing but a letter: "B", "(B)", "B.", "B)". Our addition to simple-evals,
// for short chat answers; upper case only, so a stray article "a" is never read as choice A.
std::string bare_letter(const std::string& response, const std::string& letters) {
  std::string s = py_strip(response);
  auto ok = [&](char c) { return letters.find(c) != std::string::npos; };
  if (s.size() == 1 && ok(s[0])) return s;
  if (s.size() == 2 && ok(s[0]) && (s[1] == '.' || s[1] == ')')) return s.substr(0, 1);
  if (s.size() == 3 && s[0] == '(' && ok(s[1]) && s[2] == ')') return s.substr(1, 1);
  return "";
}

// simple-evals letter extraction: re.search, i.e. the FIRST "Answer: X" wins (mmlu_eval.py).
// The English pattern is (?i), so "answer: b" yields "b", which, as in simple-evals, does not
// equal gold "B". lang "any" takes whichever of the English/Chinese matches starts first.
FilterStep make_answer_letter(const nlohmann::json& args, const std::string& where) {
  scoring_check_args(args, where, {"lang", "letters", "fallback"});
  const std::string lang = scoring_arg_string(args, "lang", where, "en");
  if (lang != "en" && lang != "zh" && lang != "any") {
    throw input_error(where + ".lang", "expected \"en\", \"zh\" or \"any\", got '" + lang + "'");
  }
  const std::string letters = scoring_arg_letters(args, where, "ABCD", true);
  const std::string fallback = scoring_arg_string(args, "fallback", where, "[invalid]");
  std::vector<std::shared_ptr<const Regex>> res;
  if (lang != "zh") {
    res.push_back(scoring_regex("(?i)Answer[ \\t]*:[ \\t]*\\$?([" + letters + "])\\$?", {}, where));
  }
  if (lang != "en") res.push_back(scoring_regex("答案[:：]?\\s*([" + letters + "])", {}, where));
  return [=](std::vector<std::string> resps, const FilterContext&) {
    for (auto& r : resps) {
      long best = -1;
      std::string letter;
      for (const auto& re : res) {
        RegexMatch m;
        if (re->search(r, &m) && (best < 0 || m.start() < best)) {
          best = m.start();
          letter = m.group(r, 1);
        }
      }
      if (best < 0) letter = bare_letter(r, letters);
      r = letter.empty() ? fallback : letter;
    }
    return resps;
  };
}

bool is_ascii_letter(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

// Letter groups of one line: maximal runs of ASCII letters made only of `letters`; a run with any
// other letter ("Answer", "BAG") is a word, not an answer. A group is a set: sorted, deduplicated.
std::vector<std::string> line_groups(const std::string& line, const std::string& letters) {
  std::vector<std::string> groups;
  for (size_t i = 0; i < line.size();) {
    if (!is_ascii_letter(line[i])) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < line.size() && is_ascii_letter(line[j])) ++j;
    std::string run = line.substr(i, j - i);
    if (run.find_first_not_of(letters) == std::string::npos) {
      std::string set;
      for (char c : letters) {
        if (run.find(c) != std::string::npos) set += c;
      }
      groups.push_back(set);
    }
    i = j;
  }
  return groups;
}

// Gaokao answers: the text after the last 【答案】 / 答案： / 答案: up to <eoa>; the first line
// there that holds letter groups gives the list, canonical as groups joined by single spaces
// ("B C A", "BC", "A、C" -> "A C"). No marker or no group -> fallback.
std::string extract_letter_groups(const std::string& response, const std::string& letters,
                                  const std::string& fallback) {
  size_t at = std::string::npos, skip = 0;
  for (const std::string marker : {"【答案】", "答案：", "答案:"}) {
    size_t p = response.rfind(marker);
    if (p != std::string::npos && (at == std::string::npos || p + marker.size() > at + skip)) {
      at = p;
      skip = marker.size();
    }
  }
  if (at == std::string::npos) return fallback;
  std::string rest = response.substr(at + skip);
  rest = rest.substr(0, rest.find("<eoa>"));
  for (size_t b = 0; b <= rest.size();) {
    size_t e = rest.find('\n', b);
    if (e == std::string::npos) e = rest.size();
    auto groups = line_groups(rest.substr(b, e - b), letters);
    if (!groups.empty()) {
      std::string out;
      for (const auto& g : groups) out += (out.empty() ? "" : " ") + g;
      return out;
    }
    b = e + 1;
  }
  return fallback;
}

// The first fenced block whose info string is empty or names `language` (case-insensitive; "py"
// counts as python); an unterminated fence (a response cut by max_tokens) runs to the end. No
// such block: the response unchanged.
std::string code_block(const std::string& response, const std::string& language) {
  auto lower = [](std::string s) {
    for (auto& c : s) c = (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
    return s;
  };
  const std::string want = lower(language);
  for (size_t open = response.find("```"); open != std::string::npos;) {
    size_t line_end = response.find('\n', open);
    if (line_end == std::string::npos) break;
    std::string tag = lower(py_strip(response.substr(open + 3, line_end - open - 3)));
    size_t close = response.find("```", line_end + 1);
    bool ok = tag.empty() || want.empty() || tag == want || (want == "python" && tag == "py");
    if (ok) {
      return response.substr(line_end + 1,
                             close == std::string::npos ? std::string::npos : close - line_end - 1);
    }
    if (close == std::string::npos) break;
    open = response.find("```", close + 3);
  }
  return response;
}

FilterStep make_answer_letters(const nlohmann::json& args, const std::string& where) {
  scoring_check_args(args, where, {"letters", "fallback"});
  const std::string letters = scoring_arg_letters(args, where, "ABCDEFG", false);
  const std::string fallback = scoring_arg_string(args, "fallback", where, "[invalid]");
  return [=](std::vector<std::string> resps, const FilterContext&) {
    for (auto& r : resps) r = extract_letter_groups(r, letters, fallback);
    return resps;
  };
}

FilterStep make_code_block(const nlohmann::json& args, const std::string& where) {
  scoring_check_args(args, where, {"language"});
  const std::string language = scoring_arg_string(args, "language", where, "");
  return [=](std::vector<std::string> resps, const FilterContext&) {
    for (auto& r : resps) r = code_block(r, language);
    return resps;
  };
}

}  // namespace

void scoring_register_text() {
  filter_register("regex", make_regex);
  filter_register("take_first", make_take_first);
  filter_register("strip_think", make_strip_think);
  filter_register("answer_letter", make_answer_letter);
  filter_register("answer_letters", make_answer_letters);
  filter_register("code_block", make_code_block);
}

}  // namespace moebench
