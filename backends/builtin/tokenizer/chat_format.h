// Chat formats: renders chat messages into the prompt text each family's template produces
// (DeepSeek V3 and R1, ChatML for Qwen, Mistral [INST] for Mixtral).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "tasks/suite.h"

namespace moebench {

// deepseek_r1: DeepSeek-V3's format as the R1 checkpoints' template changes it: the generation
// prompt opens the thinking ("<｜Assistant｜><think>\n") and earlier assistant turns keep only
// what follows their "</think>".
enum class ChatFormatKind { deepseek_v3, deepseek_r1, chatml, mistral };

struct ChatFormat {
  ChatFormatKind kind = ChatFormatKind::chatml;
  std::string bos;  // prepended text (e.g. "<｜begin▁of▁sentence｜>", "<s>"), may be empty
  std::string eos;  // the end-of-turn token text the model emits, used as a stop

  std::string render(const std::vector<ChatMessage>& messages, bool add_generation_prompt) const;
  const char* name() const;
};

// Picks the format from tokenizer_config.json's `chat_template` (recognized by its markers); an
// unrecognized template is an InputError that quotes its start and names the file.
ChatFormat chat_format_detect(const std::filesystem::path& tokenizer_config_json);
ChatFormat chat_format_from_name(const std::string& name, const std::string& where);
// A Jinja chat_template of that kind, as the family's real tokenizer_config.json carries it, for
// `moebench model init` to write (chat_format_detect recognizes it).
std::string chat_format_template(ChatFormatKind kind);

}  // namespace moebench
