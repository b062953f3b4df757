// Reading a whole JSON file, the one way every reader of a JSON file does it.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

namespace moebench {

// What to do with a key one object holds twice (nlohmann::json keeps the last silently).
// keep_last: for a large machine-written file (tokenizer.json), where the check would double the
// parse time and no writer repeats a key.
enum class JsonDuplicateKeys { refuse, keep_last };

// The parsed contents of `path`. InputError "<where>: <cannot_open>" when the file cannot be
// read; when it is not JSON, "<where>: <malformed>", or with `malformed` empty "<where>: malformed
// JSON (<reason>)" (the short json_error_reason, never the file's text); "<where>: field
// 'a.b[2].c' appears twice" for a repeated key.
nlohmann::json json_read_file(const std::filesystem::path& path, const std::string& where,
                              const std::string& cannot_open, const std::string& malformed = "",
                              JsonDuplicateKeys duplicates = JsonDuplicateKeys::refuse);

}  // namespace moebench
