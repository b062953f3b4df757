// SIGINT and SIGTERM: by default they end the command at once with exit 130 (files are written
// to a temporary name and renamed, so nothing half-written is left for a later command to trust;
// the code sandbox's running programs are killed and their temp dirs and cgroups removed first).
// While an InterruptScope is alive (a run sending requests, a server, a load generator) the first
// one only asks the work to stop after what is in flight (its responses are cached, so the same
// command resumes); a second one exits at once.
#pragma once

#include <chrono>

namespace moebench {

void interrupt_install();
bool interrupt_requested();
void interrupt_reset();  // tests

// Sleeps until `deadline` or an interrupt, whichever comes first (the signal handler wakes it);
// true when interrupted. Without interrupt_install() nothing can interrupt it: a plain sleep.
bool interrupt_wait_until(std::chrono::steady_clock::time_point deadline);

// Marks a phase that watches interrupt_requested() and stops by itself.
class InterruptScope {
 public:
  InterruptScope();
  ~InterruptScope();
  InterruptScope(const InterruptScope&) = delete;
  InterruptScope& operator=(const InterruptScope&) = delete;
};

}  // namespace moebench
