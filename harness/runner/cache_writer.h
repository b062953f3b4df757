// Commits responses to the cache as they arrive, from a thread of its own: whatever arrived is in
// the database within kMaxDelayS (one transaction per flush), so a killed run loses at most that
// last moment's answers, and the backend's threads never wait on SQLite.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "harness/runner/cache.h"

namespace moebench {

class CacheWriter {
 public:
  static constexpr double kMaxDelayS = 0.2;   // a response waits at most this long for its commit
  static constexpr size_t kMaxPending = 512;  // or until this many are waiting

  // `on_failure` is called once, on the writer's thread, when a commit fails: what arrives after
  // that cannot be kept, so the caller stops sending.
  CacheWriter(ResponseCache* cache, std::string backend_id,
              std::function<void()> on_failure = nullptr);
  ~CacheWriter();  // flushes what is pending
  CacheWriter(const CacheWriter&) = delete;
  CacheWriter& operator=(const CacheWriter&) = delete;

  void add(const std::string& hash, const Response& response);
  // Commits everything added so far and stops the thread; rethrows the first failed commit (later
  // batches are not tried).
  void finish();

 private:
  void loop();
  ResponseCache* cache_;
  std::string backend_id_;
  std::function<void()> on_failure_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> hashes_;
  std::vector<Response> responses_;
  bool stopping_ = false;
  std::exception_ptr failure_;
  std::thread thread_;
};

}  // namespace moebench
