// Tokenizer unit tests on small hand-built tokenizer.json files: byte fallback, unk fusing, added
// tokens (lstrip/rstrip/single_word), pre-tokenizer behaviors, streaming decode, bad files.
#include "backends/builtin/tokenizer/tokenizer.h"
#include "backends/builtin/tokenizer/tokenizer_internal.h"
#include "tests/catch.h"
#include "tests/tokenizer/tokenizer_test_util.h"

using moebench::Tokenizer;
using moebench::TokenStreamDecoder;
using nlohmann::json;
using tokenizer_test::input_error_of;
using tokenizer_test::tiny_spm_json;

namespace {

// A byte-level tokenizer learned from a small text, with one extra added token `<mask>`.
json bytelevel_json() {
  return moebench::tokenizer_make_bytelevel_bpe(400, {"<|end|>", "<mask>"},
                                                tokenizer_test::training_text(20000));
}

std::vector<std::string> pieces_of(const json& pre_tokenizer, const std::string& text) {
  auto pre = moebench::tokenizer_detail::pre_tokenizer_from_json(pre_tokenizer, "t.json", "pre");
  std::vector<moebench::tokenizer_detail::Piece> pieces{{text, true}};
  pre->pre_tokenize(&pieces);
  std::vector<std::string> out;
  for (const auto& p : pieces) out.push_back(p.text);
  return out;
}

std::vector<int> concat(std::vector<int> a, const std::vector<int>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

}  // namespace

TEST_CASE("byte fallback: unknown characters become <0xAB> tokens and decode back", "[tokenizer]") {
  Tokenizer tok = Tokenizer::from_json(tiny_spm_json(), "tiny.json");
  // "hi 中" -> "▁hi▁中": ▁hi, ▁, then 中 (E4 B8 AD) as three byte tokens.
  std::vector<int> ids = tok.encode("hi 中");
  CHECK(ids == std::vector<int>{263, 259, 3 + 0xE4, 3 + 0xB8, 3 + 0xAD});
  CHECK(tok.decode(ids) == "hi 中");
  CHECK(tok.encode("hi", true) == std::vector<int>{1, 263});
  CHECK(tok.decode({1, 263}, true) == "hi");
  CHECK(tok.decode({1, 263}) == "<s> hi");
  // An invalid byte run decodes to one U+FFFD per byte, as HF's ByteFallback decoder.
  CHECK(tok.decode({263, 3 + 0xE4, 3 + 0xB8}) == "hi\xEF\xBF\xBD\xEF\xBF\xBD");
  CHECK(tok.id_to_token(3 + 0x41) == "<0x41>");
  CHECK(tok.vocab_size() == 267);
}

TEST_CASE("without byte fallback unknown characters fuse into one <unk>", "[tokenizer]") {
  Tokenizer tok = Tokenizer::from_json(tiny_spm_json(false), "tiny.json");
  CHECK(tok.encode("hi 中文") == std::vector<int>{263, 259, 0});
  CHECK(tok.encode("hi 中x文") == std::vector<int>{263, 259, 0});
}

TEST_CASE("added tokens: lstrip, rstrip and single_word as HF matches them", "[tokenizer]") {
  json j = bytelevel_json();
  Tokenizer plain = Tokenizer::from_json(j, "plain.json");
  int mask = plain.token_to_id("<mask>");
  REQUIRE(mask == 399);
  REQUIRE(plain.is_special(mask));
  CHECK(plain.encode("a <mask> b") ==
        concat(concat(plain.encode("a "), {mask}), plain.encode(" b")));

  json jl = j;
  jl["added_tokens"][1]["lstrip"] = true;
  Tokenizer lstrip = Tokenizer::from_json(jl, "lstrip.json");
  CHECK(lstrip.encode("a  \t<mask> b") ==
        concat(concat(plain.encode("a"), {mask}), plain.encode(" b")));

  json jr = j;
  jr["added_tokens"][1]["rstrip"] = true;
  Tokenizer rstrip = Tokenizer::from_json(jr, "rstrip.json");
  CHECK(rstrip.encode("a <mask>  \n b") ==
        concat(concat(plain.encode("a "), {mask}), plain.encode("b")));

  json jw = j;
  jw["added_tokens"][1]["single_word"] = true;
  Tokenizer single = Tokenizer::from_json(jw, "single.json");
  std::vector<int> glued = single.encode("x<mask>y");
  CHECK(std::find(glued.begin(), glued.end(), mask) == glued.end());
  CHECK(single.encode("x <mask> y") == plain.encode("x <mask> y"));
  CHECK(single.encode("<mask>") == std::vector<int>{mask});
}

TEST_CASE("added tokens: longest match first, skip_special drops them in decode", "[tokenizer]") {
  json j = bytelevel_json();
  j["added_tokens"].push_back(
      {{"id", 400}, {"content", "<mask>>"}, {"special", false}, {"normalized", false}});
  Tokenizer tok = Tokenizer::from_json(j, "t.json");
  CHECK(tok.vocab_size() == 401);
  CHECK(tok.encode("<mask>>") == std::vector<int>{400});
  CHECK(tok.encode("<mask><|end|>") == std::vector<int>{399, 398});
  CHECK(tok.decode(tok.encode("hi<|end|>there<mask>>"), true) == "hithere<mask>>");
}

TEST_CASE("normalized added tokens match the normalized text", "[tokenizer]") {
  json j = tiny_spm_json();
  j["added_tokens"].push_back(
      {{"id", 267}, {"content", "hi there"}, {"special", false}, {"normalized", true}});
  Tokenizer tok = Tokenizer::from_json(j, "tiny.json");
  // "▁say▁hi▁there": the token's content normalizes to "▁hi▁there" too (HF's quirk included).
  CHECK(tok.encode("say hi there") == std::vector<int>{259, 3 + 's', 3 + 'a', 3 + 'y', 267});
  CHECK(tok.token_to_id("hi there") == 267);
  CHECK(!tok.is_special(267));
}

TEST_CASE("Split behaviors follow HF's documented example", "[tokenizer]") {
  auto split = [](const char* behavior, bool invert = false) {
    return json{{"type", "Split"},
                {"pattern", {{"String", "-"}}},
                {"behavior", behavior},
                {"invert", invert}};
  };
  const std::string text = "the-final--countdown";
  using V = std::vector<std::string>;
  CHECK(pieces_of(split("Removed"), text) == V{"the", "final", "countdown"});
  CHECK(pieces_of(split("Isolated"), text) == V{"the", "-", "final", "-", "-", "countdown"});
  CHECK(pieces_of(split("MergedWithPrevious"), text) == V{"the-", "final-", "-", "countdown"});
  CHECK(pieces_of(split("MergedWithNext"), text) == V{"the", "-final", "-", "-countdown"});
  CHECK(pieces_of(split("Contiguous"), text) == V{"the", "-", "final", "--", "countdown"});
  CHECK(pieces_of(split("Removed", true), text) == V{"-", "-", "-"});
  json regex = {{"type", "Split"},
                {"pattern", {{"Regex", "(?i:'s|'t)|\\p{L}+|\\s+(?!\\S)|\\s+"}}},
                {"behavior", "Isolated"},
                {"invert", false}};
  CHECK(pieces_of(regex, "It'S ok   now") == V{"It", "'S", " ", "ok", "  ", " ", "now"});
}

TEST_CASE("Digits, Metaspace and ByteLevel pre-tokenizers", "[tokenizer]") {
  using V = std::vector<std::string>;
  json digits = {{"type", "Digits"}, {"individual_digits", true}};
  CHECK(pieces_of(digits, "a123b") == V{"a", "1", "2", "3", "b"});
  digits["individual_digits"] = false;
  CHECK(pieces_of(digits, "a123b4") == V{"a", "123", "b", "4"});
  json meta = {{"type", "Metaspace"}, {"replacement", "▁"}, {"prepend_scheme", "always"}};
  CHECK(pieces_of(meta, "Hey friend") == V{"▁Hey", "▁friend"});
  meta["split"] = false;
  CHECK(pieces_of(meta, "Hey friend") == V{"▁Hey▁friend"});
  json byte_level = {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"use_regex", true}};
  CHECK(pieces_of(byte_level, "Hello, it's me") == V{"ĠHello", ",", "Ġit", "'s", "Ġme"});
}

