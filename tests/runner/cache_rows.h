// The request hashes a response cache (results/cache.sqlite) holds, read beside the run writing it
// (a read-write connection, as WAL readers are; none when the file is not there).
#pragma once

#include <sqlite3.h>

#include <filesystem>
#include <set>
#include <string>

namespace moebench::testing {

inline std::set<std::string> cached_hashes(const std::filesystem::path& db_file) {
  std::set<std::string> out;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(db_file.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK) {
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db, "SELECT hash FROM responses", -1, &st, nullptr);
    while (st && sqlite3_step(st) == SQLITE_ROW) {
      out.insert(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)));
    }
    sqlite3_finalize(st);
  }
  sqlite3_close(db);
  return out;
}

}  // namespace moebench::testing
