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

const std::vector<ChatMessage> kSingle = {{"user", "Q?"}};
const std::vector<ChatMessage> kSystemUser = {{"system", "You are helpful."}, {"user", "Q?"}};

ChatFormat format(const char* name) { return moebench::chat_format_from_name(name, "test"); }

// tokenizer_config.json files as the real checkpoints ship them (DeepSeek-V3.1; Qwen2-57B-A14B-
// Instruct, whose template Qwen1.5-MoE shares but for its default system prompt); expected renders
// are jinja2's of their templates.
std::filesystem::path real_config(const char* name) { return tokenizer_test::chat_config(name); }

std::filesystem::path write_config(const nlohmann::json& config) {
  return tokenizer_test::write_chat_config(config);
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

TEST_CASE("chat_format_detect recognizes each format's template as its only variant", "[chat]") {
  for (ChatFormatKind kind :
       {ChatFormatKind::deepseek_v3, ChatFormatKind::deepseek_r1, ChatFormatKind::deepseek_v3_1,
        ChatFormatKind::deepseek_v2, ChatFormatKind::chatml, ChatFormatKind::qwen2,
        ChatFormatKind::mistral, ChatFormatKind::mistral_legacy}) {
    auto path = write_config({{"chat_template", moebench::chat_format_template(kind)}});
    ChatFormat f = moebench::chat_format_detect(path);
    CHECK(f.kind == kind);
    CHECK(f.eos == format(f.name()).eos);
    CHECK(f.default_system == format(f.name()).default_system);
  }
  // Ours are the real files' (tests/tokenizer/chat_templates; V3 and Qwen3 in the parity test).
  for (const char* name : {"deepseek_v3_1", "deepseek_v2", "qwen2", "mistral_legacy"}) {
    std::ifstream in(real_config(name));
    CHECK(moebench::chat_format_template(format(name).kind) ==
          nlohmann::json::parse(in)["chat_template"].get<std::string>());
  }
  auto custom_bos =
      write_config({{"chat_template", moebench::chat_format_template(ChatFormatKind::mistral)},
                    {"bos_token", {{"__type", "AddedToken"}, {"content", "<B>"}}}});
  CHECK(moebench::chat_format_detect(custom_bos).bos == "<B>");
  auto listed =
      write_config({{"chat_template",
                     {{{"name", "tool_use"}, {"template", "x"}},
                      {{"name", "default"},
                       {"template", moebench::chat_format_template(ChatFormatKind::chatml)}}}}});
  CHECK(moebench::chat_format_detect(listed).kind == ChatFormatKind::chatml);
  std::filesystem::remove_all(listed.parent_path());
}

// Qwen1.5's template is Qwen2's with another default system prompt; its renders keep that prompt.
TEST_CASE("Qwen2 detection takes the template's own default system prompt", "[chat]") {
  std::string qwen15 = moebench::chat_format_template(ChatFormatKind::qwen2);
  const std::string qwen2_system = "You are a helpful assistant.";
  qwen15.replace(qwen15.find(qwen2_system), qwen2_system.size(), "You are a helpful assistant");
  auto path = write_config({{"chat_template", qwen15}});
  const ChatFormat f = moebench::chat_format_detect(path);
  CHECK(f.kind == ChatFormatKind::qwen2);
  CHECK(f.render(kSingle, true) ==
        "<|im_start|>system\nYou are a helpful assistant<|im_end|>\n<|im_start|>user\nQ?<|im_end|>"
        "\n<|im_start|>assistant\n");
  std::filesystem::remove_all(path.parent_path());
}

TEST_CASE("chat_format_detect errors name the file and quote the template", "[chat]") {
  auto unknown = write_config(
      {{"chat_template", "{% for message in messages %}\n{{ '<<SYS>>' + message['content'] }}"}});
  CHECK(input_error_of([&] { moebench::chat_format_detect(unknown); }) ==
        unknown.string() +
            ": field 'chat_template': unrecognized template '{% for message in messages %}\\n{{ "
            "'<<SYS>...' (known: DeepSeek-V3, V3.1 and R1 <｜User｜>, DeepSeek-V2 'User: ', "
            "ChatML of Qwen3 and Qwen2 <|im_start|>, Mistral [INST])");
  auto missing = write_config({{"bos_token", "<s>"}});
  CHECK(input_error_of([&] { moebench::chat_format_detect(missing); }) ==
        missing.string() + ": field 'chat_template': missing (no chat template)");
  CHECK(input_error_of([] { moebench::chat_format_from_name("llama3", "--chat-format"); }) ==
        "--chat-format: unknown chat format 'llama3' (known: deepseek_v3, deepseek_r1, "
        "deepseek_v3_1, deepseek_v2, chatml, qwen2, mistral, mistral_legacy)");
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

// A reviewer's jinja2 renders: V3.1's template was taken for V3's, whose prompt lacks the
// "</think>" V3.1's non-thinking mode starts the answer with.
TEST_CASE("DeepSeek-V3.1 template is its own format and renders as jinja2 does", "[chat]") {
  const ChatFormat f = moebench::chat_format_detect(real_config("deepseek_v3_1"));
  CHECK(std::string(f.name()) == "deepseek_v3_1");
  const std::string bos = "<｜begin▁of▁sentence｜>";
  CHECK(f.render(kSingle, true) == bos + "<｜User｜>Q?<｜Assistant｜></think>");
  CHECK(f.render(kSingle, false) == bos + "<｜User｜>Q?");
  CHECK(f.render(kSystemUser, true) == bos + "You are helpful.<｜User｜>Q?<｜Assistant｜></think>");
  CHECK(f.render(kMultiTurn, true) ==
        bos +
            "You are helpful.<｜User｜>Hi<｜Assistant｜></think>Hello!<｜end▁of▁sentence｜>"
            "<｜User｜>2+2?<｜Assistant｜></think>");
  CHECK(f.render(kTwoSystems, true) == bos + "S1\n\nS2<｜User｜>U<｜Assistant｜></think>");
  // The generation prompt follows a user turn only; an assistant turn gets its opening (and
  // "</think>") only right after a user turn, and keeps what follows its first "</think>".
  CHECK(f.render(kFewShot, true) ==
        bos +
            "<｜User｜>Q1<｜Assistant｜></think>A1<｜end▁of▁sentence｜><｜User｜>Q2"
            "<｜Assistant｜></think>A2<｜end▁of▁sentence｜>");
  CHECK(f.render({{"user", "Q"}, {"assistant", "A"}, {"assistant", "B"}, {"user", "Q2"}}, true) ==
        bos +
            "<｜User｜>Q<｜Assistant｜></think>A<｜end▁of▁sentence｜>B<｜end▁of▁sentence｜>"
            "<｜User｜>Q2<｜Assistant｜></think>");
  CHECK(f.render({{"assistant", "A"}, {"user", "Q"}}, true) ==
        bos + "A<｜end▁of▁sentence｜><｜User｜>Q<｜Assistant｜></think>");
  CHECK(f.render({{"user", "Q1"}, {"assistant", "<think>r</think>A1</think>B"}, {"user", "Q2"}},
                 true) == bos +
                              "<｜User｜>Q1<｜Assistant｜></think>A1</think>B<｜end▁of▁sentence｜>"
                              "<｜User｜>Q2<｜Assistant｜></think>");
  CHECK(f.render({{"user", "Q"}, {"system", "S"}}, true) ==
        bos + "S<｜User｜>Q<｜Assistant｜></think>");
  CHECK(f.eos == "<｜end▁of▁sentence｜>");
}

// A reviewer's jinja2 renders: Qwen2's template was taken for Qwen3's, which adds no system turn.
TEST_CASE("Qwen2 template is its own format with its default system prompt", "[chat]") {
  const ChatFormat f = moebench::chat_format_detect(real_config("qwen2"));
  CHECK(std::string(f.name()) == "qwen2");
  const std::string sys = "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n";
  CHECK(f.render(kSingle, true) == sys + "<|im_start|>user\nQ?<|im_end|>\n<|im_start|>assistant\n");
  CHECK(f.render(kSingle, false) == sys + "<|im_start|>user\nQ?<|im_end|>\n");
  CHECK(f.render(kSystemUser, true) ==
        "<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>user\nQ?<|im_end|>\n"
        "<|im_start|>assistant\n");
  CHECK(f.render(kMultiTurn, true) ==
        "<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
        "<|im_start|>assistant\nHello!<|im_end|>\n<|im_start|>user\n2+2?<|im_end|>\n"
        "<|im_start|>assistant\n");
  // No <think> handling: assistant turns are kept whole.
  CHECK(f.render(kFewShot, false) ==
        sys +
            "<|im_start|>user\nQ1<|im_end|>\n<|im_start|>assistant\nA1<|im_end|>\n"
            "<|im_start|>user\nQ2<|im_end|>\n<|im_start|>assistant\nA2<|im_end|>\n");
  CHECK(f.render({{"user", "Q1"}, {"assistant", "<think>r</think>A1"}, {"user", "Q2"}}, true) ==
        sys +
            "<|im_start|>user\nQ1<|im_end|>\n<|im_start|>assistant\n<think>r</think>A1<|im_end|>\n"
            "<|im_start|>user\nQ2<|im_end|>\n<|im_start|>assistant\n");
  CHECK(f.render({{"user", "Q"}, {"system", "S"}}, true) ==
        sys +
            "<|im_start|>user\nQ<|im_end|>\n<|im_start|>system\nS<|im_end|>\n"
            "<|im_start|>assistant\n");
  CHECK(f.eos == "<|im_end|>");
  CHECK(f.bos.empty());
}

// Detection went by family markers alone: a variant it does not know (other system handling, a
// generation prompt that opens thinking) was rendered silently as another variant of the family.
TEST_CASE("A template of a known family but no known variant is an error naming the file",
          "[chat]") {
  auto replaced = [](std::string t, const std::string& from, const std::string& to) {
    const size_t at = t.find(from);
    REQUIRE(at != std::string::npos);
    return t.replace(at, from.size(), to);
  };
  std::ifstream ds_in(real_config("deepseek_v3_1"));
  const std::string v31 = nlohmann::json::parse(ds_in)["chat_template"].get<std::string>();
  std::ifstream qw_in(real_config("qwen2"));
  const std::string qwen2 = nlohmann::json::parse(qw_in)["chat_template"].get<std::string>();
  const std::string v3 = moebench::chat_format_template(ChatFormatKind::deepseek_v3);
  const std::string qwen3 = moebench::chat_format_template(ChatFormatKind::chatml);
  const std::pair<std::string, const char*> variants[] = {
      // DeepSeek-V2.5: the last system message alone, not all of them joined.
      {replaced(v3, "{% set ns.system_prompt = ns.system_prompt + message['content'] %}",
                "{% set ns.system_prompt = message['content'] %}"),
       "DeepSeek"},
      // R1-0528's user turn opens the assistant turn itself.
      {replaced(v3, "{{'<｜User｜>' + message['content']}}",
                "{{'<｜User｜>' + message['content'] + '<｜Assistant｜>'}}"),
       "DeepSeek"},
      // V3.1 in thinking mode by default.
      {replaced(v31, "{% set thinking = false %}", "{% set thinking = true %}"), "DeepSeek"},
      // Qwen3-Thinking-2507: the generation prompt opens the thinking.
      {replaced(qwen3, "{{- '<|im_start|>assistant\\n' }}",
                "{{- '<|im_start|>assistant\\n<think>\\n' }}"),
       "ChatML"},
      // Qwen2's template with a generation prompt that opens the thinking.
      {replaced(qwen2, "{{ '<|im_start|>assistant\n' }}", "{{ '<|im_start|>assistant\n<think>' }}"),
       "ChatML"},
      // Mixtral-Instruct-v0.1's first template (mistral_legacy) without its raises: a system
      // message would be dropped silently.
      {"{{ bos_token }}{% for message in messages %}{% if message['role'] == 'user' %}{{ '[INST] ' "
       "+ "
       "message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ "
       "message['content'] + eos_token}}{% endif %}{% endfor %}",
       "Mistral"},
  };
  for (const auto& [tpl, family] : variants) {
    auto path = write_config({{"chat_template", tpl}});
    const std::string error = input_error_of([&] { moebench::chat_format_detect(path); });
    INFO(tpl);
    CHECK(error.starts_with(path.string() + ": field 'chat_template': a " + family +
                            " template of no known variant"));
    CHECK(error.find('\n') == std::string::npos);
    std::filesystem::remove_all(path.parent_path());
  }
}

// One user turn, system + user and multi-turn in every format, as jinja2 renders the real
// templates (DeepSeek-V3's and Qwen3's from the reference cache, R1's, V3.1's, V2's and Qwen2's
// files).
TEST_CASE("Every format renders one turn and system + user and multi-turn as jinja2 does",
          "[chat]") {
  const std::string b = "<｜begin▁of▁sentence｜>", e = "<｜end▁of▁sentence｜>";
  const std::string qs = "<|im_start|>system\nYou are helpful.<|im_end|>\n";
  const std::string qd = "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n";
  const std::string qu = "<|im_start|>user\nQ?<|im_end|>\n<|im_start|>assistant\n";
  const std::string qm =
      "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n<|im_start|>user\n"
      "2+2?<|im_end|>\n<|im_start|>assistant\n";
  struct Case {
    const char* format;
    std::string single, system_user, multi;
  };
  const Case cases[] = {
      {"deepseek_v3", b + "<｜User｜>Q?<｜Assistant｜>",
       b + "You are helpful.<｜User｜>Q?<｜Assistant｜>",
       b + "You are helpful.<｜User｜>Hi<｜Assistant｜>Hello!" + e +
           "<｜User｜>2+2?<｜Assistant｜>"},
      {"deepseek_r1", b + "<｜User｜>Q?<｜Assistant｜><think>\n",
       b + "You are helpful.<｜User｜>Q?<｜Assistant｜><think>\n",
       b + "You are helpful.<｜User｜>Hi<｜Assistant｜>Hello!" + e +
           "<｜User｜>2+2?<｜Assistant｜><think>\n"},
      {"deepseek_v3_1", b + "<｜User｜>Q?<｜Assistant｜></think>",
       b + "You are helpful.<｜User｜>Q?<｜Assistant｜></think>",
       b + "You are helpful.<｜User｜>Hi<｜Assistant｜></think>Hello!" + e +
           "<｜User｜>2+2?<｜Assistant｜></think>"},
      {"deepseek_v2",
       b + "User: Q?\n\nAssistant:", b + "You are helpful.\n\nUser: Q?\n\nAssistant:",
       b + "You are helpful.\n\nUser: Hi\n\nAssistant: Hello!" + e + "User: 2+2?\n\nAssistant:"},
      {"chatml", qu, qs + qu, qs + qm},
      {"qwen2", qd + qu, qs + qu, qs + qm},
  };
  for (const Case& c : cases) {
    INFO(c.format);
    const ChatFormat f = format(c.format);
    CHECK(f.render(kSingle, true) == c.single);
    CHECK(f.render(kSystemUser, true) == c.system_user);
    CHECK(f.render(kMultiTurn, true) == c.multi);
  }
}
