// tokenizer.json decoders (ByteLevel, ByteFallback, Metaspace, Fuse, Strip, Replace, Sequence), as
// HF's decode_chain, and TokenStreamDecoder (emits only complete UTF-8).
#include "backends/builtin/tokenizer/tokenizer_internal.h"

namespace moebench::tokenizer_detail {
namespace {

constexpr const char* kReplacementUtf8 = "\xEF\xBF\xBD";

// Maps each token's characters back to bytes; a token with a character outside the byte alphabet
// (an added token like "<｜begin▁of▁sentence｜>") keeps its own bytes. Joins into one string.
class ByteLevelDecoder : public Decoder {
 public:
  void decode_chain(std::vector<std::string>* tokens, bool raw) const override {
    std::string bytes;
    for (const std::string& t : *tokens) {
      size_t mark = bytes.size();
      bool mapped = true;
      for (size_t i = 0; i < t.size() && mapped;) {
        int b = bytelevel_char_to_byte(utf8_next(t, &i));
        if (b < 0) {
          mapped = false;
        } else {
          bytes.push_back(static_cast<char>(b));
        }
      }
      if (!mapped) {
        bytes.resize(mark);
        bytes += t;
      }
    }
    tokens->assign(1, raw ? bytes : utf8_lossy(bytes));
  }
};

// Runs of <0xAB> tokens become their bytes; a run that is not valid UTF-8 gives one U+FFFD per
// byte (HF), unless raw.
class ByteFallbackDecoder : public Decoder {
 public:
  void decode_chain(std::vector<std::string>* tokens, bool raw) const override {
    std::vector<std::string> out;
    std::string run;
    size_t run_len = 0;
    auto flush = [&] {
      if (run_len == 0) return;
      if (raw || utf8_valid(run)) {
        out.push_back(run);
      } else {
        for (size_t i = 0; i < run_len; ++i) out.emplace_back(kReplacementUtf8);
      }
      run.clear();
      run_len = 0;
    };
    for (std::string& t : *tokens) {
      int b = byte_fallback_parse(t);
      if (b >= 0) {
        run.push_back(static_cast<char>(b));
        ++run_len;
        continue;
      }
      flush();
      out.push_back(std::move(t));
    }
    flush();
    *tokens = std::move(out);
  }
};

class FuseDecoder : public Decoder {
 public:
  void decode_chain(std::vector<std::string>* tokens, bool) const override {
    std::string all;
    for (const std::string& t : *tokens) all += t;
    tokens->assign(1, all);
  }
};

// Per token: up to `start` leading and `stop` trailing `content` characters removed.
class StripDecoder : public Decoder {
 public:
  StripDecoder(std::string content, int start, int stop)
      : content_(std::move(content)), start_(start), stop_(stop) {}
  void decode_chain(std::vector<std::string>* tokens, bool) const override {
    for (std::string& t : *tokens) {
      size_t begin = 0;
      for (int i = 0; i < start_ && t.compare(begin, content_.size(), content_) == 0; ++i) {
        begin += content_.size();
      }
      size_t end = t.size();
      for (int i = 0; i < stop_ && end >= begin + content_.size() &&
                      t.compare(end - content_.size(), content_.size(), content_) == 0;
           ++i) {
        end -= content_.size();
      }
      t = t.substr(begin, end - begin);
    }
  }

 private:
  std::string content_;
  int start_;
  int stop_;
};

class ReplaceDecoder : public Decoder {
 public:
  ReplaceDecoder(TextPattern pattern, std::string content)
      : pattern_(std::move(pattern)), content_(std::move(content)) {}
  void decode_chain(std::vector<std::string>* tokens, bool) const override {
    for (std::string& t : *tokens) t = pattern_.replace(t, content_);
  }

 private:
  TextPattern pattern_;
  std::string content_;
};

// "▁" back to spaces; in the first token HF drops it instead when a prefix was prepended.
class MetaspaceDecoder : public Decoder {
 public:
  MetaspaceDecoder(std::string replacement, bool strip_first)
      : replacement_(std::move(replacement)), strip_first_(strip_first) {}
  void decode_chain(std::vector<std::string>* tokens, bool) const override {
    for (size_t i = 0; i < tokens->size(); ++i) {
      std::string& t = (*tokens)[i];
      std::string out;
      for (size_t pos = 0; pos < t.size();) {
        if (t.compare(pos, replacement_.size(), replacement_) == 0) {
          if (!(i == 0 && strip_first_)) out += ' ';
          pos += replacement_.size();
        } else {
          out += t[pos++];
        }
      }
      t = std::move(out);
    }
  }

 private:
  std::string replacement_;
  bool strip_first_;
};

class SequenceDecoder : public Decoder {
 public:
  explicit SequenceDecoder(std::vector<std::unique_ptr<Decoder>> parts)
      : parts_(std::move(parts)) {}
  void decode_chain(std::vector<std::string>* tokens, bool raw) const override {
    for (const auto& p : parts_) p->decode_chain(tokens, raw);
  }

