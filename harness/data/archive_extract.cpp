// archive_extract through libarchive's reader (zip, and whatever else it recognises).
#include "harness/data/archive_extract.h"

#include <archive.h>
#include <archive_entry.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>

#include "common/hash.h"

namespace moebench {
namespace fs = std::filesystem;

namespace {

struct ReaderDeleter {
  void operator()(archive* a) const { archive_read_free(a); }
};

std::string normal_name(std::string name) {
  while (name.rfind("./", 0) == 0) name.erase(0, 2);
  return name;
}

// Streams the current entry into `tmp` while hashing it; returns the hex digest.
std::string write_entry(archive* a, const fs::path& tmp, const std::string& where) {
  std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
  if (!out) throw ArchiveError("cannot write " + tmp.string() + ": " + std::strerror(errno));
  Sha256 hash;
  const void* buf = nullptr;
  size_t size = 0;
  la_int64_t offset = 0;
  for (int r; (r = archive_read_data_block(a, &buf, &size, &offset)) != ARCHIVE_EOF;) {
    if (r != ARCHIVE_OK) throw ArchiveError(where + ": " + archive_error_string(a));
    const std::string_view bytes(static_cast<const char*>(buf), size);
    hash.update(bytes);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  out.close();
  if (!out) throw ArchiveError("cannot write " + tmp.string() + ": " + std::strerror(errno));
  return hash.hex();
}

}  // namespace

void archive_extract(const fs::path& file, const std::vector<DataFile>& members,
                     const fs::path& dir, const std::function<void(uint64_t)>& on_bytes) {
  std::map<std::string, const DataFile*> wanted;
  for (const DataFile& m : members) {
    std::error_code ec;
    const fs::path target = dir / m.path;
    if (fs::is_regular_file(target, ec) && sha256_file_hex(target) == m.sha256) {
      if (on_bytes) on_bytes(m.bytes);
      continue;
    }
    wanted[normal_name(m.member)] = &m;
  }
  if (wanted.empty()) return;
  std::unique_ptr<archive, ReaderDeleter> a(archive_read_new());
  archive_read_support_format_all(a.get());
  archive_read_support_filter_all(a.get());
  if (archive_read_open_filename(a.get(), file.c_str(), 1 << 16) != ARCHIVE_OK) {
    throw ArchiveError(file.string() + ": not a readable archive (" +
                       archive_error_string(a.get()) + ")");
  }
  archive_entry* entry = nullptr;
  for (int r; (r = archive_read_next_header(a.get(), &entry)) != ARCHIVE_EOF;) {
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
      throw ArchiveError(file.string() + ": " + archive_error_string(a.get()));
    }
    auto it = wanted.find(normal_name(archive_entry_pathname(entry)));
    if (it == wanted.end()) continue;
    const DataFile& m = *it->second;
    const std::string where = file.string() + " member " + m.member;
    const fs::path target = dir / m.path;
    fs::create_directories(target.parent_path());
    fs::path tmp = target;
    tmp += ".tmp";
    const std::string sha = write_entry(a.get(), tmp, where);
    if (sha != m.sha256) {
      fs::remove(tmp);
      throw ArchiveError(where + ": SHA-256 " + sha + ", expected " + m.sha256);
    }
    fs::rename(tmp, target);
    if (on_bytes) on_bytes(m.bytes);
    wanted.erase(it);
  }
  if (!wanted.empty()) {
    throw ArchiveError(
        file.string() + ": member " + wanted.begin()->second->member + " is not in the archive" +
        (wanted.size() > 1 ? " (nor " + std::to_string(wanted.size() - 1) + " other listed members)"
                           : ""));
  }
}

}  // namespace moebench
