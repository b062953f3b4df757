// Internals of the tokenizer shared by tokenizer*.cpp: UTF-8 and Unicode helpers, the pipeline
// stages of an HF tokenizer.json (normalizer, pre-tokenizer, BPE model, decoder) and Impl.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "backends/builtin/tokenizer/tokenizer.h"

namespace moebench {
class Regex;
}

namespace moebench::tokenizer_detail {

using nlohmann::json;

// ---- tokenizer.json fields (tokenizer.cpp) ----

// Throws InputError "<file>: field '<field>': <what>".
[[noreturn]] void field_error(const std::string& file, const std::string& field,
                              const std::string& what);
// j[key] must exist (field names the object j).
const json& field_get(const json& j, const char* key, const std::string& file,
                      const std::string& field);
std::string field_string(const json& j, const char* key, const std::string& file,
                         const std::string& field, const char* fallback = nullptr);
bool field_bool(const json& j, const char* key, const std::string& file, const std::string& field,
                bool fallback);
// NOTE: real vocabularies stop near 256k ids; a larger id is a corrupt file, and the id tables (a
// string per id) would take gigabytes.
constexpr long kMaxTokenId = (1 << 24) - 1;
// A token id: an integer in [0, kMaxTokenId], else InputError naming `field`.
int field_token_id(const json& v, const std::string& file, const std::string& field);

// ---- UTF-8 and Unicode (tokenizer_unicode.cpp) ----

// Decodes the code point at *pos and advances; an invalid byte decodes as U+FFFD (1 byte).
char32_t utf8_next(std::string_view s, size_t* pos);
void utf8_append(std::string* out, char32_t cp);
// Rust's String::from_utf8_lossy: each maximal invalid subsequence becomes one U+FFFD.
std::string utf8_lossy(std::string_view bytes);
bool utf8_valid(std::string_view bytes);
// Length of `bytes` without a trailing sequence that is a valid but incomplete character (one
// more token may complete it).
size_t utf8_complete_prefix(std::string_view bytes);
// Rust char::is_whitespace (Unicode White_Space) and regex `\w` (Alphabetic, M, Nd, Pc, Join_C).
bool unicode_is_whitespace(char32_t cp);
bool unicode_is_word_char(char32_t cp);
// Unicode normalization forms through ICU; form is "NFC", "NFD", "NFKC" or "NFKD".
std::string unicode_normalize(std::string_view s, std::string_view form);

// GPT-2 bytes_to_unicode: every byte maps to a printable code point (as UTF-8).
const std::array<std::string, 256>& bytelevel_byte_to_char();
// The byte a byte-level character stands for, -1 when `cp` is not one.
int bytelevel_char_to_byte(char32_t cp);
void bytelevel_encode_append(std::string_view bytes, std::string* out);

// "<0xAB>" for a byte (sentencepiece byte-fallback tokens); parse returns -1 for other tokens.
std::string byte_fallback_token(unsigned char b);
int byte_fallback_parse(std::string_view token);

// ---- Normalizers (tokenizer_normalize.cpp) ----

class Normalizer {
 public:
  virtual ~Normalizer() = default;
  virtual void normalize(std::string* s) const = 0;
};
// `field` is where j sits in the file ("normalizer", "normalizer.normalizers[0]"); null gives
// nullptr.
std::unique_ptr<Normalizer> normalizer_from_json(const json& j, const std::string& file,
                                                 const std::string& field);

// ---- Pre-tokenizers (tokenizer_pretokenize.cpp) ----

struct Piece {
  std::string text;
  bool at_start = false;  // starts at offset 0 of the input text (Metaspace prepend_scheme first)
};

class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  virtual void pre_tokenize(std::vector<Piece>* pieces) const = 0;
};
std::unique_ptr<PreTokenizer> pre_tokenizer_from_json(const json& j, const std::string& file,
                                                      const std::string& field);

// A Split/Replace pattern: {"String": "..."} (literal) or {"Regex": "..."} (Oniguruma syntax).
class TextPattern {
 public:
  TextPattern(const json& j, const std::string& file, const std::string& field);
  ~TextPattern();
  TextPattern(TextPattern&&) noexcept;
  // Byte spans [begin, end) of the non-empty, non-overlapping matches, left to right.
  std::vector<std::pair<size_t, size_t>> find(std::string_view s) const;
  // Every match replaced with `content` taken literally.
  std::string replace(std::string_view s, std::string_view content) const;

 private:
  std::string literal_;
  std::unique_ptr<moebench::Regex> regex_;
};

// ---- BPE model (tokenizer_bpe.cpp) ----

// Open-addressing map from a token pair (a << 32 | b) to its merge: the merge loop's hot lookup
// (std::unordered_map's node per entry made each probe a cache miss).
class MergeTable {
 public:
  struct Merge {
    int rank;
    int new_id;
  };
  void reserve(size_t n);
  void insert(uint64_t key, Merge m);  // overwrites
  const Merge* find(uint64_t key) const {
    if (slots_.empty()) return nullptr;
    for (size_t i = slot_of(key);; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.key == key) return &s.merge;
      if (s.key == kEmpty) return nullptr;
    }
  }

 private:
  static constexpr uint64_t kEmpty = ~0ULL;  // ids are non-negative ints, so no key has it
  struct Slot {
    uint64_t key = kEmpty;
    Merge merge{};
  };
  size_t slot_of(uint64_t key) const { return (key * 0x9E3779B97F4A7C15ULL) >> shift_; }
  std::vector<Slot> slots_;
  size_t mask_ = 0;
  int shift_ = 64;
  size_t size_ = 0;
};

