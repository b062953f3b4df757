// Helpers shared by model_init.cpp and model_presets.cpp (not part of model_init.h's contract).
#pragma once

#include <string>
#include <vector>

#include "backends/builtin/checkpoint/model_config.h"
#include "backends/builtin/tokenizer/chat_format.h"

namespace moebench {

// A family's special tokens as its real tokenizer spells them, placed at the top ids of the
// generated vocabulary in this order.
struct FamilyTokens {
  std::vector<std::string> specials;
  std::string bos;               // "" = the family has no BOS
  std::vector<std::string> eos;  // config.json eos_token_id (an int when one, else a list)
  std::string pad;
  bool add_bos = false;  // tokenizer_config add_bos_token
  ChatFormatKind chat = ChatFormatKind::chatml;
};

FamilyTokens family_tokens(ModelFamily f);

}  // namespace moebench
