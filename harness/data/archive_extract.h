// Unpacking the members of a downloaded archive that the dataset table lists (libarchive), each
// written beside its final name, checked against its SHA-256 and only then renamed into place.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <stdexcept>
#include <vector>

#include "tasks/dataset_table.h"

namespace moebench {

// A member missing from the archive, a member of another checksum, an unreadable archive or a
// failed write, in one line naming the archive and the member.
class ArchiveError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Writes each of `members` (DataFile::member inside the archive) to dir/<DataFile::path>;
// `on_bytes` is told the bytes of each member once it is in place. Members already in place with
// the right checksum are left as they are. Nothing else in the archive is written.
void archive_extract(const std::filesystem::path& archive, const std::vector<DataFile>& members,
                     const std::filesystem::path& dir,
                     const std::function<void(uint64_t)>& on_bytes);

}  // namespace moebench
