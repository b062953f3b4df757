// ResponseCache on SQLite: one table (backend, hash) -> response JSON.
#include "harness/runner/cache.h"

#include <sqlite3.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "common/error.h"

namespace moebench {
namespace {

struct Statement {
  sqlite3_stmt* s = nullptr;
  Statement(sqlite3* db, const char* sql) {
    if (sqlite3_prepare_v2(db, sql, -1, &s, nullptr) != SQLITE_OK) {
      throw std::runtime_error(std::string("sqlite prepare: ") + sqlite3_errmsg(db));
    }
  }
  ~Statement() { sqlite3_finalize(s); }
};

void bind_text(sqlite3_stmt* s, int i, const std::string& v) {
  sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
}

}  // namespace

ResponseCache::ResponseCache(const std::filesystem::path& file) : file_(file) {
  std::error_code ec;
  if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path(), ec);
  if (sqlite3_open(file.c_str(), &db_) != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw input_error(file.string(), "cannot open response cache: " + msg);
  }
  sqlite3_busy_timeout(db_, 10000);  // shards may share one cache file
  // NOTE: switching a new file to WAL takes an exclusive lock without calling the busy handler,
  // so shards opening one new cache together get SQLITE_BUSY at once: retried here, up to the
  // same 10 s.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (int rc; (rc = sqlite3_exec(db_, "PRAGMA journal_mode=WAL", nullptr, nullptr, nullptr)) !=
               SQLITE_OK;) {
    if ((rc != SQLITE_BUSY && rc != SQLITE_LOCKED) || std::chrono::steady_clock::now() > deadline) {
      exec("PRAGMA journal_mode=WAL");  // throws, naming the file and the error
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  // NOTE: NORMAL in WAL mode survives a killed process (not a power cut) without an fsync per
  // commit, which is the failure the resume guarantee covers.
  exec("PRAGMA synchronous=NORMAL");
  exec(
      "CREATE TABLE IF NOT EXISTS responses (backend TEXT NOT NULL, hash TEXT NOT NULL, "
      "response TEXT NOT NULL, created REAL NOT NULL DEFAULT (julianday('now')), "
      "PRIMARY KEY (backend, hash)) WITHOUT ROWID");
}

ResponseCache::~ResponseCache() { sqlite3_close(db_); }

void ResponseCache::exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    throw input_error(file_.string(), "response cache: " + msg + " (in: " + sql + ")");
  }
}

std::unordered_map<std::string, Response> ResponseCache::get_many(
    const std::string& backend_id, const std::vector<std::string>& hashes) {
  std::lock_guard<std::mutex> lock(mu_);
  std::unordered_map<std::string, Response> out;
  Statement st(db_, "SELECT response FROM responses WHERE backend = ?1 AND hash = ?2");
  exec("BEGIN");
  for (const std::string& h : hashes) {
    sqlite3_reset(st.s);
    bind_text(st.s, 1, backend_id);
    bind_text(st.s, 2, h);
    if (sqlite3_step(st.s) == SQLITE_ROW) {
      const char* text = reinterpret_cast<const char*>(sqlite3_column_text(st.s, 0));
      int len = sqlite3_column_bytes(st.s, 0);
      auto j = nlohmann::json::parse(std::string_view(text, len), nullptr, false);
      if (!j.is_discarded()) out.emplace(h, Response::from_json(j));
    }
  }
  exec("COMMIT");
  return out;
}

void ResponseCache::put_many(const std::string& backend_id, const std::vector<std::string>& hashes,
                             const std::vector<Response>& responses) {
  std::lock_guard<std::mutex> lock(mu_);
  Statement st(db_, "INSERT OR REPLACE INTO responses (backend, hash, response) VALUES (?1,?2,?3)");
  // NOTE: any failure here is the file system's (full, a size limit, locked past the timeout):
  // the transaction is rolled back (SQLite may have done so already) and what earlier commits
  // stored stays.
  bool ok = sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK;
  for (size_t i = 0; ok && i < hashes.size() && i < responses.size(); ++i) {
    if (responses[i].error && !responses[i].partial()) continue;
    sqlite3_reset(st.s);
    bind_text(st.s, 1, backend_id);
    bind_text(st.s, 2, hashes[i]);
    bind_text(st.s, 3, responses[i].to_json().dump());
    ok = sqlite3_step(st.s) == SQLITE_DONE;
  }
  if (ok) ok = sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr) == SQLITE_OK;
  if (ok) return;
  // The cause, taken before ROLLBACK replaces it: SQLite's message, and for a failed write the
  // OS's error. NOTE: SQLite records no errno for a write that fails inside COMMIT (a file size
  // limit's EFBIG, a quota's EDQUOT): errno still holds it, as SQLite's own calls since succeeded.
  const int os = errno;
  std::string cause = sqlite3_errmsg(db_);
  if (sqlite3_extended_errcode(db_) == SQLITE_IOERR_WRITE && os != 0) {
    cause += ": " + std::string(std::strerror(os));
  }
  sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  throw EnvironmentError(file_.string() + ": response cache: cannot store responses: " + cause);
}

long ResponseCache::count(const std::string& backend_id) {
  std::lock_guard<std::mutex> lock(mu_);
  Statement st(db_, "SELECT COUNT(*) FROM responses WHERE backend = ?1");
  bind_text(st.s, 1, backend_id);
  return sqlite3_step(st.s) == SQLITE_ROW ? sqlite3_column_int64(st.s, 0) : 0;
}

}  // namespace moebench