class BpeModel {
 public:
  BpeModel(const json& model, const std::string& file);
  // Appends the ids of one pre-tokenized word.
  void encode_word(std::string_view word, std::vector<int>* out) const;
  const std::unordered_map<std::string, int>& vocab() const { return vocab_; }
  int max_id() const { return max_id_; }

 private:
  static uint64_t pair_key(int a, int b) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
  }
  void load_merges(const json& merges, const std::string& file);
  int char_id(std::string_view ch) const;
  void initial_symbols(std::string_view word, std::vector<int>* syms) const;
  void merge_all(std::vector<int>* syms) const;

  std::unordered_map<std::string, int> vocab_;
  MergeTable merges_;
  std::vector<int> bmp_char_ids_;  // vocab id of each single-character token below U+10000
  std::string unk_token_;
  int unk_id_ = -1;
  bool fuse_unk_ = false;
  bool byte_fallback_ = false;
  bool ignore_merges_ = false;
  std::string continuing_subword_prefix_;
  std::string end_of_word_suffix_;
  std::array<int, 256> byte_ids_{};  // <0xAB> token ids when byte_fallback, else -1
  int max_id_ = -1;
  // HF's word cache: pre-tokenized words repeat, merging them again is most of the model's work.
  static constexpr size_t kCacheWords = 10000;
  static constexpr size_t kCacheMaxBytes = 256;
  mutable std::shared_mutex cache_mutex_;
  mutable std::unordered_map<std::string, std::vector<int>> cache_;
};

// ---- Decoders (tokenizer_decode.cpp) ----

class Decoder {
 public:
  virtual ~Decoder() = default;
  // HF decode_chain over token strings. raw: keep invalid UTF-8 bytes as they are (streaming
  // holds them until a character completes) instead of replacing them with U+FFFD.
  virtual void decode_chain(std::vector<std::string>* tokens, bool raw) const = 0;
};
std::unique_ptr<Decoder> decoder_from_json(const json& j, const std::string& file,
                                           const std::string& field);

// ---- Added tokens (tokenizer_added.cpp) ----

struct AddedToken {
  int id = -1;
  std::string content;
  bool special = false;
  bool lstrip = false;
  bool rstrip = false;
  bool single_word = false;
  bool normalized = false;
};

// One split of the text: [begin, end) of the searched string, `token` the index of the added
// token in the matcher's list, or -1 for plain text.
struct Segment {
  size_t begin;
  size_t end;
  int token;
};

// Leftmost-longest matching of added token contents (what HF's aho-corasick does), with the
// single_word, lstrip and rstrip rules of HF's AddedVocabulary::find_matches.
class AddedTokenMatcher {
 public:
  void build(const std::vector<const AddedToken*>& tokens);
  bool empty() const { return tokens_.empty(); }
  std::vector<Segment> split(std::string_view text) const;
  const AddedToken& token(int i) const { return *tokens_[i]; }

 private:
  bool longest_at(std::string_view text, size_t pos, int* token, size_t* len) const;
  struct Node {
    std::unordered_map<unsigned char, int> next;
    int token = -1;  // index into tokens_ when a token ends here
  };
  std::vector<Node> trie_;
  std::array<bool, 256> first_byte_{};
  std::vector<const AddedToken*> tokens_;
};

// ---- Post-processor (tokenizer.cpp) ----

// What add_special adds around a single sequence.
struct SpecialWrap {
  std::vector<int> prefix;
  std::vector<int> suffix;
};

}  // namespace moebench::tokenizer_detail

namespace moebench {

struct Tokenizer::Impl {
  std::string where;  // the file name, for messages
  std::unique_ptr<tokenizer_detail::Normalizer> normalizer;
  std::unique_ptr<tokenizer_detail::PreTokenizer> pre_tokenizer;
  std::unique_ptr<tokenizer_detail::BpeModel> model;
  std::unique_ptr<tokenizer_detail::Decoder> decoder;
  std::vector<tokenizer_detail::AddedToken> added;
  std::vector<tokenizer_detail::AddedToken>
      normalized_added;                                    // normalized ones, content normalized
  tokenizer_detail::AddedTokenMatcher raw_matcher;         // normalized == false
  tokenizer_detail::AddedTokenMatcher normalized_matcher;  // normalized == true
  tokenizer_detail::SpecialWrap wrap;
  std::vector<std::string> id_to_token;  // "" for unused ids
  std::vector<signed char> special;      // per id: 1 for special added tokens
  std::unordered_map<std::string, int> added_ids;

  void build_id_tables();
  // transformers' LlamaTokenizerFast rebuilds the post-processor from add_bos_token/add_eos_token
  // of tokenizer_config.json (DeepSeek-V3's tokenizer.json only has a ByteLevel one).
  void apply_llama_config(const std::filesystem::path& config_path);
  // Normalize, pre-tokenize and run the model on text with no added tokens in it.
  void encode_plain(std::string_view text, bool at_start, std::vector<int>* out) const;
  // The decoder chain's output before the final UTF-8 repair (may hold incomplete bytes when raw).
  std::string decode_bytes(const std::vector<int>& ids, bool skip_special, bool raw) const;
};

}  // namespace moebench
