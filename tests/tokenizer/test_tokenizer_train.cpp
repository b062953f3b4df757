// tokenizer_make_bytelevel_bpe: exact vocab size, special tokens at the top, loadable, lossless on
// any UTF-8, deterministic, and fast enough for `moebench model init`.
#include <chrono>
#include <random>

#include "backends/builtin/tokenizer/tokenizer.h"
#include "backends/builtin/tokenizer/tokenizer_internal.h"
#include "tests/catch.h"
#include "tests/tokenizer/tokenizer_test_util.h"

using moebench::Tokenizer;
using moebench::tokenizer_make_bytelevel_bpe;

namespace {

// Random valid UTF-8: ASCII, controls, 2-, 3- and 4-byte characters (no surrogates).
std::string random_utf8(std::mt19937& rng, size_t chars) {
  std::string out;
  std::uniform_int_distribution<int> kind(0, 5);
  for (size_t i = 0; i < chars; ++i) {
    char32_t cp = 0;
    switch (kind(rng)) {
      case 0:
      case 1:
        cp = std::uniform_int_distribution<int>(0, 0x7F)(rng);
        break;
      case 2:
        cp = std::uniform_int_distribution<int>(0x80, 0x7FF)(rng);
        break;
      case 3:
        cp = std::uniform_int_distribution<int>(0x800, 0xD7FF)(rng);
        break;
      case 4:
        cp = std::uniform_int_distribution<int>(0xE000, 0xFFFF)(rng);
        break;
      default:
        cp = std::uniform_int_distribution<int>(0x10000, 0x10FFFF)(rng);
    }
    moebench::tokenizer_detail::utf8_append(&out, cp);
  }
  return out;
}

}  // namespace

TEST_CASE("make_bytelevel_bpe: exact vocab size, special tokens on top, lossless", "[tokenizer]") {
  std::string text = tokenizer_test::training_text(50000);
  std::vector<std::string> specials = {"<|bos|>", "<|eos|>", "<|im_start|>", "<|im_end|>"};
  nlohmann::json j = tokenizer_make_bytelevel_bpe(1000, specials, text);
  Tokenizer tok = Tokenizer::from_json(j, "made.json");
  CHECK(tok.vocab_size() == 1000);
  CHECK(j["model"]["vocab"].size() == 996);
  CHECK(j["model"]["merges"].size() >= 996 - 256);
  for (size_t i = 0; i < specials.size(); ++i) {
    int id = 996 + static_cast<int>(i);
    CHECK(tok.token_to_id(specials[i]) == id);
    CHECK(tok.is_special(id));
  }
  CHECK(!tok.is_special(995));
  // Merges were learned: the training text takes far fewer tokens than bytes.
  std::string sample = text.substr(0, 2000);
  CHECK(tok.encode(sample).size() < sample.size() / 2);
  CHECK(tok.encode("<|im_start|>user").front() == 998);

  std::mt19937 rng(7);
  for (int i = 0; i < 200; ++i) {
    std::string s = random_utf8(rng, 1 + i % 40);
    REQUIRE(tok.decode(tok.encode(s)) == s);
  }
  for (const std::string& line : tokenizer_test::read_corpus()) {
    REQUIRE(tok.decode(tok.encode(line)) == line);
  }
  CHECK(tokenizer_make_bytelevel_bpe(1000, specials, text) == j);  // deterministic
}

TEST_CASE("make_bytelevel_bpe: short text still fills the vocab, bad sizes are errors",
          "[tokenizer]") {
  nlohmann::json j = tokenizer_make_bytelevel_bpe(700, {"<eos>"}, "tiny text, tiny text");
  Tokenizer tok = Tokenizer::from_json(j, "tiny.json");
  CHECK(tok.vocab_size() == 700);
  CHECK(tok.token_to_id("<eos>") == 699);
  CHECK(tok.decode(tok.encode("tiny text!")) == "tiny text!");
  CHECK(tokenizer_test::input_error_of([] {
          tokenizer_make_bytelevel_bpe(257, {"a", "b"}, "x");
        }) ==
        "tokenizer_make_bytelevel_bpe: vocab_size 257 is below 256 byte tokens + 2 special tokens");
  CHECK(!tokenizer_test::input_error_of([] {
           tokenizer_make_bytelevel_bpe(300, {"a", "a"}, "x");
         }).empty());
  Tokenizer bytes_only = Tokenizer::from_json(tokenizer_make_bytelevel_bpe(256, {}, ""), "b.json");
  CHECK(bytes_only.encode("ab") == std::vector<int>{'a', 'b'});
}

TEST_CASE("make_bytelevel_bpe: 32k vocab from a few hundred KB, its time reported",
          "[tokenizer][bench]") {
  std::string text = tokenizer_test::training_text(400000);
  auto start = std::chrono::steady_clock::now();
  nlohmann::json j = tokenizer_make_bytelevel_bpe(32000, {"<|bos|>", "<|eos|>"}, text);
  double train_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  start = std::chrono::steady_clock::now();
  Tokenizer tok = Tokenizer::from_json(j, "big.json");
  double load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  CHECK(tok.vocab_size() == 32000);
  std::string sample = text.substr(1000, 5000);
  CHECK(tok.decode(tok.encode(sample)) == sample);
  WARN("make_bytelevel_bpe(32000) on " << text.size() << " bytes: " << train_s << " s; load "
                                       << load_s << " s; " << j["model"]["merges"].size()
                                       << " merges");
}
