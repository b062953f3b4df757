// Tokenizer: HF tokenizer.json BPE (byte-level with the file's Split regexes, or sentencepiece
// style with byte fallback), added/special tokens, and UTF-8-safe streaming decode.
#pragma once

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace moebench {

class Tokenizer {
 public:
  // Throws InputError naming the file and the field for anything it cannot honour.
  static Tokenizer load(const std::filesystem::path& tokenizer_json);
  static Tokenizer from_json(const nlohmann::json& j, const std::string& where);
  ~Tokenizer();
  Tokenizer(Tokenizer&&) noexcept;
  Tokenizer& operator=(Tokenizer&&) noexcept;

  // Special tokens written in the text (e.g. "<|im_start|>") are matched as added tokens, as HF
  // does. add_special adds what the post-processor declares (e.g. the BOS of DeepSeek/Mixtral).
  std::vector<int> encode(std::string_view text, bool add_special = false) const;
  // skip_special drops special added tokens from the text.
  std::string decode(const std::vector<int>& ids, bool skip_special = false) const;

  // The raw bytes each id adds to the decoded text, in order; a character split over tokens
  // stays split over their pieces. The pieces join to decode(ids) before its UTF-8 repair.
  std::vector<std::string> token_bytes(const std::vector<int>& ids, bool skip_special) const;

  int vocab_size() const;                         // largest id + 1, added tokens included
  int token_to_id(std::string_view token) const;  // -1 when absent
  std::string id_to_token(int id) const;          // "" when absent
  bool is_special(int id) const;

 private:
  struct Impl;
  explicit Tokenizer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  friend class TokenStreamDecoder;
};

// Incremental decode for streaming: feed ids one at a time, get back only complete UTF-8 text
// (a multi-byte character split over tokens is held until it completes).
class TokenStreamDecoder {
 public:
  explicit TokenStreamDecoder(const Tokenizer& tok, bool skip_special = true);
  std::string push(int id);
  std::string flush();  // what is left (invalid trailing bytes become U+FFFD)

 private:
  const Tokenizer& tok_;
  bool skip_special_;
  std::vector<int> ids_;
  size_t emitted_bytes_ = 0;
};

// Writes a real byte-level BPE tokenizer.json (GPT-2/DeepSeek-style pre-tokenizer, ByteLevel
// decoder) of exactly `vocab_size` ids: the 256 byte tokens, merges learned greedily from
// `training_text`, then `special_tokens` as added special tokens at the top ids. Used by
// `moebench model init`.
nlohmann::json tokenizer_make_bytelevel_bpe(int vocab_size,
                                            const std::vector<std::string>& special_tokens,
                                            std::string_view training_text);

}  // namespace moebench
