// Chat formats: render gives exactly the text the real Jinja templates give (expected strings made
// with jinja2 from chat_format_template's text), detection by markers, and its errors.
#include <filesystem>
#include <fstream>

#include "backends/builtin/tokenizer/chat_format.h"
#include "backends/builtin/tokenizer/tokenizer.h"
#include "tests/catch.h"
#include "tests/tokenizer/tokenizer_test_util.h"

using moebench::ChatFormat;
using moebench::ChatFormatKind;
using moebench::ChatMessage;
using tokenizer_test::input_error_of;

namespace {

const std::vector<ChatMessage> kMultiTurn = {
    {"system", "You are helpful."}, {"user", "Hi"}, {"assistant", "Hello!"}, {"user", "2+2?"}};
const std::vector<ChatMessage> kFewShot = {
    {"user", "Q1"}, {"assistant", "A1"}, {"user", "Q2"}, {"assistant", "A2"}};
const std::vector<ChatMessage> kTwoSystems = {{"system", "S1"}, {"system", "S2"}, {"user", "U"}};

ChatFormat format(const char* name) { return moebench::chat_format_from_name(name, "test"); }

std::filesystem::path write_config(const nlohmann::json& config) {
  auto dir = tokenizer_test::temp_dir("chat_test");
  std::ofstream(dir / "tokenizer_config.json") << config.dump();
  return dir / "tokenizer_config.json";
}

}  // namespace

TEST_CASE("DeepSeek-V3 render matches its Jinja template", "[chat]") {
  ChatFormat f = format("deepseek_v3");
  CHECK(f.render(kMultiTurn, true) ==
        "<｜begin▁of▁sentence｜>You are "
        "helpful.<｜User｜>Hi<｜Assistant｜>Hello!<｜end▁of▁sentence｜>"
        "<｜User｜>2+2?<｜Assistant｜>");
  CHECK(f.render({{"user", "Hi"}}, true) == "<｜begin▁of▁sentence｜><｜User｜>Hi<｜Assistant｜>");
  CHECK(f.render(kFewShot, false) ==
        "<｜begin▁of▁sentence｜><｜User｜>Q1<｜Assistant｜>A1<｜end▁of▁sentence｜><｜User｜>Q2"
        "<｜Assistant｜>A2<｜end▁of▁sentence｜>");
  CHECK(f.render(kTwoSystems, true) == "<｜begin▁of▁sentence｜>S1\n\nS2<｜User｜>U<｜Assistant｜>");
  CHECK(f.eos == "<｜end▁of▁sentence｜>");
  CHECK(std::string(f.name()) == "deepseek_v3");
}

TEST_CASE("DeepSeek-R1 render matches its Jinja template: thinking opened, old thinking dropped",
          "[chat]") {
  ChatFormat f = format("deepseek_r1");
  CHECK(f.render({{"system", "You are helpful."},
                  {"user", "Hi"},
                  {"assistant", "<think>\nhm\n</think>\n\nHello!"},
                  {"user", "2+2?"}},
                 true) ==
        "<｜begin▁of▁sentence｜>You are helpful.<｜User｜>Hi<｜Assistant｜>\n\nHello!"
        "<｜end▁of▁sentence｜><｜User｜>2+2?<｜Assistant｜><think>\n");
  CHECK(
      f.render({{"user", "Q1"}, {"assistant", "A1"}, {"user", "Q2"}, {"assistant", "x</think>A2"}},
               false) ==
      "<｜begin▁of▁sentence｜><｜User｜>Q1<｜Assistant｜>A1<｜end▁of▁sentence｜><｜User｜>Q2"
      "<｜Assistant｜>A2<｜end▁of▁sentence｜>");
  CHECK(f.render({{"user", "Hi"}}, true) ==
        "<｜begin▁of▁sentence｜><｜User｜>Hi<｜Assistant｜><think>\n");
  CHECK(std::string(f.name()) == "deepseek_r1");
}

