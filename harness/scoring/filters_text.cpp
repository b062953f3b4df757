// Text filter steps: regex (lm-eval RegexFilter), take_first, strip_think, answer_letter
// (simple-evals), answer_letters (Gaokao lists) and code_block. Hand-written: this is the product.
#include <algorithm>
#include <memory>
#include <string_view>

#include "common/error.h"
#include "common/py_text.h"
#include "common/regex.h"
#include "common/thinking.h"
#include "harness/scoring/builtins.h"
#include "harness/scoring/registry.h"
#include "tasks/suite.h"

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

// simple-evals letter extraction: re.search, i.e. the FIRST "Answer: X" wins (mmlu_eval.py).
// The English pattern is (?i), so "answer: b" yields "b", which, as in simple-evals, does not
// equal gold "B". lang "any" takes whichever of the English/Chinese matches starts first. A
// response without a match has no answer, as REFERENCE.md's rule: a bare "B" is not credited.
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
      r = letter.empty() ? fallback : letter;
    }
    return resps;
  };
}

bool is_ascii_letter(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

// The end of the run of ASCII letters starting at `i`.
size_t letter_run_end(const std::string& line, size_t i) {
  while (i < line.size() && is_ascii_letter(line[i])) ++i;
  return i;
}

// The run line[i, end) as a letter group: sorted, deduplicated; "" when it holds another letter
// (a word such as "Answer" or "BAG", not an answer).
std::string letter_group(const std::string& line, size_t i, size_t end,
                         const std::string& letters) {
  const std::string run = line.substr(i, end - i);
  if (run.find_first_not_of(letters) != std::string::npos) return "";
  std::string set;
  for (char c : letters) {
    if (run.find(c) != std::string::npos) set += c;
  }
  return set;
}

// Byte length of the list separator at line[i] (whitespace, ',', ';', '、', '，', '；', '和', an
// ideographic space), or 0.
size_t list_separator_at(const std::string& line, size_t i) {
  static const char* const kWide[] = {"、", "，", "；", "和", "\u3000"};
  const char c = line[i];
  if (c == ' ' || c == '\t' || c == '\r' || c == ',' || c == ';') return 1;
  for (std::string_view sep : kWide) {
    if (std::string_view(line).substr(i).starts_with(sep)) return sep.size();
  }
  return 0;
}

// Byte length of a space or colon at s[i] (what GAOKAO-Bench's \s*[:：]*\s* skips after
// 【答案】: ASCII whitespace, ':', '：', an ideographic space), or 0.
size_t colon_or_space_at(const std::string& s, size_t i) {
  const char c = s[i];
  if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ':') return 1;
  for (std::string_view sep : {"：", "\u3000"}) {
    if (std::string_view(s).substr(i).starts_with(sep)) return sep.size();
  }
  return 0;
}

// Whether a letter group ending at line[end] ends a list item there: the line ends, a separator
// or a closing mark follows. "B选项" names option B in an explanation; it is not an answer.
bool ends_list_item(const std::string& line, size_t end) {
  if (end == line.size() || list_separator_at(line, end) > 0) return true;
  static const char* const kClosing[] = {".", ")", "。", "）", "．"};
  for (std::string_view mark : kClosing) {
    if (std::string_view(line).substr(end).starts_with(mark)) return true;
  }
  return false;
}

// The answer's letter groups on one line: the first group (anything before it is skipped: "：",
// "选", a word), then each group that follows through separators only and ends a list item. The
// list ends at the first other text, so an explanation after it ("A，因为B选项…", "ABD，其中C错误")
// adds no letters. A group is a set: sorted, deduplicated.
std::vector<std::string> line_groups(const std::string& line, const std::string& letters) {
  std::vector<std::string> groups;
  size_t i = 0;
  while (i < line.size() && groups.empty()) {
    if (!is_ascii_letter(line[i])) {
      ++i;
      continue;
    }
    const size_t end = letter_run_end(line, i);
    std::string group = letter_group(line, i, end, letters);
    if (!group.empty()) groups.push_back(std::move(group));
    i = end;
  }
  while (!groups.empty() && i < line.size()) {
    size_t next = i;
    for (size_t n; next < line.size() && (n = list_separator_at(line, next)) > 0;) next += n;
    if (next == i || next == line.size() || !is_ascii_letter(line[next])) break;
    const size_t end = letter_run_end(line, next);
    std::string group = letter_group(line, next, end, letters);
    if (group.empty() || !ends_list_item(line, end)) break;
    groups.push_back(std::move(group));
    i = end;
  }
  return groups;
}

// Gaokao answers: the text after the last 【答案】 / 答案： / 答案: up to <eoa>; the first line
// there that holds letter groups gives the list (line_groups), canonical as groups joined by
// single spaces ("B C A", "BC", "A、C" -> "A C"; choice_match merges the groups when the gold is
// one question). No marker or no group -> fallback.
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

