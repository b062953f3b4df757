// Oniguruma-backed Regex with Python `re` semantics for search, findall, sub and split.
#include "common/regex.h"

#include <oniguruma.h>

#include <mutex>

#include "common/error.h"

namespace moebench {
namespace {

OnigRegex as_onig(void* p) { return static_cast<OnigRegex>(p); }

void onig_init_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    OnigEncoding encodings[] = {ONIG_ENCODING_UTF8};
    onig_initialize(encodings, 1);
  });
}

// Byte length of the UTF-8 sequence starting with `c` (1 for stray continuation bytes).
size_t utf8_len(unsigned char c) {
  if (c < 0x80) return 1;
  if ((c >> 5) == 0x6) return 2;
  if ((c >> 4) == 0xE) return 3;
  if ((c >> 3) == 0x1E) return 4;
  return 1;
}

struct Region {
  OnigRegion* r = onig_region_new();
  ~Region() { onig_region_free(r, 1); }
};

bool run_search(OnigRegex reg, std::string_view s, size_t pos, bool anchored, RegexMatch* m,
                OnigOptionType opts = ONIG_OPTION_NONE) {
  const auto* begin = reinterpret_cast<const UChar*>(s.data());
  const UChar* end = begin + s.size();
  Region region;
  int r = anchored ? onig_match(reg, begin, end, begin + pos, region.r, opts)
                   : onig_search(reg, begin, end, begin + pos, end, region.r, opts);
  if (r == ONIG_MISMATCH) return false;
  if (r < 0) {
    char msg[ONIG_MAX_ERROR_MESSAGE_LEN];
    onig_error_code_to_str(reinterpret_cast<UChar*>(msg), r);
    throw std::runtime_error(std::string("regex search failed: ") + msg);
  }
  if (m) {
    m->spans.assign(region.r->num_regs, {-1, -1});
    for (int i = 0; i < region.r->num_regs; ++i) {
      m->spans[i] = {region.r->beg[i], region.r->end[i]};
    }
  }
  return true;
}

}  // namespace

std::string RegexMatch::group(std::string_view subject, size_t i) const {
  if (!group_matched(i)) return "";
  return std::string(subject.substr(spans[i].first, spans[i].second - spans[i].first));
}

Regex::Regex(std::string_view pattern) : Regex(pattern, Options{}) {}

Regex::Regex(std::string_view pattern, Options options) : pattern_(pattern), options_(options) {
  onig_init_once();
  OnigOptionType opts = ONIG_OPTION_CAPTURE_GROUP;
  if (options.ignore_case) opts |= ONIG_OPTION_IGNORECASE;
  // NOTE: Oniguruma calls "dot matches newline" MULTILINE (Ruby's naming).
  if (options.dotall) opts |= ONIG_OPTION_MULTILINE;
  if (options.multiline) opts |= ONIG_OPTION_NEGATE_SINGLELINE;
  OnigRegex reg = nullptr;
  OnigErrorInfo einfo;
  const auto* p = reinterpret_cast<const UChar*>(pattern_.data());
  OnigSyntaxType* syntax =
      options.syntax == Syntax::oniguruma ? ONIG_SYNTAX_ONIGURUMA : ONIG_SYNTAX_PYTHON;
  int r = onig_new(&reg, p, p + pattern_.size(), opts, ONIG_ENCODING_UTF8, syntax, &einfo);
  if (r != ONIG_NORMAL) {
    char msg[ONIG_MAX_ERROR_MESSAGE_LEN];
    onig_error_code_to_str(reinterpret_cast<UChar*>(msg), r, &einfo);
    throw InputError("regex '" + pattern_ + "': " + msg);
  }
  reg_ = reg;
}

Regex::~Regex() {
  if (reg_) onig_free(as_onig(reg_));
}

Regex::Regex(Regex&& other) noexcept
    : pattern_(std::move(other.pattern_)), options_(other.options_), reg_(other.reg_) {
  other.reg_ = nullptr;
}

Regex& Regex::operator=(Regex&& other) noexcept {
  if (this != &other) {
    if (reg_) onig_free(as_onig(reg_));
    pattern_ = std::move(other.pattern_);
    options_ = other.options_;
    reg_ = other.reg_;
    other.reg_ = nullptr;
  }
  return *this;
}

int Regex::group_count() const { return onig_number_of_captures(as_onig(reg_)); }

bool Regex::search(std::string_view s, RegexMatch* m, size_t pos) const {
  if (pos > s.size()) return false;
  return run_search(as_onig(reg_), s, pos, false, m);
}

bool Regex::match(std::string_view s, RegexMatch* m, size_t pos) const {
  if (pos > s.size()) return false;
  return run_search(as_onig(reg_), s, pos, true, m);
}

