// tokenizer.json normalizers: Sequence, NFC/NFD/NFKC/NFKD (ICU), Prepend, Replace, Strip.
#include "backends/builtin/tokenizer/tokenizer_internal.h"

namespace moebench::tokenizer_detail {
namespace {

class SequenceNormalizer : public Normalizer {
 public:
  explicit SequenceNormalizer(std::vector<std::unique_ptr<Normalizer>> parts)
      : parts_(std::move(parts)) {}
  void normalize(std::string* s) const override {
    for (const auto& p : parts_) p->normalize(s);
  }

 private:
  std::vector<std::unique_ptr<Normalizer>> parts_;
};

class UnicodeNormalizer : public Normalizer {
 public:
  explicit UnicodeNormalizer(std::string form) : form_(std::move(form)) {}
  void normalize(std::string* s) const override { *s = unicode_normalize(*s, form_); }

 private:
  std::string form_;
};

// sentencepiece style: "▁" in front of any non-empty text.
class PrependNormalizer : public Normalizer {
 public:
  explicit PrependNormalizer(std::string prepend) : prepend_(std::move(prepend)) {}
  void normalize(std::string* s) const override {
    if (!s->empty()) s->insert(0, prepend_);
  }

 private:
  std::string prepend_;
};

class ReplaceNormalizer : public Normalizer {
 public:
  ReplaceNormalizer(TextPattern pattern, std::string content)
      : pattern_(std::move(pattern)), content_(std::move(content)) {}
  void normalize(std::string* s) const override { *s = pattern_.replace(*s, content_); }

 private:
  TextPattern pattern_;
  std::string content_;
};

// Strips Unicode whitespace at either end.
class StripNormalizer : public Normalizer {
 public:
  StripNormalizer(bool left, bool right) : left_(left), right_(right) {}
  void normalize(std::string* s) const override {
    size_t begin = 0;
    size_t end = s->size();
    if (left_) {
      while (begin < end) {
        size_t next = begin;
        if (!unicode_is_whitespace(utf8_next(*s, &next))) break;
        begin = next;
      }
    }
    if (right_) {
      while (end > begin) {
        size_t start = end - 1;
        while (start > begin && (static_cast<unsigned char>((*s)[start]) & 0xC0) == 0x80) --start;
        size_t next = start;
        if (!unicode_is_whitespace(utf8_next(*s, &next))) break;
        end = start;
      }
    }
    *s = s->substr(begin, end - begin);
  }

 private:
  bool left_;
  bool right_;
};

}  // namespace

std::unique_ptr<Normalizer> normalizer_from_json(const json& j, const std::string& file,
                                                 const std::string& field) {
  if (j.is_null()) return nullptr;
  if (!j.is_object()) field_error(file, field, "expected an object or null");
  std::string type = field_string(j, "type", file, field);
  if (type == "Sequence") {
    const json& list = field_get(j, "normalizers", file, field);
    if (!list.is_array()) field_error(file, field + ".normalizers", "expected an array");
    std::vector<std::unique_ptr<Normalizer>> parts;
    for (size_t i = 0; i < list.size(); ++i) {
      auto p =
          normalizer_from_json(list[i], file, field + ".normalizers[" + std::to_string(i) + "]");
      if (p) parts.push_back(std::move(p));
    }
    return std::make_unique<SequenceNormalizer>(std::move(parts));
  }
  if (type == "NFC" || type == "NFD" || type == "NFKC" || type == "NFKD") {
    return std::make_unique<UnicodeNormalizer>(type);
  }
  if (type == "Prepend") {
    return std::make_unique<PrependNormalizer>(field_string(j, "prepend", file, field));
  }
  if (type == "Replace") {
    TextPattern pattern(field_get(j, "pattern", file, field), file, field + ".pattern");
    return std::make_unique<ReplaceNormalizer>(std::move(pattern),
                                               field_string(j, "content", file, field));
  }
  if (type == "Strip") {
    return std::make_unique<StripNormalizer>(field_bool(j, "strip_left", file, field, true),
                                             field_bool(j, "strip_right", file, field, true));
  }
  field_error(file, field + ".type", "unsupported normalizer type '" + type + "'");
}

}  // namespace moebench::tokenizer_detail
