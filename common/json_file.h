// Reading a whole JSON file, the one way every reader of a JSON file does it.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

namespace moebench {

// The parsed contents of `path`. InputError "<where>: <cannot_open>" when the file cannot be
// read; when it is not JSON, "<where>: <malformed>", or with `malformed` empty "<where>: malformed
// JSON (<reason>)" (the short json_error_reason, never the file's text).
nlohmann::json json_read_file(const std::filesystem::path& path, const std::string& where,
                              const std::string& cannot_open, const std::string& malformed = "");

}  // namespace moebench