 private:
  std::vector<std::unique_ptr<Decoder>> parts_;
};

std::unique_ptr<Decoder> metaspace_decoder_from_json(const json& j, const std::string& file,
                                                     const std::string& field) {
  std::string replacement = field_string(j, "replacement", file, field, "\xE2\x96\x81");
  if (replacement.empty()) field_error(file, field + ".replacement", "empty replacement");
  bool strip_first = field_bool(j, "add_prefix_space", file, field, true);
  if (j.contains("prepend_scheme") && !j["prepend_scheme"].is_null()) {
    strip_first = field_string(j, "prepend_scheme", file, field) != "never";
  }
  return std::make_unique<MetaspaceDecoder>(replacement, strip_first);
}

}  // namespace

std::unique_ptr<Decoder> decoder_from_json(const json& j, const std::string& file,
                                           const std::string& field) {
  if (j.is_null()) return nullptr;
  if (!j.is_object()) field_error(file, field, "expected an object or null");
  std::string type = field_string(j, "type", file, field);
  if (type == "Sequence") {
    const json& list = field_get(j, "decoders", file, field);
    if (!list.is_array()) field_error(file, field + ".decoders", "expected an array");
    std::vector<std::unique_ptr<Decoder>> parts;
    for (size_t i = 0; i < list.size(); ++i) {
      auto p = decoder_from_json(list[i], file, field + ".decoders[" + std::to_string(i) + "]");
      if (p) parts.push_back(std::move(p));
    }
    return std::make_unique<SequenceDecoder>(std::move(parts));
  }
  if (type == "ByteLevel") return std::make_unique<ByteLevelDecoder>();
  if (type == "ByteFallback") return std::make_unique<ByteFallbackDecoder>();
  if (type == "Fuse") return std::make_unique<FuseDecoder>();
  if (type == "Metaspace") return metaspace_decoder_from_json(j, file, field);
  if (type == "Strip") {
    std::string content = field_string(j, "content", file, field);
    if (content.empty()) field_error(file, field + ".content", "empty content");
    auto count = [&](const char* key) {
      return j.contains(key) && j[key].is_number_integer() ? j[key].get<int>() : 0;
    };
    return std::make_unique<StripDecoder>(content, count("start"), count("stop"));
  }
  if (type == "Replace") {
    TextPattern pattern(field_get(j, "pattern", file, field), file, field + ".pattern");
    return std::make_unique<ReplaceDecoder>(std::move(pattern),
                                            field_string(j, "content", file, field));
  }
  field_error(file, field + ".type", "unsupported decoder type '" + type + "'");
}

}  // namespace moebench::tokenizer_detail

namespace moebench {

// NOTE: a piece is what a token adds to the decode of the few ids before it, so decoders that
// treat the first token specially (Metaspace, Strip) see the same start as a whole decode.
std::vector<std::string> Tokenizer::token_bytes(const std::vector<int>& ids,
                                                bool skip_special) const {
  constexpr size_t kContext = 4;
  std::vector<std::string> out;
  out.reserve(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    const size_t from = i > kContext ? i - kContext : 0;
    const std::vector<int> before(ids.begin() + from, ids.begin() + i);
    const std::vector<int> with(ids.begin() + from, ids.begin() + i + 1);
    const std::string a = impl_->decode_bytes(before, skip_special, /*raw=*/true);
    const std::string b = impl_->decode_bytes(with, skip_special, /*raw=*/true);
    out.push_back(b.compare(0, a.size(), a) == 0
                      ? b.substr(a.size())
                      : impl_->decode_bytes({ids[i]}, skip_special, true));
  }
  return out;
}

// NOTE: each push decodes the ids since the last point where the text was complete, plus a few
// ids of context, so the cost per token stays bounded and decoders that treat the first token
// specially (Metaspace, Strip) give the same text as a whole-sequence decode.
TokenStreamDecoder::TokenStreamDecoder(const Tokenizer& tok, bool skip_special)
    : tok_(tok), skip_special_(skip_special) {}

std::string TokenStreamDecoder::push(int id) {
  constexpr size_t kMaxIds = 64;
  constexpr size_t kContext = 4;
  ids_.push_back(id);
  std::string text = tok_.impl_->decode_bytes(ids_, skip_special_, /*raw=*/true);
  size_t end = tokenizer_detail::utf8_complete_prefix(text);
  std::string out;
  if (end > emitted_bytes_) {
    out = tokenizer_detail::utf8_lossy(
        std::string_view(text).substr(emitted_bytes_, end - emitted_bytes_));
    emitted_bytes_ = end;
  }
  if (end == text.size() && ids_.size() > kMaxIds) {
    ids_.erase(ids_.begin(), ids_.end() - kContext);
    emitted_bytes_ = tok_.impl_->decode_bytes(ids_, skip_special_, true).size();
  }
  return out;
}

std::string TokenStreamDecoder::flush() {
  std::string text = tok_.impl_->decode_bytes(ids_, skip_special_, /*raw=*/true);
  std::string out;
  if (text.size() > emitted_bytes_) {
    out = tokenizer_detail::utf8_lossy(std::string_view(text).substr(emitted_bytes_));
  }
  ids_.clear();
  emitted_bytes_ = 0;
  return out;
}

}  // namespace moebench
