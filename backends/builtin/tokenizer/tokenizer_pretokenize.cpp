// tokenizer.json pre-tokenizers: Sequence, Split (HF's five delimiter behaviors, invert), ByteLevel
// (GPT-2 regex, add_prefix_space), Digits and Metaspace; and the String/Regex pattern they use.
#include <unicode/uchar.h>

#include <algorithm>

#include "backends/builtin/tokenizer/tokenizer_internal.h"
#include "common/error.h"
#include "common/regex.h"

namespace moebench::tokenizer_detail {

TextPattern::TextPattern(const json& j, const std::string& file, const std::string& field) {
  if (j.is_object() && j.contains("String") && j["String"].is_string()) {
    literal_ = j["String"].get<std::string>();
    if (literal_.empty()) field_error(file, field + ".String", "empty pattern");
    return;
  }
  if (j.is_object() && j.contains("Regex") && j["Regex"].is_string()) {
    // HF compiles these with Oniguruma's own syntax (onig crate default), not Python's.
    Regex::Options opts;
    opts.syntax = Regex::Syntax::oniguruma;
    try {
      regex_ = std::make_unique<Regex>(j["Regex"].get<std::string>(), opts);
    } catch (const InputError& e) {
      field_error(file, field + ".Regex", e.what());
    }
    return;
  }
  field_error(file, field, "expected {\"String\": ...} or {\"Regex\": ...}");
}

TextPattern::~TextPattern() = default;
TextPattern::TextPattern(TextPattern&&) noexcept = default;

std::vector<std::pair<size_t, size_t>> TextPattern::find(std::string_view s) const {
  std::vector<std::pair<size_t, size_t>> out;
  if (regex_) {
    for (const RegexMatch& m : regex_->find_all(s)) {
      if (m.end() > m.start()) out.emplace_back(m.start(), m.end());
    }
    return out;
  }
  for (size_t pos = s.find(literal_); pos != std::string_view::npos;
       pos = s.find(literal_, pos + literal_.size())) {
    out.emplace_back(pos, pos + literal_.size());
  }
  return out;
}

std::string TextPattern::replace(std::string_view s, std::string_view content) const {
  std::string out;
  size_t copied = 0;
  for (auto [begin, end] : find(s)) {
    out.append(s.substr(copied, begin - copied));
    out.append(content);
    copied = end;
  }
  out.append(s.substr(copied));
  return out;
}

namespace {

enum class Behavior { removed, isolated, merged_with_previous, merged_with_next, contiguous };

struct Span {
  size_t begin;
  size_t end;
  bool is_match;
};

// HF PreTokenizedString::split with a SplitDelimiterBehavior: `matches` cover the match spans,
// the text between them becomes non-match spans; empty results are dropped.
void split_piece(const Piece& piece, const std::vector<std::pair<size_t, size_t>>& matches,
                 bool invert, Behavior behavior, std::vector<Piece>* out) {
  std::vector<Span> spans;
  size_t prev = 0;
  for (auto [b, e] : matches) {
    if (prev < b) spans.push_back({prev, b, invert});
    spans.push_back({b, e, !invert});
    prev = e;
  }
  if (prev < piece.text.size()) spans.push_back({prev, piece.text.size(), invert});

  std::vector<Span> acc;
  bool previous_match = false;
  if (behavior == Behavior::merged_with_next) std::reverse(spans.begin(), spans.end());
  for (const Span& s : spans) {
    switch (behavior) {
      case Behavior::removed:
        if (!s.is_match) acc.push_back(s);
        break;
      case Behavior::isolated:
        acc.push_back(s);
        break;
      case Behavior::merged_with_previous:
        if (s.is_match && !previous_match && !acc.empty()) {
          acc.back().end = s.end;
        } else {
          acc.push_back(s);
        }
        break;
      case Behavior::merged_with_next:
        if (s.is_match && !previous_match && !acc.empty()) {
          acc.back().begin = s.begin;
        } else {
          acc.push_back(s);
        }
        break;
      case Behavior::contiguous:
        if (s.is_match == previous_match && !acc.empty()) {
          acc.back().end = s.end;
        } else {
          acc.push_back(s);
        }
        break;
    }
    previous_match = s.is_match;
  }
  if (behavior == Behavior::merged_with_next) std::reverse(acc.begin(), acc.end());
  for (const Span& s : acc) {
    if (s.end <= s.begin) continue;
    out->push_back({piece.text.substr(s.begin, s.end - s.begin), piece.at_start && s.begin == 0});
  }
}

class SequencePreTokenizer : public PreTokenizer {
 public:
  explicit SequencePreTokenizer(std::vector<std::unique_ptr<PreTokenizer>> parts)
      : parts_(std::move(parts)) {}
  void pre_tokenize(std::vector<Piece>* pieces) const override {
    for (const auto& p : parts_) p->pre_tokenize(pieces);
  }

