// dataset_table_read: tasks/datasets.json, checked field by field; presence and verification of a
// dataset in a data dir.
#include "tasks/dataset_table.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>

#include "common/error.h"
#include "common/hash.h"
#include "common/json_file.h"
#include "tasks/src/loaders.h"

namespace moebench {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct Reader {
  std::string file;
  [[noreturn]] void fail(const std::string& field, const std::string& what) const {
    throw input_error(file, "field '" + field + "': " + what);
  }
  const json& need(const json& j, const char* key, const std::string& field) const {
    if (!j.is_object() || !j.contains(key)) fail(field + "." + key, "missing");
    return j[key];
  }
  std::string str(const json& j, const char* key, const std::string& field) const {
    const json& v = need(j, key, field);
    if (!v.is_string() || v.get<std::string>().empty()) {
      fail(field + "." + key, "expected a non-empty string");
    }
    return v.get<std::string>();
  }
};

bool is_hex64(const std::string& s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return std::isdigit(static_cast<unsigned char>(c)) || (c >= 'a' && c <= 'f');
         });
}

// A path the fetch may write: relative, no "..", no empty or "." component.
bool is_safe_relative(const std::string& p) {
  if (p.empty() || p[0] == '/' || p.find('\\') != std::string::npos) return false;
  for (const auto& part : fs::path(p)) {
    const std::string s = part.string();
    if (s.empty() || s == "." || s == "..") return false;
  }
  return true;
}

DataFile read_file_entry(const Reader& r, const json& j, const std::string& field, bool member) {
  DataFile f;
  f.path = r.str(j, "path", field);
  if (!is_safe_relative(f.path))
    r.fail(field + ".path", "'" + f.path + "' is not a safe relative path");
  f.sha256 = r.str(j, "sha256", field);
  if (!is_hex64(f.sha256)) r.fail(field + ".sha256", "expected 64 lower-case hex digits");
  const json& bytes = r.need(j, "bytes", field);
  if (!bytes.is_number_unsigned()) r.fail(field + ".bytes", "expected a byte count");
  f.bytes = bytes.get<uint64_t>();
  if (member) f.member = r.str(j, "member", field);
  return f;
}

DataDownload read_download(const Reader& r, const json& j, const std::string& field) {
  DataDownload d;
  d.url = r.str(j, "url", field);
  if (d.url.rfind("https://", 0) != 0 && d.url.rfind("http://", 0) != 0) {
    r.fail(field + ".url", "expected an http(s):// URL");
  }
  if (!j.contains("archive")) {
    d.files.push_back(read_file_entry(r, j, field, false));
    return d;
  }
  d.archive = r.str(j, "archive", field);
  if (d.archive != "zip")
    r.fail(field + ".archive", "unknown archive format '" + d.archive + "' (known: zip)");
  const json& members = r.need(j, "members", field);
  if (!members.is_array() || members.empty())
    r.fail(field + ".members", "expected a non-empty list");
  for (size_t i = 0; i < members.size(); ++i) {
    d.files.push_back(
        read_file_entry(r, members[i], field + ".members[" + std::to_string(i) + "]", true));
  }
  return d;
}

DatasetSource read_dataset(const Reader& r, const std::string& name, const json& j) {
  const std::string field = "datasets." + name;
  if (!is_safe_relative(name) || name.find('/') != std::string::npos) {
    r.fail(field, "a dataset name is one directory name");
  }
  DatasetSource d;
  d.name = name;
  d.source = r.str(j, "source", field);
  d.license = r.str(j, "license", field);
  if (j.contains("note")) d.note = r.str(j, "note", field);
  const json& files = r.need(j, "files", field);
  if (!files.is_array() || files.empty()) r.fail(field + ".files", "expected a non-empty list");
  for (size_t i = 0; i < files.size(); ++i) {
    d.downloads.push_back(read_download(r, files[i], field + ".files[" + std::to_string(i) + "]"));
  }
  std::vector<std::string> paths;
  for (const DataDownload& dl : d.downloads) {
    for (const DataFile& f : dl.files) paths.push_back(f.path);
  }
  std::sort(paths.begin(), paths.end());
  auto dup = std::adjacent_find(paths.begin(), paths.end());
  if (dup != paths.end()) r.fail(field + ".files", "'" + *dup + "' is written twice");
  return d;
}

}  // namespace

uint64_t DataDownload::bytes() const {
  uint64_t n = 0;
  for (const DataFile& f : files) n += f.bytes;
  return n;
}

uint64_t DatasetSource::bytes() const {
  uint64_t n = 0;
  for (const DataDownload& d : downloads) n += d.bytes();
  return n;
}

size_t DatasetSource::file_count() const {
  size_t n = 0;
  for (const DataDownload& d : downloads) n += d.files.size();
  return n;
}