// A fenced block: its info string (lower-cased) and its text; an unterminated fence (a response
// cut by max_tokens) runs to the end.
struct Fence {
  std::string tag, text;
};

std::vector<Fence> fences(const std::string& response) {
  std::vector<Fence> out;
  for (size_t open = response.find("```"); open != std::string::npos;) {
    size_t line_end = response.find('\n', open);
    if (line_end == std::string::npos) break;
    std::string tag = py_strip(response.substr(open + 3, line_end - open - 3));
    for (auto& c : tag) c = (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
    size_t close = response.find("```", line_end + 1);
    out.push_back(
        {tag, response.substr(line_end + 1, close == std::string::npos ? std::string::npos
                                                                       : close - line_end - 1)});
    if (close == std::string::npos) break;
    open = response.find("```", close + 3);
  }
  return out;
}

// The code of a response. No `language`: the first fenced block (lm-eval's extract_code_blocks).
// With a `language`: the first block tagged with it ("py" counts as python; simple-evals'
// find_code takes the first ```python block), else the first untagged block; a block tagged with
// another language (a shell line, a usage example) is never taken. No such block: the response
// unchanged.
std::string code_block(const std::string& response, std::string language) {
  for (auto& c : language) c = (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
  const auto blocks = fences(response);
  if (!blocks.empty() && language.empty()) return blocks.front().text;
  for (const auto& b : blocks) {
    if (b.tag == language || (language == "python" && b.tag == "py")) return b.text;
  }
  for (const auto& b : blocks) {
    if (b.tag.empty()) return b.text;
  }
  return response;
}

// Gaokao items with n > 1 sub-questions, as GAOKAO-Bench's multi_question_choice reads them
// (Bench/bench_function.py): when exactly n markers are each followed (after spaces and colons)
// by a capital letter ("（1）【答案】 A <eoa>" per sub-question), those letters; else the first n
// capital letters after the last marker ("【答案】1.B 2.A 3.D", "(1)A (2)D", one numbered line per
// blank, the 7-choose-5 run "EBCGA": its five_out_of_seven takes the first five). GAOKAO-Bench
// falls back to the whole output; we read after the marker our prompt asks for, so capitals in
// the analysis are not taken. Letters joined by single spaces; no marker or no letter: fallback.
std::string extract_subquestion_letters(const std::string& response, size_t n,
                                        const std::string& fallback) {
  auto capital = [](char c) { return c >= 'A' && c <= 'Z'; };
  std::vector<std::pair<size_t, size_t>> marks;  // [start, end) of each marker
  for (const std::string marker : {"【答案】", "答案：", "答案:"}) {
    for (size_t p = response.find(marker); p != std::string::npos;
         p = response.find(marker, p + marker.size())) {
      marks.emplace_back(p, p + marker.size());
    }
  }
  if (marks.empty()) return fallback;
  std::sort(marks.begin(), marks.end());
  std::string marked;
  for (const auto& [start, end] : marks) {
    size_t i = end;
    for (size_t k; i < response.size() && (k = colon_or_space_at(response, i)) > 0;) i += k;
    if (i < response.size() && capital(response[i])) marked += response[i];
  }
  std::string picked = marked;
  if (marked.size() != n) {
    picked.clear();
    for (size_t i = marks.back().second; i < response.size() && picked.size() < n; ++i) {
      if (capital(response[i])) picked += response[i];
    }
  }
  if (picked.empty()) return fallback;
  std::string out;
  for (char c : picked) out += (out.empty() ? "" : " ") + std::string(1, c);
  return out;
}

// The number of sub-questions a document's `subquestions` template renders to (gaokao:
// "{{answer|count}}"); 1 without a template or a document.
size_t subquestion_count(const std::string& tmpl, const FilterContext& ctx,
                         const std::string& where) {
  if (tmpl.empty() || !ctx.suite || !ctx.doc) return 1;
  const std::string text = ctx.suite->render(tmpl, *ctx.doc);
  if (text.empty() || text.size() > 6 ||
      text.find_first_not_of("0123456789") != std::string::npos || std::stoul(text) == 0) {
    throw input_error(where + ".subquestions", "document " + ctx.doc->id + ": rendered '" + text +
                                                   "', expected a positive integer");
  }
  return std::stoul(text);
}

FilterStep make_answer_letters(const nlohmann::json& args, const std::string& where) {
  scoring_check_args(args, where, {"letters", "fallback", "subquestions"});
  const std::string letters = scoring_arg_letters(args, where, "ABCDEFG", false);
  const std::string fallback = scoring_arg_string(args, "fallback", where, "[invalid]");
  const std::string subquestions = scoring_arg_string(args, "subquestions", where, "");
  return [=](std::vector<std::string> resps, const FilterContext& ctx) {
    const size_t n = subquestion_count(subquestions, ctx, where);
    for (auto& r : resps) {
      r = n > 1 ? extract_subquestion_letters(r, n, fallback)
                : extract_letter_groups(r, letters, fallback);
    }
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
