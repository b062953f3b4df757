// Fuzz target: an evaluation profile (tasks/profiles/<name>.json) through profile_read, which
// validates every field. The file is named after the input's "name" when it has a plain one, so
// inputs get past the file-name check. `moebench run/list/selfcheck` turn InputError into exit 2.
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "tasks/profile.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string name = "profile";
  const auto j = nlohmann::json::parse(data, data + size, nullptr, false);
  if (j.is_object() && j.contains("name") && j["name"].is_string()) {
    const std::string n = j["name"];
    if (!n.empty() && n.size() < 64 && n.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-_") ==
                                           std::string::npos) {
      name = n;
    }
  }
  const auto file = moebench::fuzz::fuzz_write_file(data, size, name + ".json");
  try {
    moebench::profile_read(file);
  } catch (const moebench::InputError&) {
  }
  return 0;
}
