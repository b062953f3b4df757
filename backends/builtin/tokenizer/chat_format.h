// Chat formats: renders chat messages into the prompt text each family's template produces
// (DeepSeek V2, V3, V3.1 and R1; ChatML as Qwen3 and Qwen2 write it; Mistral [INST] for Mixtral).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "common/error.h"
#include "tasks/suite.h"

namespace moebench {

// deepseek_r1: DeepSeek-V3's format as the R1 checkpoints' template changes it: the generation
// prompt opens the thinking ("<｜Assistant｜><think>\n") and earlier assistant turns keep only
// what follows their "</think>".
// deepseek_v3_1: DeepSeek-V3.1's hybrid template in its default (non-thinking) mode: the
// assistant turn right after a user turn, and the generation prompt, open with
// "<｜Assistant｜></think>"; an assistant turn keeps what follows its first "</think>".
// deepseek_v2: DeepSeek-V2-Chat's and V2-Lite-Chat's "User: ...\n\nAssistant:" template: each
// message in order (a system one as its bare text), the generation prompt "Assistant:".
// chatml: Qwen3's ChatML template (enable_thinking left undefined, as transformers leaves it).
// mistral: Mixtral-8x7B-Instruct-v0.1's template: " [INST] ", an optional system message joined to
// the first user turn. mistral_legacy: its first template: "[INST] " and the answer with no space
// before them, no system message.
// qwen2: Qwen2's (and Qwen1.5-MoE's) ChatML template: a default system turn when the messages
// do not start with one; every turn is kept whole.
enum class ChatFormatKind {
  deepseek_v3,
  deepseek_r1,
  deepseek_v3_1,
  deepseek_v2,
  chatml,
  qwen2,
  mistral,
  mistral_legacy
};

struct ChatFormat {
  ChatFormatKind kind = ChatFormatKind::chatml;
  std::string bos;  // prepended text (e.g. "<｜begin▁of▁sentence｜>", "<s>"), may be empty
  std::string eos;  // the end-of-turn token text the model emits, used as a stop
  std::string default_system;  // qwen2: the system turn's text when the messages have none

  std::string render(const std::vector<ChatMessage>& messages, bool add_generation_prompt) const;
  const char* name() const;
};

// A chat_template no format renders as it does: no family's markers, or a family's markers in a
// template that is none of the family's known variants. The checkpoint still runs completion
// prompts; what needs chat messages reports this.
class ChatTemplateError : public InputError {
 public:
  using InputError::InputError;
};

// Picks the format from tokenizer_config.json's `chat_template`: the family by its markers, then
// the variant by the parts of the template that decide the rendered text. ChatTemplateError
// (quoting the template or what it lacks, naming the file) when none matches; InputError for a
// file that is not valid JSON or has no chat_template.
ChatFormat chat_format_detect(const std::filesystem::path& tokenizer_config_json);
ChatFormat chat_format_from_name(const std::string& name, const std::string& where);
// The family a kind belongs to ("DeepSeek", "ChatML" or "Mistral"): formats of one family render
// with the same special tokens.
const char* chat_format_family(ChatFormatKind kind);
// A Jinja chat_template of that kind, as the family's real tokenizer_config.json carries it, for
// `moebench model init` to write (chat_format_detect recognizes it).
std::string chat_format_template(ChatFormatKind kind);

}  // namespace moebench
