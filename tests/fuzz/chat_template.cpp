// Fuzz target: a checkpoint's tokenizer_config.json, read by both of its readers:
// chat_format_detect (the chat_template's markers, bos/eos tokens as strings or AddedToken
// objects), then a conversation rendered in the format; and Tokenizer::load, which applies the
// file's Llama flags (tokenizer_class, add_bos_token, bos_token) to a small fixed tokenizer.json
// beside it.
#include <fstream>
#include <vector>

#include "backends/builtin/tokenizer/chat_format.h"
#include "backends/builtin/tokenizer/tokenizer.h"
#include "common/error.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

// A byte-level BPE of 300 ids with the specials the three chat formats use, written once.
const std::filesystem::path& tokenizer_json() {
  static const std::filesystem::path path = [] {
    const nlohmann::json j = moebench::tokenizer_make_bytelevel_bpe(
        300, {"<s>", "</s>", "[INST]", "[/INST]", "<|im_start|>", "<|im_end|>"},
        "Natalia sold clips to 48 of her friends in April, and then she sold half as many.");
    const std::filesystem::path p = moebench::fuzz::fuzz_scratch_dir() / "tokenizer.json";
    std::ofstream(p) << j.dump();
    return p;
  }();
  return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto& tok_json = tokenizer_json();
  const auto file = moebench::fuzz::fuzz_write_file(data, size, "tokenizer_config.json");
  try {
    moebench::ChatFormat f = moebench::chat_format_detect(file);
    const std::vector<moebench::ChatMessage> messages = {
        {"system", "Be brief."}, {"user", "2+2?"}, {"assistant", "4"}, {"user", "And 3+3?"}};
    f.render(messages, true);
    f.render(messages, false);
    f.name();
  } catch (const moebench::InputError&) {
  }
  // NOTE: without the key, Tokenizer::load reads the config only as JSON (chat_format_detect just
  // did); skipping it keeps this target at thousands of executions a second instead of ~100.
  if (moebench::fuzz::fuzz_text(data, size).find("tokenizer_class") == std::string_view::npos) {
    return 0;
  }
  try {
    moebench::Tokenizer tok = moebench::Tokenizer::load(tok_json);
    tok.decode(tok.encode("<s>[INST] 2+2? [/INST]", true));
  } catch (const moebench::InputError&) {
  }
  return 0;
}
