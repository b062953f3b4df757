// ServeScheduler: the one engine thread of `moebench serve`, fed by the HTTP threads.
#include "backends/builtin/serve/serve_scheduler.h"

#include <algorithm>
#include <exception>

namespace moebench {

void ServeJob::push_text(const std::string& piece) {
  std::lock_guard<std::mutex> lock(mu_);
  pieces_.push_back(piece);
  cv_.notify_all();
}

void ServeJob::finish(GenerateResult result) {
  std::lock_guard<std::mutex> lock(mu_);
  result_ = std::move(result);
  ended_ = true;
  cv_.notify_all();
}

void ServeJob::fail(const std::string& message) {
  std::lock_guard<std::mutex> lock(mu_);
  error_ = message;
  ended_ = true;
  cv_.notify_all();
}

bool ServeJob::next(std::string* piece) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return !pieces_.empty() || ended_; });
  if (pieces_.empty()) return false;
  *piece = std::move(pieces_.front());
  pieces_.pop_front();
  return true;
}

bool ServeJob::ended() {
  std::lock_guard<std::mutex> lock(mu_);
  return ended_;
}

bool ServeJob::failed(std::string* error) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!ended_ || result_) return false;
  *error = error_;
  return true;
}

GenerateResult ServeJob::wait(std::string* error) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return ended_; });
  *error = error_;
  return result_.value_or(GenerateResult{});
}

bool ServeJob::wait_for(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return ended_; });
}

void ScoreJob::finish(TokenLogprobs result) {
  std::lock_guard<std::mutex> lock(mu_);
  result_ = std::move(result);
  ended_ = true;
  cv_.notify_all();
}

void ScoreJob::fail(const std::string& message) {
  std::lock_guard<std::mutex> lock(mu_);
  error_ = message;
  ended_ = true;
  cv_.notify_all();
}

TokenLogprobs ScoreJob::wait(std::string* error) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return ended_; });
  *error = error_;
  return result_.value_or(TokenLogprobs{});
}

ServeScheduler::ServeScheduler(BuiltinModel& model, int max_batch,
                               std::function<void(const GenerateResult&)> on_end)
    : model_(model),
      max_batch_(max_batch < 1 ? 1 : max_batch),
      on_end_(std::move(on_end)),
      worker_([this] { loop(); }) {}

ServeScheduler::~ServeScheduler() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    cv_.notify_all();
  }
  worker_.join();
}

std::shared_ptr<ServeJob> ServeScheduler::submit(GenerateRequest request) {
  auto job = std::make_shared<ServeJob>(std::move(request));
  std::lock_guard<std::mutex> lock(mu_);
  queue_.push_back(job);
  cv_.notify_all();
  return job;
}

std::shared_ptr<ScoreJob> ServeScheduler::submit_score(std::vector<int> ids, int top_n) {
  auto job = std::make_shared<ScoreJob>(std::move(ids), top_n);
  std::lock_guard<std::mutex> lock(mu_);
  scores_.push_back(job);
  cv_.notify_all();
  return job;
}

void ServeScheduler::run_scores(std::deque<std::shared_ptr<ScoreJob>> jobs) {
  for (const auto& job : jobs) {
    try {
      job->finish(model_.prompt_logprobs(job->ids(), job->top_n()));
    } catch (const std::exception& e) {
      job->fail(e.what());
    }
  }
}

void ServeScheduler::loop() {
  for (;;) {
    std::vector<std::shared_ptr<ServeJob>> batch;
    std::deque<std::shared_ptr<ScoreJob>> scores;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty() || !scores_.empty(); });
      if (queue_.empty() && scores_.empty()) return;  // stopping with nothing left
      while (!queue_.empty() && static_cast<int>(batch.size()) < max_batch_) {
        batch.push_back(queue_.front());
        queue_.pop_front();
      }
      scores.swap(scores_);
    }
    run_scores(std::move(scores));
    if (!batch.empty()) run_batch(std::move(batch));
  }
}

// One generate call: each job ends the moment its request does (a short answer is not held until
// the batch's longest one ends), and requests queued meanwhile join the running call while a
// sequence slot is free, unless score jobs wait (the call then drains, and they run after it).
void ServeScheduler::run_batch(std::vector<std::shared_ptr<ServeJob>> jobs) {
  std::vector<GenerateRequest> requests;
  for (const auto& job : jobs) requests.push_back(job->request());
  std::vector<bool> ended(jobs.size(), false);
  // Tells job i its result, then the observer.
  auto end = [&](size_t i, const GenerateResult& result) {
    ended[i] = true;
    if (result.finish_reason == "error") {
      jobs[i]->fail(result.error);
    } else {
      jobs[i]->finish(result);
    }
    if (on_end_) on_end_(result);
  };
  GenerateCallbacks callbacks;
  callbacks.on_text = [&](size_t i, const std::string& piece) { jobs[i]->push_text(piece); };
  callbacks.on_done = end;
  callbacks.cancelled = [&](size_t i) { return jobs[i]->cancelled(); };
  callbacks.more = [&] {
    std::vector<GenerateRequest> joined;
    std::lock_guard<std::mutex> lock(mu_);
    if (!scores_.empty()) return joined;
    for (auto open = std::count(ended.begin(), ended.end(), false);
         !queue_.empty() && open < max_batch_; ++open) {
      jobs.push_back(queue_.front());
      queue_.pop_front();
      ended.push_back(false);
      joined.push_back(jobs.back()->request());
    }
    return joined;
  };
  try {
    std::vector<GenerateResult> results = model_.generate(std::move(requests), callbacks);
    for (size_t i = 0; i < jobs.size(); ++i) {
      if (!ended[i]) end(i, results[i]);
    }
  } catch (const std::exception& e) {
    GenerateResult failed;
    failed.finish_reason = "error";
    failed.error = e.what();
    for (size_t i = 0; i < jobs.size(); ++i) {
      if (!ended[i]) end(i, failed);
    }
  }
}

}  // namespace moebench