bool Regex::fullmatch(std::string_view s) const {
  // Anchor by wrapping: cheaper than checking every alternative's end.
  Regex anchored("(?:" + pattern_ + ")\\Z", options_);
  RegexMatch m;
  return anchored.match(s, &m, 0) && static_cast<size_t>(m.end()) == s.size();
}

std::vector<RegexMatch> Regex::find_all(std::string_view s) const {
  // Python 3.7+ (sre "must advance"): after an empty match at p, the next match may start at p
  // only if it is non-empty; otherwise the search resumes one character later.
  std::vector<RegexMatch> out;
  size_t pos = 0;
  bool must_advance = false;
  OnigRegex reg = as_onig(reg_);
  while (pos <= s.size()) {
    RegexMatch m;
    if (must_advance) {
      if (run_search(reg, s, pos, true, &m, ONIG_OPTION_FIND_NOT_EMPTY)) {
        pos = m.end();
        must_advance = false;
        out.push_back(std::move(m));
        continue;
      }
      if (pos == s.size()) break;
      pos += utf8_len(static_cast<unsigned char>(s[pos]));
    }
    if (!run_search(reg, s, pos, false, &m)) break;
    pos = m.end();
    must_advance = m.end() == m.start();
    out.push_back(std::move(m));
  }
  return out;
}

std::vector<std::vector<std::string>> Regex::findall(std::string_view s) const {
  std::vector<std::vector<std::string>> out;
  int groups = group_count();
  for (const RegexMatch& m : find_all(s)) {
    std::vector<std::string> row;
    if (groups == 0) {
      row.push_back(m.group(s, 0));
    } else {
      for (int g = 1; g <= groups; ++g) row.push_back(m.group(s, g));
    }
    out.push_back(std::move(row));
  }
  return out;
}

namespace {

// Expands a Python replacement template for one match.
std::string expand_template(std::string_view repl, std::string_view s, const RegexMatch& m,
                            const std::string& pattern) {
  std::string out;
  for (size_t i = 0; i < repl.size(); ++i) {
    char c = repl[i];
    if (c != '\\' || i + 1 == repl.size()) {
      out += c;
      continue;
    }
    char n = repl[++i];
    if (n >= '0' && n <= '9') {
      size_t g = n - '0';
      if (i + 1 < repl.size() && repl[i + 1] >= '0' && repl[i + 1] <= '9') {
        g = g * 10 + (repl[++i] - '0');
      }
      if (g >= m.spans.size()) throw InputError("regex '" + pattern + "': invalid group reference");
      out += m.group(s, g);
    } else if (n == 'g' && i + 1 < repl.size() && repl[i + 1] == '<') {
      size_t close = repl.find('>', i);
      if (close == std::string_view::npos) throw InputError("regex '" + pattern + "': bad \\g<>");
      size_t g = std::stoul(std::string(repl.substr(i + 2, close - i - 2)));
      if (g >= m.spans.size()) throw InputError("regex '" + pattern + "': invalid group reference");
      out += m.group(s, g);
      i = close;
    } else if (n == 'n') {
      out += '\n';
    } else if (n == 't') {
      out += '\t';
    } else if (n == '\\') {
      out += '\\';
    } else {
      // Python keeps unknown ASCII-letter escapes as an error; other characters stay as written.
      out += '\\';
      out += n;
    }
  }
  return out;
}

}  // namespace

std::string Regex::sub(std::string_view repl, std::string_view s, int count) const {
  std::string out;
  size_t copied = 0;
  int done = 0;
  for (const RegexMatch& m : find_all(s)) {
    if (count > 0 && done == count) break;
    out.append(s.substr(copied, m.start() - copied));
    out += expand_template(repl, s, m, pattern_);
    copied = m.end();
    ++done;
  }
  out.append(s.substr(copied));
  return out;
}

std::vector<std::string> Regex::split(std::string_view s) const {
  std::vector<std::string> out;
  size_t copied = 0;
  int groups = group_count();
  for (const RegexMatch& m : find_all(s)) {
    out.emplace_back(s.substr(copied, m.start() - copied));
    for (int g = 1; g <= groups; ++g) out.push_back(m.group(s, g));
    copied = m.end();
  }
  out.emplace_back(s.substr(copied));
  return out;
}

std::string regex_escape(std::string_view s) {
  // Python 3.7+ escapes only regex-special characters.
  static const std::string_view kSpecial = "()[]{}?*+-|^$\\.&~# \t\n\r\v\f";
  std::string out;
  for (char c : s) {
    if (kSpecial.find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

}  // namespace moebench
