// The loopback dataset mirror: an in-process HTTP(S) server that serves a copy of the datasets
// (../shared/datasets) under the paths of the dataset table's upstream URLs, with the table's
// archives built from the copy, as `moebench data fetch --mirror` expects a mirror to. Faults are
// scripted per path: 404, 503, a connection cut mid-file, corrupted bytes, a stalled transfer. It
// honours Range requests and records every request.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "tasks/dataset_table.h"

namespace moebench::testing {

struct MirrorRequest {
  std::string path;   // without the leading '/'
  std::string range;  // the Range header, "" when none
  int status = 0;
  std::string fault;  // the fault applied, "" when none
};

class MirrorServer {
 public:
  // `work` holds the archives built at construction. TLS when `cert` and `key` are given.
  MirrorServer(const DatasetTable& table, const std::filesystem::path& datasets,
               const std::filesystem::path& work, const std::string& cert = "",
               const std::string& key = "");
  ~MirrorServer();
  MirrorServer(const MirrorServer&) = delete;
  MirrorServer& operator=(const MirrorServer&) = delete;

  std::string base_url() const;  // http(s)://127.0.0.1:PORT
  // The next `times` requests for a path containing `path_part` get `kind`: "404", "503", "cut"
  // (half of the answer, then the connection closes), "corrupt" (one byte changed), "stall"
  // (the first 16 kB, then nothing until the client goes away).
  void fault(const std::string& path_part, const std::string& kind, int times);
  std::vector<MirrorRequest> requests() const;
  size_t files() const;  // paths served

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// Builds a zip of `members` (name in the archive -> file) with libarchive.
void mirror_write_zip(const std::filesystem::path& zip,
                      const std::vector<std::pair<std::string, std::filesystem::path>>& members);

}  // namespace moebench::testing