TEST_CASE("streaming decode holds a split multi-byte character until it completes", "[tokenizer]") {
  Tokenizer tok = Tokenizer::from_json(bytelevel_json(), "t.json");
  // An emoji and a CJK character the training text never saw: one token per byte.
  std::vector<int> emoji = tok.encode("😀");
  std::vector<int> cjk = tok.encode("終");
  REQUIRE(emoji.size() == 4);
  REQUIRE(cjk.size() == 3);
  std::vector<int> ids = concat(concat(tok.encode("ok "), emoji), cjk);
  TokenStreamDecoder stream(tok);
  std::vector<std::string> outs;
  for (int id : ids) outs.push_back(stream.push(id));
  size_t n = outs.size();
  std::string before;
  for (size_t i = 0; i + 6 < n; ++i) before += outs[i];
  CHECK(before == "ok ");
  CHECK(outs[n - 6].empty());
  CHECK(outs[n - 5].empty());
  CHECK(outs[n - 4] == "😀");  // whole when its fourth byte arrives
  CHECK(outs[n - 3].empty());
  CHECK(outs[n - 2].empty());
  CHECK(outs[n - 1] == "終");
  std::string all;
  for (const auto& o : outs) all += o;
  CHECK(all + stream.flush() == "ok 😀終");

  // Byte-fallback tokens (sentencepiece layout) and a dangling lead byte at the end.
  Tokenizer spm = Tokenizer::from_json(tiny_spm_json(), "tiny.json");
  TokenStreamDecoder s2(spm);
  CHECK(s2.push(263) == "hi");
  CHECK(s2.push(259) == " ");
  CHECK(s2.push(3 + 0xE4).empty());
  CHECK(s2.push(3 + 0xB8).empty());
  CHECK(s2.push(3 + 0xAD) == "中");
  CHECK(s2.push(3 + 0xE4).empty());
  CHECK(s2.flush() == "\xEF\xBF\xBD");
}