const DatasetSource& DatasetTable::find(const std::string& name) const {
  auto it = datasets.find(name);
  if (it != datasets.end()) return it->second;
  std::string known;
  for (const auto& [n, d] : datasets) known += (known.empty() ? "" : ", ") + n;
  throw input_error(file.string(), "unknown dataset '" + name + "' (known: " + known + ")");
}

DatasetTable dataset_table_read(const fs::path& file) {
  const Reader r{file.string()};
  const json j = json_read_file(file, r.file, "cannot read the dataset table");
  if (!j.is_object()) throw input_error(r.file, "expected a JSON object");
  const json& schema = r.need(j, "schema", "");
  if (schema != 1) r.fail("schema", "this moebench reads schema 1, not " + schema.dump());
  const json& datasets = r.need(j, "datasets", "");
  if (!datasets.is_object() || datasets.empty()) r.fail("datasets", "expected a non-empty object");
  DatasetTable t;
  t.file = file;
  for (const auto& [name, d] : datasets.items()) t.datasets[name] = read_dataset(r, name, d);
  return t;
}

namespace {

// Why `path` (there) cannot be read, as strerror says it; "" when it can.
std::string read_error(const fs::path& path, const fs::file_status& st) {
  if (fs::is_directory(st)) return std::strerror(EISDIR);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::strerror(errno);
  ::close(fd);
  return "";
}

}  // namespace

std::string DatasetPresence::state() const {
  if (complete()) return "present";
  if (unreadable) return "unreadable";
  if (present + wrong_size == 0) return "missing";
  return present == 0 && wrong_size == files ? "wrong size" : "incomplete";
}

std::string DatasetPresence::first_problem() const {
  if (unreadable) return first_unreadable + " cannot be read (" + unreadable_why + ")";
  return first_missing.empty() ? "" : first_missing + " " + first_missing_why;
}

DatasetPresence dataset_presence(const DatasetSource& d, const fs::path& data_dir) {
  DatasetPresence p;
  for (const DataDownload& dl : d.downloads) {
    for (const DataFile& f : dl.files) {
      ++p.files;
      const fs::path path = data_dir / d.name / f.path;
      std::error_code ec;
      const fs::file_status st = fs::status(path, ec);
      const bool absent = ec == std::errc::no_such_file_or_directory ||
                          ec == std::errc::not_a_directory || st.type() == fs::file_type::not_found;
      // NOTE: a file that is there but cannot be read (no permission, a directory in its place)
      // was "present" here and an internal error when hashed (reviewer 72, F8).
      if (const std::string why = absent ? ""
                                  : ec   ? ec.message()
                                         : read_error(path, st);
          !why.empty()) {
        if (p.unreadable++ == 0) {
          p.first_unreadable = f.path;
          p.unreadable_why = why;
        }
        continue;
      }
      const auto size = absent ? 0 : fs::file_size(path, ec);
      if (!absent && !ec && size == f.bytes) {
        ++p.present;
        continue;
      }
      if (!absent && !ec) ++p.wrong_size;
      if (!p.first_missing.empty()) continue;
      p.first_missing = f.path;
      p.first_missing_why = absent || ec
                                ? "is missing"
                                : "has the wrong size (" + std::to_string(size) +
                                      " bytes; the table lists " + std::to_string(f.bytes) + ")";
    }
  }
  return p;
}

std::vector<std::string> dataset_verify(const DatasetSource& d, const fs::path& data_dir) {
  std::vector<std::string> bad;
  for (const DataDownload& dl : d.downloads) {
    for (const DataFile& f : dl.files) {
      const fs::path p = data_dir / d.name / f.path;
      std::error_code ec;
      bool same = false;
      try {  // a file that cannot be read is not verified (its error is presence's to name)
        same = fs::is_regular_file(p, ec) && sha256_file_hex(p) == f.sha256;
      } catch (const std::runtime_error&) {
      }
      if (!same) bad.push_back(f.path);
    }
  }
  return bad;
}

std::vector<std::string> dataset_strays(const DatasetSource& d, const fs::path& data_dir,
                                        const std::vector<std::string>& globs) {
  std::set<std::string> listed, strays;
  for (const DataDownload& dl : d.downloads) {
    for (const DataFile& f : dl.files) listed.insert(f.path);
  }
  const fs::path base = data_dir / d.name;
  for (const std::string& g : globs) {
    std::vector<fs::path> matches;
    try {  // a missing or unreadable directory, or no match, is presence's (or run's) to name
      matches = loader_glob(base, g, "");
    } catch (const std::exception&) {
      continue;
    }
    for (const fs::path& p : matches) {
      std::error_code ec;
      const std::string rel = p.lexically_relative(base).generic_string();
      if (fs::is_regular_file(p, ec) && !listed.count(rel)) strays.insert(rel);
    }
  }
  return {strays.begin(), strays.end()};
}

}  // namespace moebench
