// Writing a file whole or not at all: content goes to a temporary file of its own
// ("<path>.tmp.<pid>.<n>"), is synced and renamed over path, so a crash or a Ctrl-C never leaves a
// half-written file for a later command to read, and two writers of one file never mix.
#pragma once

#include <filesystem>
#include <string>

namespace moebench {

// EnvironmentError "<path>: cannot write: <OS error>" when the system will not write it (a full
// disk, a size limit, a missing or read-only directory); the temporary file is removed.
void write_file_atomic(const std::filesystem::path& path, const std::string& content);

}  // namespace moebench
