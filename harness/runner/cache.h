// SQLite cache of backend responses keyed by (backend id, request hash). Each batch is committed
// as soon as it arrives, so a killed run loses at most the requests in flight.
#pragma once

#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "backends/backend.h"

struct sqlite3;

namespace moebench {

class ResponseCache {
 public:
  // Opens (creating if needed) the database; WAL journal so readers never block the writer.
  explicit ResponseCache(const std::filesystem::path& file);
  ~ResponseCache();
  ResponseCache(const ResponseCache&) = delete;
  ResponseCache& operator=(const ResponseCache&) = delete;

  // Looks up many hashes at once; the map holds only the hits.
  std::unordered_map<std::string, Response> get_many(const std::string& backend_id,
                                                     const std::vector<std::string>& hashes);
  // Stores one batch in a single transaction; EnvironmentError naming the file and the cause when
  // it cannot (nothing of the batch is kept then). Responses with an error are not stored (the next
  // run asks again), except partial ones (Response::partial): their samples are paid for, and the
  // next run asks only for the rest.
  void put_many(const std::string& backend_id, const std::vector<std::string>& hashes,
                const std::vector<Response>& responses);
  long count(const std::string& backend_id);
  const std::filesystem::path& file() const { return file_; }

 private:
  void exec(const char* sql);
  std::filesystem::path file_;
  sqlite3* db_ = nullptr;
  std::mutex mu_;
};

}  // namespace moebench
