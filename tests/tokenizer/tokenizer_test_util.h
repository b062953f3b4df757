// Shared helpers of the tokenizer tests: the reference-tokenizer cache, the parity corpus, a tiny
// sentencepiece-style tokenizer.json and a deterministic training text.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/error.h"

namespace tokenizer_test {

// $MOEBENCH_TOKENIZER_CACHE, else <source>/.cache/tokenizers (scripts/fetch_tokenizers.sh).
inline std::filesystem::path cache_dir() {
  if (const char* env = std::getenv("MOEBENCH_TOKENIZER_CACHE"); env && *env) return env;
  if (const char* env = std::getenv("MOEBENCH_CACHE"); env && *env) {
    return std::filesystem::path(env) / "tokenizers";
  }
  return std::filesystem::path(MOEBENCH_SOURCE_DIR) / ".cache" / "tokenizers";
}

inline std::filesystem::path fixture_dir() {
  return std::filesystem::path(MOEBENCH_SOURCE_DIR) / "tests" / "fixtures" / "tokenizer";
}

// A fresh directory of this process (ctest runs test cases in parallel processes).
inline std::filesystem::path temp_dir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() /
             ("moebench_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return dir;
}

// One JSON value per non-empty line.
inline std::vector<nlohmann::json> read_jsonl(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::vector<nlohmann::json> out;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(nlohmann::json::parse(line));
  }
  return out;
}

inline std::vector<std::string> read_corpus() {
  std::vector<std::string> out;
  for (const auto& j : read_jsonl(fixture_dir() / "corpus.jsonl"))
    out.push_back(j.get<std::string>());
  return out;
}

// A sentencepiece-style (Llama/Mixtral layout) tokenizer: Prepend/Replace normalizer, byte
// fallback, fuse_unk, BOS template, Replace/ByteFallback/Fuse/Strip decoder. Vocab: <unk> <s>
// </s>, the 256 <0xAB> tokens (ids 3..258), then "▁" "h" "i" "hi" "▁hi" "e" "l" "o".
inline nlohmann::json tiny_spm_json(bool byte_fallback = true) {
  using nlohmann::json;
  json vocab = {{"<unk>", 0}, {"<s>", 1}, {"</s>", 2}};
  for (int b = 0; b < 256; ++b) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "<0x%02X>", b);
    vocab[buf] = 3 + b;
  }
  int id = 259;
  for (const char* t : {"▁", "h", "i", "hi", "▁hi", "e", "l", "o"}) vocab[t] = id++;
  auto added = [](int i, const char* content) {
    return json{{"id", i},         {"content", content},  {"single_word", false}, {"lstrip", false},
                {"rstrip", false}, {"normalized", false}, {"special", true}};
  };
  return json{{"version", "1.0"},
              {"added_tokens", {added(0, "<unk>"), added(1, "<s>"), added(2, "</s>")}},
              {"normalizer",
               {{"type", "Sequence"},
                {"normalizers",
                 {{{"type", "Prepend"}, {"prepend", "▁"}},
                  {{"type", "Replace"}, {"pattern", {{"String", " "}}}, {"content", "▁"}}}}}},
              {"pre_tokenizer", nullptr},
              {"post_processor",
               {{"type", "TemplateProcessing"},
                {"single",
                 {{{"SpecialToken", {{"id", "<s>"}, {"type_id", 0}}}},
                  {{"Sequence", {{"id", "A"}, {"type_id", 0}}}}}},
                {"special_tokens", {{"<s>", {{"id", "<s>"}, {"ids", {1}}, {"tokens", {"<s>"}}}}}}}},
              {"decoder",
               {{"type", "Sequence"},
                {"decoders",
                 {{{"type", "Replace"}, {"pattern", {{"String", "▁"}}}, {"content", " "}},
                  {{"type", "ByteFallback"}},
                  {{"type", "Fuse"}},
                  {{"type", "Strip"}, {"content", " "}, {"start", 1}, {"stop", 0}}}}}},
              {"model",
               {{"type", "BPE"},
                {"unk_token", "<unk>"},
                {"fuse_unk", true},
                {"byte_fallback", byte_fallback},
                {"vocab", vocab},
                {"merges", {"h i", json::array({"▁", "hi"})}}}}};
}

// Pseudo-random words (fixed LCG) in a few scripts with punctuation and numbers: a training text
// with many distinct pairs.
inline std::string training_text(size_t bytes) {
  static const std::vector<std::string> kAlphabets = {
      "etaoinshrdlcumwfgypbvkjxqz", "аеиоунтсрвлкмдп", "的一是不了人我在有他这中大来上国个到说们",
      "αβγδεζηθικλμνξοπρστυφχψω"};
  uint64_t state = 12345;
  auto next = [&] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<uint32_t>(state >> 33);
  };
  std::string out;
  while (out.size() < bytes) {
    const std::string& a = kAlphabets[next() % 10 < 7 ? 0 : 1 + next() % 3];
    // Characters of an alphabet: ASCII is 1 byte each, the others 2 or 3.
    size_t width = a[0] & 0x80 ? ((a[0] & 0xF0) == 0xE0 ? 3 : 2) : 1;
    size_t n_chars = a.size() / width;
    int len = 1 + static_cast<int>(next() % 9);
    for (int i = 0; i < len; ++i) {
      // Skewed choice so that some pairs are much more frequent than others.
      size_t r = next() % n_chars;
      size_t c = (r * r) / n_chars;
      out += a.substr(c * width, width);
    }
    uint32_t sep = next() % 20;
    out += sep == 0   ? ", "
           : sep == 1 ? ".\n"
           : sep == 2 ? " " + std::to_string(next() % 1000) + " "
                      : " ";
  }
  return out;
}

// The message of the InputError `f` throws, "" when it throws none (other exceptions escape).
template <typename F>
std::string input_error_of(F f) {
  try {
    f();
  } catch (const moebench::InputError& e) {
    return e.what();
  }
  return "";
}

// A real checkpoint's tokenizer_config.json as it ships (tests/tokenizer/chat_templates/NAME.json).
inline std::filesystem::path chat_config(const std::string& name) {
  return std::filesystem::path(MOEBENCH_SOURCE_DIR) / "tests/tokenizer/chat_templates" /
         (name + ".json");
}

// `config` written as tokenizer_config.json in a fresh directory of this process.
inline std::filesystem::path write_chat_config(const nlohmann::json& config) {
  auto dir = temp_dir("chat_test");
  std::ofstream(dir / "tokenizer_config.json") << config.dump();
  return dir / "tokenizer_config.json";
}

}  // namespace tokenizer_test
