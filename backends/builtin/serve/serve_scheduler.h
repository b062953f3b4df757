// ServeScheduler: queues generation jobs from many HTTP threads and runs them on the one engine
// with continuous batching (up to max_batch sequences at once; a job queued while others run
// joins them at the next step with a free slot, and each job ends as soon as its request does),
// streaming text back; and scoring jobs (a sequence's log-probabilities, for echo and logprobs)
// when the running generation drains.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
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
  // Blocks until the job ended or `timeout` passed: whether it ended.
  bool wait_for(std::chrono::milliseconds timeout);
  // The client went away: the generation ends at its next step (finish_reason "cancelled").
  void cancel() { cancelled_ = true; }
  bool cancelled() const { return cancelled_; }
  bool ended();
  // Whether the job ended with an error (fail), and then its message.
  bool failed(std::string* error);

 private:
  GenerateRequest request_;
  std::atomic<bool> cancelled_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> pieces_;
  std::optional<GenerateResult> result_;
  std::string error_;
  bool ended_ = false;
};

// One sequence to score (BuiltinModel::prompt_logprobs) and its result.
class ScoreJob {
 public:
  ScoreJob(std::vector<int> ids, int top_n) : ids_(std::move(ids)), top_n_(top_n) {}
  const std::vector<int>& ids() const { return ids_; }
  int top_n() const { return top_n_; }

  void finish(TokenLogprobs result);
  void fail(const std::string& message);
  // Blocks until the job ended; the error message when it failed.
  TokenLogprobs wait(std::string* error);

 private:
  std::vector<int> ids_;
  int top_n_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::optional<TokenLogprobs> result_;
  std::string error_;
  bool ended_ = false;
};

class ServeScheduler {
 public:
  // `on_end`: ServeOptions::on_generation_end (may be empty).
  ServeScheduler(BuiltinModel& model, int max_batch,
                 std::function<void(const GenerateResult&)> on_end = {});
  ~ServeScheduler();
  std::shared_ptr<ServeJob> submit(GenerateRequest request);
  std::shared_ptr<ScoreJob> submit_score(std::vector<int> ids, int top_n);

 private:
  void loop();
  void run_scores(std::deque<std::shared_ptr<ScoreJob>> jobs);
  void run_batch(std::vector<std::shared_ptr<ServeJob>> jobs);

  BuiltinModel& model_;
  int max_batch_;
  std::function<void(const GenerateResult&)> on_end_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<ServeJob>> queue_;
  std::deque<std::shared_ptr<ScoreJob>> scores_;
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace moebench
