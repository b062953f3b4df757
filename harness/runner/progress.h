// Progress on stderr: a redrawn bar (rate, ETA) on a TTY, plain lines every `interval_s` otherwise.
// Counts move as each item arrives; a ticker thread keeps printing while nothing does, so a long
// first call never shows an empty line.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>

namespace moebench {

class Progress {
 public:
  // interval_s: seconds between plain lines when stderr is not a TTY (0 = 10 s). `out` is stderr
  // unless a test passes another stream (then treated as not a TTY).
  Progress(std::string label, long total, bool enabled, double interval_s = 0,
           std::FILE* out = nullptr);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;
  void add(long n);
  // Counts are bytes: shown as MB and MB/s.
  void show_as_bytes();
  void finish();  // the last line; stops the ticker

 private:
  void tick();
  void draw(bool final_line);  // with mu_ held
  std::string label_;
  long total_ = 0;
  long done_ = 0;
  bool enabled_ = true;
  bool tty_ = false;
  bool finished_ = false;
  bool bytes_ = false;
  std::FILE* out_;
  std::chrono::duration<double> interval_;
  std::chrono::steady_clock::time_point start_, last_draw_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::thread ticker_;
};

}  // namespace moebench
