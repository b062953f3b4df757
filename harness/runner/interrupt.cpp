// interrupt_* through sigaction and atomics (the handler only reads and writes those).
#include "harness/runner/interrupt.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>

#include "harness/scoring/sandbox.h"

namespace moebench {
namespace {

std::atomic<int> g_interrupts{0};
std::atomic<int> g_watching{0};  // live InterruptScopes

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
  const char msg[] =
      "\nmoebench: interrupted; finishing requests in flight (Ctrl-C again to abort now)\n";
  say(msg, sizeof(msg) - 1);
}

}  // namespace

void interrupt_install() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

bool interrupt_requested() { return g_interrupts.load() > 0; }
void interrupt_reset() { g_interrupts = 0; }

InterruptScope::InterruptScope() { g_watching.fetch_add(1); }
InterruptScope::~InterruptScope() { g_watching.fetch_sub(1); }

}  // namespace moebench
