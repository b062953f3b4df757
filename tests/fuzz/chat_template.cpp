// Fuzz target: a tokenizer_config.json through chat_format_detect (the chat_template's markers,
// bos/eos tokens as strings or AddedToken objects), then a conversation rendered in the format.
#include <vector>

#include "backends/builtin/chat_format.h"
#include "common/error.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
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
  return 0;
}
