// Helpers shared by the model_config*.cpp files (not part of the contract in model_config.h).
#pragma once

#include <string>

#include "backends/builtin/checkpoint/model_config.h"

namespace moebench {

// "deepseek_v3, deepseek_v2, qwen3_moe, qwen2_moe, mixtral, olmoe".
std::string model_family_list();
// ModelConfig::validate() with the errors prefixed by `where` (the config.json path).
void model_config_check(const ModelConfig& c, const std::string& where);

}  // namespace moebench