TEST_CASE("streaming decode of a long text equals the whole decode", "[tokenizer]") {
  Tokenizer tok = Tokenizer::from_json(bytelevel_json(), "t.json");
  std::string text = tokenizer_test::training_text(3000) + " 👩‍❤️‍👨 終わり";
  std::vector<int> ids = tok.encode(text);
  REQUIRE(ids.size() > 200);  // past the decoder's window, so it trims its history
  TokenStreamDecoder stream(tok);
  std::string out;
  for (int id : ids) out += stream.push(id);
  out += stream.flush();
  CHECK(out == text);
  CHECK(tok.decode(ids) == text);

  Tokenizer spm = Tokenizer::from_json(tiny_spm_json(), "tiny.json");
  std::vector<int> sids = spm.encode("hi hello 中文 hi");
  TokenStreamDecoder s2(spm);
  std::string sout;
  for (int id : sids) sout += s2.push(id);
  CHECK(sout + s2.flush() == spm.decode(sids));
}

// Found by tests/fuzz/tokenizer_json.cpp: an id past INT_MAX wrapped to a negative index into the
// id tables (undefined behavior), a huge one allocated a string per id, and post-processor ids of
// the wrong type escaped as nlohmann's type_error.
TEST_CASE("token ids out of range or of the wrong type are InputErrors naming the field",
          "[tokenizer]") {
  const json j = tiny_spm_json();
  json big_vocab = j;
  big_vocab["model"]["vocab"]["<s>"] = 4294967295L;
  CHECK(input_error_of([&] {
          Tokenizer::from_json(big_vocab, "bad.json");
        }).starts_with("bad.json: field 'model.vocab['<s>']': expected a token id"));
  json big_added = j;
  big_added["added_tokens"][1]["id"] = 1 << 30;
  CHECK(input_error_of([&] {
          Tokenizer::from_json(big_added, "bad.json");
        }).starts_with("bad.json: field 'added_tokens[1].id': expected a token id"));
  json bad_ids = j;
  bad_ids["post_processor"]["special_tokens"]["<s>"]["ids"] = {"1"};
  CHECK(
      input_error_of([&] { Tokenizer::from_json(bad_ids, "bad.json"); })
          .starts_with("bad.json: field 'post_processor.special_tokens.<s>.ids': expected a token "
                       "id"));
  json bert = j;
  bert["post_processor"] = {{"type", "BertProcessing"}, {"cls", "<s>"}, {"sep", {"</s>", 2}}};
  CHECK(input_error_of([&] { Tokenizer::from_json(bert, "bad.json"); }) ==
        "bad.json: field 'post_processor.cls': expected [token, id]");
}

