// Fuzz target: a tokenizer.json through Tokenizer::load (model, merges, added tokens,
// normalizer, pre-tokenizer regexes, decoder), then an encode/decode round of a fixed text with
// special tokens, as BuiltinModel::open and the server use it.
#include <vector>

#include "backends/builtin/tokenizer/tokenizer.h"
#include "common/error.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

constexpr char kText[] =
    "<|im_start|>user\nHello, world! 12345  \xe4\xbd\xa0\xe5\xa5\xbd \xf0\x9f\x98\x80 caf\xc3\xa9"
    "\r\n\tdon't<|im_end|><\xef\xbd\x9c"
    "begin\xe2\x96\x81of\xe2\x96\x81sentence\xef\xbd\x9c>";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto file = moebench::fuzz::fuzz_write_file(data, size, "tokenizer.json");
  try {
    moebench::Tokenizer tok = moebench::Tokenizer::load(file);
    for (bool special : {false, true}) {
      std::vector<int> ids = tok.encode(kText, special);
      tok.decode(ids, special);
      tok.token_bytes(ids, special);
      moebench::TokenStreamDecoder stream(tok, special);
      for (int id : ids) stream.push(id);
      stream.flush();
    }
    const int vocab = tok.vocab_size();
    for (int id = 0; id < vocab && id < 512; ++id) {
      tok.is_special(id);
      tok.token_to_id(tok.id_to_token(id));
    }
  } catch (const moebench::InputError&) {
  }
  return 0;
}
