// Regex with Python `re` semantics (Oniguruma, ONIG_SYNTAX_PYTHON, UTF-8): the reference harnesses
// (lm-eval, hendrycks MATH, simple-evals) state their filters as Python regexes, and a verdict
// must not change because the engine did.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace moebench {

// One match: spans of group 0..n as byte offsets into the searched string; {-1,-1} when a group
// did not take part in the match.
struct RegexMatch {
  std::vector<std::pair<long, long>> spans;

  bool group_matched(size_t i) const { return i < spans.size() && spans[i].first >= 0; }
  // The text of group i, or "" when it did not participate (Python gives None there).
  std::string group(std::string_view subject, size_t i) const;
  long start() const { return spans[0].first; }
  long end() const { return spans[0].second; }
};

class Regex {
 public:
  // Python `re` syntax, or Oniguruma's own (what HF tokenizers compiles tokenizer.json Split and
  // Replace patterns with; `$` then also matches before any newline).
  enum class Syntax { python, oniguruma };
  struct Options {
    bool ignore_case = false;
    bool dotall = false;     // re.DOTALL
    bool multiline = false;  // re.MULTILINE
    Syntax syntax = Syntax::python;
  };

  // Throws InputError("regex '<pattern>': <reason>") when the pattern does not compile.
  explicit Regex(std::string_view pattern);
  Regex(std::string_view pattern, Options options);
  ~Regex();
  Regex(Regex&& other) noexcept;
  Regex& operator=(Regex&& other) noexcept;
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;

  const std::string& pattern() const { return pattern_; }
  // Number of capturing groups (Python's `.groups`).
  int group_count() const;

  // re.search from byte offset `pos`. Returns false when nothing matches.
  bool search(std::string_view s, RegexMatch* m, size_t pos = 0) const;
  // re.match: anchored at `pos`.
  bool match(std::string_view s, RegexMatch* m, size_t pos = 0) const;
  // re.fullmatch.
  bool fullmatch(std::string_view s) const;
  // re.finditer: every non-overlapping match, with Python 3.7+ empty-match rules.
  std::vector<RegexMatch> find_all(std::string_view s) const;
  // re.findall: the whole match when there are no groups, the single group when there is one,
  // else one tuple (vector) of groups per match; unmatched groups are "".
  std::vector<std::vector<std::string>> findall(std::string_view s) const;
  // re.sub with a Python replacement template (\1, \g<1>, \g<name> not supported, \\, \n, \t).
  // count = 0 replaces all.
  std::string sub(std::string_view repl, std::string_view s, int count = 0) const;
  // re.split without captured groups in the result unless the pattern has them.
  std::vector<std::string> split(std::string_view s) const;

 private:
  std::string pattern_;
  Options options_;
  void* reg_ = nullptr;  // OnigRegex; kept opaque so users need no Oniguruma headers.
};

// re.escape.
std::string regex_escape(std::string_view s);

}  // namespace moebench
