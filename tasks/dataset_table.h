// The dataset source table (tasks/datasets.json, data like the suite specs): for each dataset a
// suite spec names (its dataset.dir), the files to write into the data dir, each with its upstream
// URL at a pinned commit, SHA-256 and size; an archive lists the members it unpacks.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace moebench {

struct DataFile {
  std::string path;    // relative to the dataset's directory
  std::string sha256;  // lower-case hex
  uint64_t bytes = 0;
  std::string member;  // for an archive member: its name inside the archive
};

// One download: a plain file, or an archive whose listed members are unpacked.
struct DataDownload {
  std::string url;              // https://host/path at a pinned commit
  std::string archive;          // "" (a plain file) or "zip"
  std::vector<DataFile> files;  // the plain file, or the archive's members
  uint64_t bytes() const;       // of the files written
};

struct DatasetSource {
  std::string name;  // the directory under the data dir
  std::string source, license, note;
  std::vector<DataDownload> downloads;
  uint64_t bytes() const;
  size_t file_count() const;
};

struct DatasetTable {
  std::filesystem::path file;
  std::map<std::string, DatasetSource> datasets;
  // InputError "unknown dataset 'x' (known: ...)".
  const DatasetSource& find(const std::string& name) const;
};

// Reads and checks the table; InputError naming the file and field (e.g.
// "tasks/datasets.json: field 'datasets.mmlu.files[0].members[3].sha256': ...").
DatasetTable dataset_table_read(const std::filesystem::path& file);

// How much of a dataset a data dir holds, by file presence and size (`dataset_verify` hashes).
struct DatasetPresence {
  size_t files = 0, present = 0;  // present: there, readable, with the table's size
  size_t wrong_size = 0;          // there, but of another size than the table's
  size_t unreadable = 0;          // there, but it cannot be read (no permission, a directory)
  std::string first_missing;      // a path that is absent or of another size ("" when none is)
  // Why first_missing is not present: "is missing" or "has the wrong size (N bytes; the table
  // lists M)".
  std::string first_missing_why;
  std::string first_unreadable;  // the first unreadable path, and why ("Permission denied")
  std::string unreadable_why;
  bool complete() const { return present == files; }
  // "present", "unreadable" (any file is), "missing" (none is there), "wrong size" (all are
  // there, none at its size) or "incomplete": what data status and list show.
  std::string state() const;
  // The first unreadable file, else the first missing or wrong-size one, with why: "test.jsonl
  // cannot be read (Permission denied)", "a.jsonl is missing"; "" when complete.
  std::string first_problem() const;
};
DatasetPresence dataset_presence(const DatasetSource& d, const std::filesystem::path& data_dir);

// The files of `d` under data_dir whose SHA-256 differs from the table's, or that are missing.
std::vector<std::string> dataset_verify(const DatasetSource& d,
                                        const std::filesystem::path& data_dir);

// The files under data_dir/<d.name> that a split glob of a suite reading `d` matches (`globs`,
// relative to the dataset dir: "test/*_test.csv") but the table does not list: a stray copy
// ("agronomy (1).csv") that run refuses to read. Paths relative to the dataset dir, sorted.
std::vector<std::string> dataset_strays(const DatasetSource& d,
                                        const std::filesystem::path& data_dir,
                                        const std::vector<std::string>& globs);

// What `data fetch` leaves in each dataset dir it puts in place (DATA/<name>/.moebench-fetched,
// JSON): per file its size, SHA-256 and, for a JSONL file, its records. A dataset dir holding it
// is ours, fetched, and is checked against it; one without it (a copy of your own, or fetched
// before the record) is checked against the table alone.
inline constexpr const char* kDatasetFetchedRecord = ".moebench-fetched";

// Writes the record of `d` into dataset_dir, the tree fetch is about to move into place (every
// file there checked against the table's SHA-256).
void dataset_write_fetched(const DatasetSource& d, const std::filesystem::path& dataset_dir);

// The files of dataset_dir that differ from the record fetch left there, one line each:
// "DIR/test.jsonl is cut or changed since data fetch wrote it: 100 records (41 bytes); data fetch
// wrote 500 records (446564 bytes, SHA-256 ...)". By size, and with `hash` by SHA-256 too. Empty
// when there is no record or every file is as recorded; a missing or unreadable file is
// dataset_presence's to name. A record that cannot be read (cut, garbled, a field of the wrong
// type) is one line of its own: "DIR/.moebench-fetched: malformed JSON (...); the record data
// fetch left cannot be read".
std::vector<std::string> dataset_fetched_changes(const std::filesystem::path& dataset_dir,
                                                 bool hash);

// Why the record in dataset_dir cannot be read ("DIR/.moebench-fetched: malformed JSON ..."); ""
// when it can, or when there is none.
std::string dataset_fetched_record_problem(const std::filesystem::path& dataset_dir);

}  // namespace moebench
