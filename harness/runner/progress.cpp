// Progress rendering.
#include "harness/runner/progress.h"

#include <unistd.h>

#include <cstdio>

namespace moebench {

Progress::Progress(std::string label, long total, bool enabled)
    : label_(std::move(label)), total_(total), enabled_(enabled && total > 0) {
  tty_ = isatty(STDERR_FILENO);
  start_ = last_draw_ = std::chrono::steady_clock::now();
}

void Progress::add(long n) {
  std::lock_guard<std::mutex> lock(mu_);
  done_ += n;
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  // NOTE: a TTY redraws at 10 Hz; logs (CI, files) get a line every 10 s so they stay short.
  auto period = tty_ ? std::chrono::milliseconds(100) : std::chrono::milliseconds(10000);
  if (now - last_draw_ >= period) {
    last_draw_ = now;
    draw(false);
  }
}

void Progress::finish() {
  std::lock_guard<std::mutex> lock(mu_);
  if (enabled_) draw(true);
}

void Progress::draw(bool final_line) {
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  double rate = elapsed > 0 ? done_ / elapsed : 0;
  double eta = rate > 0 ? (total_ - done_) / rate : 0;
  double frac = total_ > 0 ? static_cast<double>(done_) / total_ : 1;
  if (tty_) {
    constexpr int kWidth = 30;
    int filled = static_cast<int>(frac * kWidth);
    std::string bar(filled, '#');
    bar.resize(kWidth, '.');
    std::fprintf(stderr, "\r%s [%s] %ld/%ld %5.1f%% %.1f/s ETA %.0fs   %s", label_.c_str(),
                 bar.c_str(), done_, total_, 100 * frac, rate, eta, final_line ? "\n" : "");
  } else {
    std::fprintf(stderr, "%s: %ld/%ld (%.1f%%) %.1f/s, ETA %.0f s\n", label_.c_str(), done_, total_,
                 100 * frac, rate, eta);
  }
  std::fflush(stderr);
}

}  // namespace moebench
