// Progress rendering and its ticker.
#include "harness/runner/progress.h"

#include <unistd.h>

namespace moebench {

namespace {
constexpr double kDefaultIntervalS = 10;  // logs (CI, files) get a line this often
constexpr double kTtyRedrawS = 0.1;       // a terminal redraws at most this often on arrivals
constexpr double kTtyTickS = 1;           // and at least this often while nothing arrives
}  // namespace

Progress::Progress(std::string label, long total, bool enabled, double interval_s, std::FILE* out)
    : label_(std::move(label)),
      total_(total),
      enabled_(enabled && total > 0),
      out_(out ? out : stderr),
      interval_(interval_s > 0 ? interval_s : kDefaultIntervalS) {
  tty_ = !out && isatty(STDERR_FILENO);
  if (tty_) interval_ = std::chrono::duration<double>(kTtyTickS);
  start_ = last_draw_ = std::chrono::steady_clock::now();
  if (enabled_) ticker_ = std::thread([this] { tick(); });
}

Progress::~Progress() { finish(); }

void Progress::add(long n) {
  std::lock_guard<std::mutex> lock(mu_);
  done_ += n;
  if (!enabled_ || !tty_ || finished_) return;
  auto now = std::chrono::steady_clock::now();
  if (now - last_draw_ >= std::chrono::duration<double>(kTtyRedrawS)) draw(false);
}

void Progress::show_as_bytes() {
  std::lock_guard<std::mutex> lock(mu_);
  bytes_ = true;
}

void Progress::finish() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (finished_) return;
    finished_ = true;
    if (enabled_) draw(true);
    cv_.notify_all();
  }
  if (ticker_.joinable()) ticker_.join();
}

void Progress::tick() {
  const auto period = std::chrono::duration_cast<std::chrono::steady_clock::duration>(interval_);
  std::unique_lock<std::mutex> lock(mu_);
  while (!finished_) {
    if (cv_.wait_until(lock, last_draw_ + period, [&] { return finished_; })) return;
    if (std::chrono::steady_clock::now() >= last_draw_ + period) draw(false);
  }
}

void Progress::draw(bool final_line) {
  const auto now = std::chrono::steady_clock::now();
  last_draw_ = now;
  double elapsed = std::chrono::duration<double>(now - start_).count();
  double rate = elapsed > 0 ? done_ / elapsed : 0;
  double eta = rate > 0 ? (total_ - done_) / rate : 0;
  double frac = total_ > 0 ? static_cast<double>(done_) / total_ : 1;
  // Bytes as MB ("12.3/45.6 MB", "3.1 MB/s"), else the counts themselves.
  const double scale = bytes_ ? 1e-6 : 1;
  const char* unit = bytes_ ? " MB" : "";
  const int digits = bytes_ ? 1 : 0;
  if (tty_) {
    constexpr int kWidth = 30;
    int filled = static_cast<int>(frac * kWidth);
    std::string bar(filled, '#');
    bar.resize(kWidth, '.');
    std::fprintf(out_, "\r%s [%s] %.*f/%.*f%s %5.1f%% %.1f%s/s ETA %.0fs   %s", label_.c_str(),
                 bar.c_str(), digits, done_ * scale, digits, total_ * scale, unit, 100 * frac,
                 rate * scale, unit, eta, final_line ? "\n" : "");
  } else if (done_ == 0) {
    std::fprintf(out_, "%s: 0/%.*f%s after %.0f s (waiting for the first %s)\n", label_.c_str(),
                 digits, total_ * scale, unit, elapsed, bytes_ ? "byte" : "answer");
  } else {
    std::fprintf(out_, "%s: %.*f/%.*f%s (%.1f%%) %.1f%s/s, ETA %.0f s\n", label_.c_str(), digits,
                 done_ * scale, digits, total_ * scale, unit, 100 * frac, rate * scale, unit, eta);
  }
  std::fflush(out_);
}

}  // namespace moebench
