// The canned answers of the loopback server: a moebench samples.jsonl maps a prompt (a string, or
// an array of {role, content}) to its first response; anything else gets the default answer.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <unordered_map>

namespace moebench::loopback {

class Answers {
 public:
  // InputError naming file:line for a line that is not JSON or lacks prompt/responses.
  Answers(const std::string& path, std::string default_answer);
  // `prompt`: a completion prompt string, or chat messages reduced to [{role, content}].
  const std::string& find(const nlohmann::json& prompt) const;

 private:
  std::unordered_map<std::string, std::string> by_prompt_;  // prompt JSON dump -> responses[0]
  std::string default_answer_;
};

}  // namespace moebench::loopback
