// Chat formats of MoE checkpoints whose templates were refused: each real tokenizer_config.json
// (tests/tokenizer/chat_templates) is detected as its format, and renders equal jinja2's
// (sandboxed, trim_blocks and lstrip_blocks, as transformers renders) of the file's template.
#include <string>
#include <vector>

#include "backends/builtin/tokenizer/chat_format.h"
#include "tests/catch.h"
#include "tests/tokenizer/tokenizer_test_util.h"

using moebench::ChatFormat;
using moebench::ChatMessage;

namespace {

const std::vector<ChatMessage> kSingle = {{"user", "Q?"}};
const std::vector<ChatMessage> kSystemUser = {{"system", "You are helpful."}, {"user", "Q?"}};
const std::vector<ChatMessage> kMultiTurn = {
    {"system", "You are helpful."}, {"user", "Hi"}, {"assistant", "Hello!"}, {"user", "2+2?"}};
const std::vector<ChatMessage> kFewShot = {
    {"user", "Q1"}, {"assistant", "A1"}, {"user", "Q2"}, {"assistant", "A2"}};
const std::vector<ChatMessage> kTwoSystems = {{"system", "S1"}, {"system", "S2"}, {"user", "U"}};
const std::vector<ChatMessage> kThought = {
    {"user", "Q1"}, {"assistant", "<think>\nr\n</think>\n\nA1"}, {"user", "Q2"}};

ChatFormat detect(const char* name) {
  return moebench::chat_format_detect(tokenizer_test::chat_config(name));
}

}  // namespace

// DeepSeek-V2-Lite-Chat's template (V2-Chat's too) has no special-token markers, so it was an
// "unrecognized template": chat suites could not run on the engine's headline checkpoint.
TEST_CASE("DeepSeek-V2-Lite-Chat template is its own format and renders as jinja2 does", "[chat]") {
  const ChatFormat f = detect("deepseek_v2");
  CHECK(std::string(f.name()) == "deepseek_v2");
  const std::string b = "<｜begin▁of▁sentence｜>", e = "<｜end▁of▁sentence｜>";
  CHECK(f.render(kSingle, true) == b + "User: Q?\n\nAssistant:");
  CHECK(f.render(kSingle, false) == b + "User: Q?\n\n");
  CHECK(f.render(kSystemUser, true) == b + "You are helpful.\n\nUser: Q?\n\nAssistant:");
  CHECK(f.render(kMultiTurn, true) ==
        b + "You are helpful.\n\nUser: Hi\n\nAssistant: Hello!" + e + "User: 2+2?\n\nAssistant:");
  CHECK(f.render(kFewShot, false) ==
        b + "User: Q1\n\nAssistant: A1" + e + "User: Q2\n\nAssistant: A2" + e);
  // The generation prompt follows whatever came last; system messages stay where they stand.
  CHECK(f.render(kFewShot, true) ==
        b + "User: Q1\n\nAssistant: A1" + e + "User: Q2\n\nAssistant: A2" + e + "Assistant:");
  CHECK(f.render(kTwoSystems, true) == b + "S1\n\nS2\n\nUser: U\n\nAssistant:");
  CHECK(f.render({{"user", "Q"}, {"system", "S"}}, true) == b + "User: Q\n\nS\n\nAssistant:");
  // No thinking: an assistant turn is kept whole.
  CHECK(f.render(kThought, true) ==
        b + "User: Q1\n\nAssistant: <think>\nr\n</think>\n\nA1" + e + "User: Q2\n\nAssistant:");
  CHECK(f.bos == b);
  CHECK(f.eos == e);
}

// Mixtral-8x7B-Instruct-v0.1's first template (the one huggingface.js tests under that name): no
// space before "[INST]" or the answer, and no system message. It was refused as a Mistral template
// of no known variant.
TEST_CASE("Mixtral-Instruct-v0.1 first template is its own format and renders as jinja2 does",
          "[chat]") {
  const ChatFormat f = detect("mistral_legacy");
  CHECK(std::string(f.name()) == "mistral_legacy");
  CHECK(f.render(kSingle, true) == "<s>[INST] Q? [/INST]");
  CHECK(f.render(kSingle, false) == "<s>[INST] Q? [/INST]");
  CHECK(f.render({{"user", "Hi"}, {"assistant", "Hello!"}, {"user", "2+2?"}}, true) ==
        "<s>[INST] Hi [/INST]Hello!</s>[INST] 2+2? [/INST]");
  CHECK(f.render(kFewShot, false) == "<s>[INST] Q1 [/INST]A1</s>[INST] Q2 [/INST]A2</s>");
  CHECK(f.render(kThought, true) ==
        "<s>[INST] Q1 [/INST]<think>\nr\n</think>\n\nA1</s>[INST] Q2 [/INST]");
  // The template raises on a system message: first, as roles out of turn; later, as a role it
  // does not support.
  using tokenizer_test::input_error_of;
  for (const auto& messages : {kSystemUser, kMultiTurn, kTwoSystems}) {
    CHECK(input_error_of([&] { f.render(messages, true); }) ==
          "mistral chat template: conversation roles must alternate "
          "user/assistant/user/assistant/...");
  }
  CHECK(input_error_of([&] {
          f.render({{"user", "Q"}, {"system", "S"}}, true);
        }) == "mistral chat template: only user and assistant roles are supported");
  CHECK(input_error_of([&] {
          f.render({{"assistant", "A"}}, true);
        }).find("alternate") != std::string::npos);
  CHECK(f.bos == "<s>");
  CHECK(f.eos == "</s>");
}