TEST_CASE("malformed tokenizer.json is an InputError naming the file and field", "[tokenizer]") {
  json j = tiny_spm_json();
  json no_model = j;
  no_model.erase("model");
  CHECK(input_error_of([&] { Tokenizer::from_json(no_model, "bad.json"); }) ==
        "bad.json: field 'model': missing");
  json bad_pre = j;
  bad_pre["pre_tokenizer"] = {{"type", "Sequence"}, {"pretokenizers", {{{"type", "Whitespace"}}}}};
  CHECK(input_error_of([&] { Tokenizer::from_json(bad_pre, "bad.json"); }) ==
        "bad.json: field 'pre_tokenizer.pretokenizers[0].type': unsupported pre_tokenizer type "
        "'Whitespace'");
  json bad_model = j;
  bad_model["model"]["type"] = "Unigram";
  CHECK(input_error_of([&] { Tokenizer::from_json(bad_model, "bad.json"); }) ==
        "bad.json: field 'model.type': unsupported model type 'Unigram'");
  json bad_merge = j;
  bad_merge["model"]["merges"][0] = "h zz";
  CHECK(input_error_of([&] {
          Tokenizer::from_json(bad_merge, "bad.json");
        }).starts_with("bad.json: field 'model.merges[0]': merge 'h' + 'zz'"));
  json bad_regex = j;
  bad_regex["pre_tokenizer"] = {
      {"type", "Split"}, {"pattern", {{"Regex", "(unclosed"}}}, {"behavior", "Isolated"}};
  CHECK(input_error_of([&] {
          Tokenizer::from_json(bad_regex, "bad.json");
        }).starts_with("bad.json: field 'pre_tokenizer.pattern.Regex': regex '(unclosed'"));
  json bad_decoder = j;
  bad_decoder["decoder"] = {{"type", "WordPiece"}};
  CHECK(input_error_of([&] { Tokenizer::from_json(bad_decoder, "bad.json"); }) ==
        "bad.json: field 'decoder.type': unsupported decoder type 'WordPiece'");

  auto dir = tokenizer_test::temp_dir("tok_test");
  std::ofstream(dir / "tokenizer.json") << "{not json";
  CHECK(input_error_of([&] { Tokenizer::load(dir / "tokenizer.json"); }) ==
        (dir / "tokenizer.json").string() + ": invalid JSON");
  CHECK(input_error_of([&] { Tokenizer::load(dir / "absent.json"); }) ==
        (dir / "absent.json").string() + ": cannot open");
  std::filesystem::remove_all(dir);
}

TEST_CASE("invalid UTF-8 input is repaired, not rejected", "[tokenizer]") {
  Tokenizer tok = Tokenizer::from_json(bytelevel_json(), "t.json");
  CHECK(tok.decode(tok.encode("a\xFF"
                              "b")) ==
        "a\xEF\xBF\xBD"
        "b");
  CHECK(tok.encode("").empty());
}
