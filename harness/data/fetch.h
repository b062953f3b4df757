// `moebench data fetch`: the datasets of the source table downloaded (from upstream or a mirror
// with the same paths), checked file by file against their SHA-256, and put into the data dir one
// dataset at a time by a rename: a killed or failed fetch leaves nothing half-written in place,
// and the next fetch resumes from what it left in DATA/.moebench-fetch/.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "harness/data/http_download.h"
#include "tasks/dataset_table.h"

namespace moebench {

struct FetchOptions {
  std::vector<std::string> datasets;             // names in the table, in order
  std::map<std::string, std::string> suites_of;  // dataset -> "suite a, suite b" (messages)
  // dataset -> the split globs of the suites reading it ("test/*_test.csv"): an unlisted file
  // they match is a stray copy, which a fetch removes; any other unlisted file is kept.
  std::map<std::string, std::vector<std::string>> globs_of;
  std::filesystem::path data_dir;
  std::string mirror;  // "" = upstream; else <mirror>/<host>/<path> (http_mirror_url)
  int jobs = 8;        // downloads in parallel
  bool force = false;  // fetch again a dataset already present and verified
  bool progress = true;
  double progress_interval_s = 10;
  DownloadOptions download;
};

struct DatasetOutcome {
  enum class State { kPresent, kFetched, kFailed };
  std::string name;
  State state = State::kFailed;
  size_t files = 0;
  uint64_t bytes = 0;  // of the files in place
  std::string error;   // one line, when failed
  // What a fetch replacing a dataset dir did besides the table's files: "kept 2 files it does
  // not list: NOTES.txt, ...", "removed 1 stray file its split globs read: ...".
  std::vector<std::string> notes;
};

struct FetchReport {
  std::vector<DatasetOutcome> datasets;
  uint64_t downloaded = 0;  // bytes received over the network
  double seconds = 0;
  bool ok() const;
};

// Fetches every dataset of `options` not verified present (every file at its SHA-256, no stray
// copy, a readable record); a dataset that fails is reported and the others still go
// into place. InputError when the data dir cannot be created or written, or another fetch holds
// it.
FetchReport data_fetch(const DatasetTable& table, const FetchOptions& options);

}  // namespace moebench
