// Progress on stderr: a redrawn bar (rate, ETA) on a TTY, plain periodic lines otherwise.
#pragma once

#include <chrono>
#include <mutex>
#include <string>

namespace moebench {

class Progress {
 public:
  Progress(std::string label, long total, bool enabled);
  void add(long n);
  void finish();

 private:
  void draw(bool final_line);
  std::string label_;
  long total_ = 0;
  long done_ = 0;
  bool enabled_ = true;
  bool tty_ = false;
  std::chrono::steady_clock::time_point start_, last_draw_;
  std::mutex mu_;
};

}  // namespace moebench
