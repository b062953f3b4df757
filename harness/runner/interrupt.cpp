// interrupt_* through sigaction and an atomic flag.
#include "harness/runner/interrupt.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>

namespace moebench {
namespace {

std::atomic<int> g_interrupts{0};

void on_sigint(int) {
  if (g_interrupts.fetch_add(1) >= 1) _exit(130);
  const char msg[] =
      "\nmoebench: interrupted; finishing requests in flight (Ctrl-C again to abort now)\n";
  ssize_t ignored = write(STDERR_FILENO, msg, sizeof(msg) - 1);
  (void)ignored;
}

}  // namespace

void interrupt_install() {
  struct sigaction sa {};
  sa.sa_handler = on_sigint;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

bool interrupt_requested() { return g_interrupts.load() > 0; }
void interrupt_reset() { g_interrupts = 0; }

}  // namespace moebench
