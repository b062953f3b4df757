// CacheWriter: a queue of arrived responses and the thread that commits them in batches.
#include "harness/runner/cache_writer.h"

#include <chrono>

namespace moebench {

CacheWriter::CacheWriter(ResponseCache* cache, std::string backend_id,
                         std::function<void()> on_failure)
    : cache_(cache),
      backend_id_(std::move(backend_id)),
      on_failure_(std::move(on_failure)),
      thread_([this] { loop(); }) {}

CacheWriter::~CacheWriter() {
  try {
    finish();
  } catch (...) {
    // NOTE: the destructor runs while an exception unwinds the run; the run's own error wins.
  }
}

void CacheWriter::add(const std::string& hash, const Response& response) {
  std::lock_guard<std::mutex> lock(mu_);
  hashes_.push_back(hash);
  responses_.push_back(response);
  // The first starts the kMaxDelayS clock; a full batch is written at once.
  if (hashes_.size() == 1 || hashes_.size() >= kMaxPending) cv_.notify_all();
}

void CacheWriter::finish() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
  if (failure_) std::rethrow_exception(std::exchange(failure_, nullptr));
}

void CacheWriter::loop() {
  const auto delay = std::chrono::duration<double>(kMaxDelayS);
  for (;;) {
    std::vector<std::string> hashes;
    std::vector<Response> responses;
    bool last;
    {
      std::unique_lock<std::mutex> lock(mu_);
      // Waits for the first response to arrive, then gives others kMaxDelayS to join it.
      cv_.wait(lock, [&] { return stopping_ || !hashes_.empty(); });
      cv_.wait_for(lock, delay, [&] { return stopping_ || hashes_.size() >= kMaxPending; });
      hashes.swap(hashes_);
      responses.swap(responses_);
      last = stopping_;
    }
    if (!hashes.empty() && !failure_) {
      try {
        cache_->put_many(backend_id_, hashes, responses);
      } catch (...) {
        failure_ = std::current_exception();
        if (on_failure_) on_failure_();
      }
    }
    if (last) {
      std::lock_guard<std::mutex> lock(mu_);
      if (hashes_.empty()) return;  // nothing arrived after the stop
    }
  }
}

}  // namespace moebench
