// One program in the sandbox, parent side (internal to the sandbox): its temp dir and channels,
// clone() into the namespaces and its cgroup leaf, the limits enforced while it runs, and the
// verdict. Child side: sandbox_child.cpp.
#pragma once

#include <string>

#include "harness/scoring/sandbox.h"

namespace moebench {

class SandboxCgroupRoot;

struct SandboxRunSetup {
  const SandboxOptions* options = nullptr;
  bool namespaces = true;
  bool probe = false;                    // set up the namespaces, exit before exec
  SandboxCgroupRoot* cgroups = nullptr;  // nullptr or unavailable: /proc accounting
};

SandboxResult sandbox_run_program(const SandboxRunSetup& setup, const std::string& program,
                                  const SandboxLimits& limits);

// The Python source the interpreter runs (`python3 -c`): reads and closes the nonce, runs
// /work/program.py (runpy, named __program__, not __main__), then writes the nonce. A program that
// exits early (sys.exit, exit(), quit(), os._exit, SystemExit) never reaches that write.
extern const char* const kSandboxRunnerSource;

}  // namespace moebench
