// Loads a samples.jsonl into the prompt -> answer map of the loopback server.
#include "tests/loopback/server/answers.h"

#include <fstream>

#include "common/error.h"

namespace moebench::loopback {

Answers::Answers(const std::string& path, std::string default_answer)
    : default_answer_(std::move(default_answer)) {
  if (path.empty()) return;
  std::ifstream in(path);
  if (!in) throw InputError(path + ": cannot open the answers file");
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = path + ":" + std::to_string(number);
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception& e) {
      throw input_error(where, std::string("not JSON: ") + e.what());
    }
    if (!j.is_object() || !j.contains("prompt") ||
        !(j["prompt"].is_string() || j["prompt"].is_array()))
      throw input_error(where, "field 'prompt' must be a string or an array of messages");
    if (!j.contains("responses") || !j["responses"].is_array() || j["responses"].empty() ||
        !j["responses"][0].is_string())
      throw input_error(where, "field 'responses' must be a non-empty array of strings");
    by_prompt_.emplace(j["prompt"].dump(), j["responses"][0].get<std::string>());
  }
}

const std::string& Answers::find(const nlohmann::json& prompt) const {
  auto it = by_prompt_.find(prompt.dump());
  return it == by_prompt_.end() ? default_answer_ : it->second;
}

}  // namespace moebench::loopback