TEST_CASE("ChatML render matches Qwen3's Jinja template", "[chat]") {
  ChatFormat f = format("chatml");
  CHECK(f.render(kMultiTurn, true) ==
        "<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
        "<|im_start|>assistant\nHello!<|im_end|>\n<|im_start|>user\n2+2?<|im_end|>\n"
        "<|im_start|>assistant\n");
  CHECK(f.render({{"user", "Hi"}}, true) ==
        "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
  CHECK(f.render(kTwoSystems, true) ==
        "<|im_start|>system\nS1<|im_end|>\n<|im_start|>system\nS2<|im_end|>\n"
        "<|im_start|>user\nU<|im_end|>\n<|im_start|>assistant\n");
  // Qwen3: an assistant turn after the last user turn gets a (here empty) <think> block, and
  // reasoning is split off at </think>; earlier turns keep only the answer.
  CHECK(f.render(kFewShot, false) ==
        "<|im_start|>user\nQ1<|im_end|>\n<|im_start|>assistant\nA1<|im_end|>\n<|im_start|>user\nQ2"
        "<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\nA2<|im_end|>\n");
  CHECK(f.render({{"user", "Q"}, {"assistant", "<think>\nr\n</think>\n\nA"}}, false) ==
        "<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n<think>\nr\n</"
        "think>\n\nA<|im_end|>\n");
  CHECK(f.render({{"user", "Q1"}, {"assistant", "<think>x</think>A1"}, {"user", "Q2"}}, true) ==
        "<|im_start|>user\nQ1<|im_end|>\n<|im_start|>assistant\nA1<|im_end|>\n<|im_start|>user\nQ2"
        "<|im_end|>\n<|im_start|>assistant\n");
  CHECK(f.eos == "<|im_end|>");
  CHECK(f.bos.empty());
}

TEST_CASE("Mistral render matches Mixtral-Instruct's Jinja template", "[chat]") {
  ChatFormat f = format("mistral");
  CHECK(f.render(kMultiTurn, true) ==
        "<s> [INST] You are helpful.\n\nHi [/INST] Hello!</s> [INST] 2+2? [/INST]");
  CHECK(f.render({{"user", "Hi"}}, true) == "<s> [INST] Hi [/INST]");
  CHECK(f.render(kFewShot, false) == "<s> [INST] Q1 [/INST] A1</s> [INST] Q2 [/INST] A2</s>");
  CHECK(f.render({{"system", "S"}, {"user", "Q1"}, {"assistant", "A1"}, {"user", "Q2"}}, false) ==
        "<s> [INST] S\n\nQ1 [/INST] A1</s> [INST] Q2 [/INST]");
  CHECK(input_error_of([&] {
          f.render(kTwoSystems, true);
        }).find("conversation roles must alternate") != std::string::npos);
  CHECK(input_error_of([&] {
          f.render({{"assistant", "A"}}, true);
        }).find("alternate") != std::string::npos);
}

TEST_CASE("render rejects roles the formats do not know", "[chat]") {
  CHECK(input_error_of([] {
          format("chatml").render({{"tool", "x"}}, true);
        }) == "chat message 0: unknown role 'tool' (expected system, user or assistant)");
}

TEST_CASE("chat_format_detect recognizes each family's template by its markers", "[chat]") {
  for (ChatFormatKind kind : {ChatFormatKind::deepseek_v3, ChatFormatKind::deepseek_r1,
                              ChatFormatKind::chatml, ChatFormatKind::mistral}) {
    auto path = write_config({{"chat_template", moebench::chat_format_template(kind)}});
    ChatFormat f = moebench::chat_format_detect(path);
    CHECK(f.kind == kind);
    CHECK(f.eos == format(f.name()).eos);
  }
  auto custom_bos = write_config({{"chat_template", "[INST] {{ messages }}"},
                                  {"bos_token", {{"__type", "AddedToken"}, {"content", "<B>"}}}});
  CHECK(moebench::chat_format_detect(custom_bos).bos == "<B>");
  auto listed = write_config({{"chat_template",
                               {{{"name", "tool_use"}, {"template", "x"}},
                                {{"name", "default"}, {"template", "<|im_start|>{{ m }}"}}}}});
  CHECK(moebench::chat_format_detect(listed).kind == ChatFormatKind::chatml);
  std::filesystem::remove_all(listed.parent_path());
}

TEST_CASE("chat_format_detect errors name the file and quote the template", "[chat]") {
  auto unknown = write_config(
      {{"chat_template", "{% for message in messages %}\n{{ '<<SYS>>' + message['content'] }}"}});
  CHECK(
      input_error_of([&] { moebench::chat_format_detect(unknown); }) ==
      unknown.string() +
          ": field 'chat_template': unrecognized template '{% for message in messages %}\\n{{ "
          "'<<SYS>...' (known: DeepSeek-V3 <｜User｜>, DeepSeek-R1 <｜Assistant｜><think>, ChatML "
          "<|im_start|>, Mistral [INST])");
  auto missing = write_config({{"bos_token", "<s>"}});
  CHECK(input_error_of([&] { moebench::chat_format_detect(missing); }) ==
        missing.string() + ": field 'chat_template': missing (no chat template)");
  CHECK(input_error_of([] { moebench::chat_format_from_name("llama3", "--chat-format"); }) ==
        "--chat-format: unknown chat format 'llama3' (known: deepseek_v3, deepseek_r1, chatml, "
        "mistral)");
  std::filesystem::remove_all(unknown.parent_path());
}

// Found by tests/fuzz/chat_template.cpp: json::value() threw type_error (an internal error) on a
// listed template whose name or template is not a string, and on Llama flags of the wrong type.
TEST_CASE("tokenizer_config.json fields of the wrong type are InputErrors", "[chat]") {
  auto name = write_config({{"chat_template", {{{"name", 1}, {"template", "x"}}}}});
  CHECK(input_error_of([&] { moebench::chat_format_detect(name); }) ==
        name.string() + ": field 'chat_template': missing (no chat template)");
  auto tpl = write_config({{"chat_template", {{{"name", "default"}, {"template", 5}}}}});
  CHECK(input_error_of([&] { moebench::chat_format_detect(tpl); }) ==
        tpl.string() + ": field 'chat_template': the 'default' entry has no string 'template'");
  const auto dir = tpl.parent_path();
  std::ofstream(dir / "tokenizer.json") << tokenizer_test::tiny_spm_json().dump();
  const std::pair<nlohmann::json, std::string> cases[] = {
      {{{"tokenizer_class", 7}}, "field 'tokenizer_class': expected a string"},
      {{{"tokenizer_class", "LlamaTokenizerFast"}, {"add_bos_token", "yes"}},
       "field 'add_bos_token': expected true or false"},
      {{{"tokenizer_class", "LlamaTokenizer"}, {"bos_token", {{"content", 1}}}},
       "field 'bos_token.content': expected a string"},
  };
  for (const auto& [config, message] : cases) {
    std::ofstream(dir / "tokenizer_config.json") << config.dump();
    CHECK(input_error_of([&] { moebench::Tokenizer::load(dir / "tokenizer.json"); }) ==
          (dir / "tokenizer_config.json").string() + ": " + message);
  }
  std::filesystem::remove_all(dir);
}
