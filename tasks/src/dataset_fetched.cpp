// The record `data fetch` leaves in each dataset it puts in place, and the check of a dataset dir
// against it: a one-file dataset cut after its fetch (MATH-500, MBPP) held none of the table's
// files at their sizes and was read as the user's own copy.
#include <fstream>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/file_write.h"
#include "common/hash.h"
#include "common/json_file.h"
#include "tasks/dataset_table.h"

namespace moebench {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

bool is_jsonl(const std::string& path) {
  return path.size() > 6 && path.compare(path.size() - 6, 6, ".jsonl") == 0;
}

// Lines holding anything but blanks: the records the JSONL loader reads.
long jsonl_records(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  long n = 0;
  for (std::string line; std::getline(in, line);) {
    n += line.find_first_not_of(" \t\r") != std::string::npos;
  }
  return n;
}

// "500 records (446564 bytes, SHA-256 ...)", or without records "446564 bytes (SHA-256 ...)".
std::string facts(long records, uint64_t bytes, const std::string& sha) {
  const std::string b = std::to_string(bytes) + " bytes";
  const std::string s = sha.empty() ? "" : ", SHA-256 " + sha;
  if (records < 0) return b + (s.empty() ? "" : " (" + s.substr(2) + ")");
  return std::to_string(records) + (records == 1 ? " record (" : " records (") + b + s + ")";
}

// A count field of the record; InputError naming the field when it is not one.
uint64_t record_count(const json& e, const char* key, const std::string& where,
                      const std::string& path) {
  if (!e.contains(key) || !e[key].is_number_unsigned()) {
    throw input_error(where, "field 'files." + path + "." + key + "' must be a count");
  }
  return e[key].get<uint64_t>();
}

}  // namespace

void dataset_write_fetched(const DatasetSource& d, const fs::path& dataset_dir) {
  json files = json::object();
  for (const DataDownload& dl : d.downloads) {
    for (const DataFile& f : dl.files) {
      json e = {{"bytes", f.bytes}, {"sha256", f.sha256}};
      if (is_jsonl(f.path)) e["records"] = jsonl_records(dataset_dir / f.path);
      files[f.path] = e;
    }
  }
  const json record = {
      {"written_by", "moebench data fetch"}, {"dataset", d.name}, {"files", files}};
  write_file_atomic(dataset_dir / kDatasetFetchedRecord, record.dump(1) + "\n");
}

namespace {

struct RecordedFile {
  std::string path, sha;
  uint64_t bytes = 0;
  long records = -1;  // -1: not a JSONL file
};

// The files of the record; InputError naming the record and field when it cannot be read.
std::vector<RecordedFile> read_record(const fs::path& file) {
  const json j = json_read_file(file, file.string(), "cannot read the record of data fetch");
  if (!j.is_object() || !j.contains("files") || !j["files"].is_object()) {
    throw input_error(file.string(), "field 'files' must be an object");
  }
  std::vector<RecordedFile> out;
  for (const auto& [path, e] : j["files"].items()) {
    if (!e.is_object() || !e.contains("sha256") || !e["sha256"].is_string()) {
      throw input_error(file.string(), "field 'files." + path + ".sha256' must be a string");
    }
    RecordedFile r{path, e["sha256"].get<std::string>(),
                   record_count(e, "bytes", file.string(), path)};
    if (e.contains("records")) {
      r.records = static_cast<long>(record_count(e, "records", file.string(), path));
    }
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace

std::string dataset_fetched_record_problem(const fs::path& dataset_dir) {
  const fs::path file = dataset_dir / kDatasetFetchedRecord;
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(file, ec))) return "";
  try {
    read_record(file);
    return "";
  } catch (const InputError& e) {
    return e.what();
  }
}

// NOTE: a record that could not be read threw, so run failed without the fetch command, data
// status stopped mid-table and data fetch (which never read it) left it as it was (reviewer 91).
std::vector<std::string> dataset_fetched_changes(const fs::path& dataset_dir, bool hash) {
  const fs::path file = dataset_dir / kDatasetFetchedRecord;
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(file, ec))) return {};
  std::vector<RecordedFile> recorded;
  try {
    recorded = read_record(file);
  } catch (const InputError& e) {
    return {std::string(e.what()) + "; the record data fetch left cannot be read"};
  }
  std::vector<std::string> changed;
  for (const auto& [path, sha, bytes, records] : recorded) {
    const fs::path p = dataset_dir / path;
    const uint64_t size = fs::file_size(p, ec);
    if (ec || !std::ifstream(p)) continue;  // missing or unreadable: presence names it
    std::string now_sha;
    try {
      if (size == bytes && hash) now_sha = sha256_file_hex(p);
    } catch (const std::runtime_error&) {
      continue;
    }
    if (size == bytes && now_sha == (hash ? sha : "")) continue;
    const long now_records = records < 0 ? -1 : jsonl_records(p);
    changed.push_back(p.string() + " is cut or changed since data fetch wrote it: " +
                      facts(now_records, size, now_sha) + "; data fetch wrote " +
                      facts(records, bytes, sha));
  }
  return changed;
}

}  // namespace moebench