 private:
  std::vector<std::unique_ptr<PreTokenizer>> parts_;
};

class SplitPreTokenizer : public PreTokenizer {
 public:
  SplitPreTokenizer(TextPattern pattern, Behavior behavior, bool invert)
      : pattern_(std::move(pattern)), behavior_(behavior), invert_(invert) {}
  void pre_tokenize(std::vector<Piece>* pieces) const override {
    std::vector<Piece> out;
    out.reserve(pieces->size() * 2);
    for (const Piece& p : *pieces) split_piece(p, pattern_.find(p.text), invert_, behavior_, &out);
    *pieces = std::move(out);
  }

 private:
  TextPattern pattern_;
  Behavior behavior_;
  bool invert_;
};

class ByteLevelPreTokenizer : public PreTokenizer {
 public:
  ByteLevelPreTokenizer(bool add_prefix_space, bool use_regex)
      : add_prefix_space_(add_prefix_space) {
    if (use_regex) {
      json gpt2 = {
          {"Regex",
           "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+"}};
      gpt2_ = std::make_unique<TextPattern>(gpt2, "<builtin>", "ByteLevel");
    }
  }
  void pre_tokenize(std::vector<Piece>* pieces) const override {
    std::vector<Piece> split;
    for (Piece& p : *pieces) {
      if (add_prefix_space_ && (p.text.empty() || p.text[0] != ' ')) p.text.insert(0, " ");
      if (gpt2_) {
        split_piece(p, gpt2_->find(p.text), false, Behavior::isolated, &split);
      } else if (!p.text.empty()) {
        split.push_back(std::move(p));
      }
    }
    for (Piece& p : split) {
      std::string mapped;
      mapped.reserve(p.text.size() * 2);
      bytelevel_encode_append(p.text, &mapped);
      p.text = std::move(mapped);
    }
    *pieces = std::move(split);
  }

 private:
  bool add_prefix_space_;
  std::unique_ptr<TextPattern> gpt2_;
};

// Splits on numeric characters (Rust char::is_numeric: Nd, Nl, No).
class DigitsPreTokenizer : public PreTokenizer {
 public:
  explicit DigitsPreTokenizer(bool individual) : individual_(individual) {}
  void pre_tokenize(std::vector<Piece>* pieces) const override {
    std::vector<Piece> out;
    for (const Piece& p : *pieces) {
      std::vector<std::pair<size_t, size_t>> matches;
      for (size_t i = 0; i < p.text.size();) {
        size_t start = i;
        char32_t cp = utf8_next(p.text, &i);
        int8_t t = u_charType(static_cast<UChar32>(cp));
        if (t == U_DECIMAL_DIGIT_NUMBER || t == U_LETTER_NUMBER || t == U_OTHER_NUMBER) {
          matches.emplace_back(start, i);
        }
      }
      split_piece(p, matches, false, individual_ ? Behavior::isolated : Behavior::contiguous, &out);
    }
    *pieces = std::move(out);
  }

