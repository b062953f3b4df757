// ServeScheduler: queues generation jobs from many HTTP threads and runs them on the one engine
// in batches (whatever is queued when a batch starts, up to max_batch), streaming text back.
#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "backends/builtin/builtin_model.h"

namespace moebench {

// One request's channel: the scheduler pushes text pieces, then the result.
class ServeJob {
 public:
  explicit ServeJob(GenerateRequest request) : request_(std::move(request)) {}
  const GenerateRequest& request() const { return request_; }

  void push_text(const std::string& piece);
  void finish(GenerateResult result);
  void fail(const std::string& message);
  // Blocks until text or the end arrives; returns false once everything was taken.
  bool next(std::string* piece);
  // Blocks until the job ended; the error message when it failed.
  GenerateResult wait(std::string* error);

 private:
  GenerateRequest request_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> pieces_;
  std::optional<GenerateResult> result_;
  std::string error_;
  bool ended_ = false;
};

class ServeScheduler {
 public:
  ServeScheduler(BuiltinModel& model, int max_batch);
  ~ServeScheduler();
  std::shared_ptr<ServeJob> submit(GenerateRequest request);

 private:
  void loop();

  BuiltinModel& model_;
  int max_batch_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<ServeJob>> queue_;
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace moebench
