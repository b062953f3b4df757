// SIGINT and SIGTERM: by default they end the command at once with exit 130 (files are written
// to a temporary name and renamed, so nothing half-written is left for a later command to trust;
// the code sandbox's running programs are killed and their temp dirs and cgroups removed first).
// While an InterruptScope is alive (a run sending requests, a server, a load generator) the first
// one only asks the work to stop after what is in flight (its responses are cached, so the same
// command resumes); a second one exits at once.
#pragma once

namespace moebench {

void interrupt_install();
bool interrupt_requested();
void interrupt_reset();  // tests

// Marks a phase that watches interrupt_requested() and stops by itself.
class InterruptScope {
 public:
  InterruptScope();
  ~InterruptScope();
  InterruptScope(const InterruptScope&) = delete;
  InterruptScope& operator=(const InterruptScope&) = delete;
};

}  // namespace moebench