 private:
  bool individual_;
};

enum class Prepend { always, first, never };

class MetaspacePreTokenizer : public PreTokenizer {
 public:
  MetaspacePreTokenizer(std::string replacement, Prepend prepend, bool split)
      : replacement_(std::move(replacement)),
        prepend_(prepend),
        split_(split),
        on_replacement_(json{{"String", replacement_}}, "<builtin>", "Metaspace") {}
  void pre_tokenize(std::vector<Piece>* pieces) const override {
    std::vector<Piece> out;
    for (Piece& p : *pieces) {
      std::string text;
      for (char c : p.text) {
        if (c == ' ') {
          text += replacement_;
        } else {
          text += c;
        }
      }
      bool prepend = prepend_ == Prepend::always || (prepend_ == Prepend::first && p.at_start);
      if (prepend && text.compare(0, replacement_.size(), replacement_) != 0) {
        text.insert(0, replacement_);
      }
      Piece q{std::move(text), p.at_start};
      if (split_) {
        split_piece(q, on_replacement_.find(q.text), false, Behavior::merged_with_next, &out);
      } else if (!q.text.empty()) {
        out.push_back(std::move(q));
      }
    }
    *pieces = std::move(out);
  }

 private:
  std::string replacement_;
  Prepend prepend_;
  bool split_;
  TextPattern on_replacement_;
};

Behavior parse_behavior(const std::string& s, const std::string& file, const std::string& field) {
  if (s == "Removed") return Behavior::removed;
  if (s == "Isolated") return Behavior::isolated;
  if (s == "MergedWithPrevious") return Behavior::merged_with_previous;
  if (s == "MergedWithNext") return Behavior::merged_with_next;
  if (s == "Contiguous") return Behavior::contiguous;
  field_error(file, field, "unknown split behavior '" + s + "'");
}

std::unique_ptr<PreTokenizer> metaspace_from_json(const json& j, const std::string& file,
                                                  const std::string& field) {
  std::string replacement = field_string(j, "replacement", file, field, "\xE2\x96\x81");
  Prepend prepend =
      field_bool(j, "add_prefix_space", file, field, true) ? Prepend::always : Prepend::never;
  if (j.contains("prepend_scheme") && !j["prepend_scheme"].is_null()) {
    std::string scheme = field_string(j, "prepend_scheme", file, field);
    if (scheme == "always") {
      prepend = Prepend::always;
    } else if (scheme == "first") {
      prepend = Prepend::first;
    } else if (scheme == "never") {
      prepend = Prepend::never;
    } else {
      field_error(file, field + ".prepend_scheme", "unknown prepend_scheme '" + scheme + "'");
    }
  }
  return std::make_unique<MetaspacePreTokenizer>(replacement, prepend,
                                                 field_bool(j, "split", file, field, true));
}

}  // namespace

std::unique_ptr<PreTokenizer> pre_tokenizer_from_json(const json& j, const std::string& file,
                                                      const std::string& field) {
  if (j.is_null()) return nullptr;
  if (!j.is_object()) field_error(file, field, "expected an object or null");
  std::string type = field_string(j, "type", file, field);
  if (type == "Sequence") {
    const json& list = field_get(j, "pretokenizers", file, field);
    if (!list.is_array()) field_error(file, field + ".pretokenizers", "expected an array");
    std::vector<std::unique_ptr<PreTokenizer>> parts;
    for (size_t i = 0; i < list.size(); ++i) {
      auto p = pre_tokenizer_from_json(list[i], file,
                                       field + ".pretokenizers[" + std::to_string(i) + "]");
      if (p) parts.push_back(std::move(p));
    }
    return std::make_unique<SequencePreTokenizer>(std::move(parts));
  }
  if (type == "Split") {
    TextPattern pattern(field_get(j, "pattern", file, field), file, field + ".pattern");
    Behavior behavior =
        parse_behavior(field_string(j, "behavior", file, field), file, field + ".behavior");
    return std::make_unique<SplitPreTokenizer>(std::move(pattern), behavior,
                                               field_bool(j, "invert", file, field, false));
  }
  if (type == "ByteLevel") {
    return std::make_unique<ByteLevelPreTokenizer>(
        field_bool(j, "add_prefix_space", file, field, true),
        field_bool(j, "use_regex", file, field, true));
  }
  if (type == "Digits") {
    return std::make_unique<DigitsPreTokenizer>(
        field_bool(j, "individual_digits", file, field, false));
  }
  if (type == "Metaspace") return metaspace_from_json(j, file, field);
  field_error(file, field + ".type", "unsupported pre_tokenizer type '" + type + "'");
}

}  // namespace moebench::tokenizer_detail
