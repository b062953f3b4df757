// interrupt_* through sigaction and atomics (the handler only reads and writes those, and writes
// a byte to a pipe that interrupt_wait_until polls).
#include "harness/runner/interrupt.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <thread>

#include "harness/scoring/sandbox.h"

namespace moebench {
namespace {

std::atomic<int> g_interrupts{0};
std::atomic<int> g_watching{0};  // live InterruptScopes
// The self-pipe: the handler writes a byte at the first interrupt and nothing reads it but
// interrupt_reset, so it stays readable and wakes every waiter, present and later.
std::atomic<int> g_wake_read{-1}, g_wake_write{-1};

void say(const char* msg, size_t n) {
  ssize_t ignored = write(STDERR_FILENO, msg, n);
  (void)ignored;
}

void on_signal(int) {
  const bool first = g_interrupts.fetch_add(1) == 0;
  if (!first || g_watching.load() == 0) {
    const char msg[] = "\nmoebench: interrupted\n";
    say(msg, sizeof(msg) - 1);
    sandbox_cleanup_at_exit();  // no destructor runs past _exit
    _exit(130);
  }
  const int saved_errno = errno;
  const char wake = 1;
  if (g_wake_write.load() >= 0) {
    ssize_t ignored = write(g_wake_write.load(), &wake, 1);
    (void)ignored;
  }
  const char msg[] =
      "\nmoebench: interrupted; finishing requests in flight (Ctrl-C again to abort now)\n";
  say(msg, sizeof(msg) - 1);
  errno = saved_errno;
}

}  // namespace

void interrupt_install() {
  int fds[2];
  if (g_wake_read.load() < 0 && pipe2(fds, O_CLOEXEC | O_NONBLOCK) == 0) {
    g_wake_write = fds[1];
    g_wake_read = fds[0];
  }
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

bool interrupt_requested() { return g_interrupts.load() > 0; }
void interrupt_reset() {
  g_interrupts = 0;
  char drained[64];
  if (g_wake_read.load() >= 0) {
    while (read(g_wake_read.load(), drained, sizeof drained) > 0) {
    }
  }
}

bool interrupt_wait_until(std::chrono::steady_clock::time_point deadline) {
  using namespace std::chrono;
  for (;;) {
    if (interrupt_requested()) return true;
    const auto left = duration_cast<nanoseconds>(deadline - steady_clock::now()).count();
    if (left <= 0) return false;
    const int fd = g_wake_read.load();
    if (fd < 0) {  // no handler installed: no interrupt can come
      std::this_thread::sleep_until(deadline);
      continue;
    }
    // ppoll's relative timeout runs on CLOCK_MONOTONIC, steady_clock's clock, at nanoseconds.
    const timespec ts{static_cast<time_t>(left / 1000000000), static_cast<long>(left % 1000000000)};
    pollfd p{fd, POLLIN, 0};
    ppoll(&p, 1, &ts, nullptr);  // readable, timed out or EINTR: the loop looks again
  }
}

InterruptScope::InterruptScope() { g_watching.fetch_add(1); }
InterruptScope::~InterruptScope() { g_watching.fetch_sub(1); }

}  // namespace moebench
