// What a sandboxed program used so far: CPU time over its whole process tree and the time it
// waited for a CPU while runnable. The time limit charges wall time less that wait, so a program
// slowed down by its neighbours (or by anything else on the machine) keeps its limit.
#pragma once

#include <sys/types.h>

namespace moebench {

struct SandboxUsage {
  double cpu_s = 0;       // user + system, every process of the tree (live and reaped)
  double cpu_wait_s = 0;  // runnable but not running: held back by other work
  bool valid = false;     // false: nothing could be read
};

// Without a cgroup: /proc of every live process under `root` (its own CPU plus what it reaped:
// utime + stime + cutime + cstime), and the largest run-queue wait of one of them
// (/proc/PID/schedstat). Processes reaped by one that is gone are no longer counted, so this is a
// lower bound of the cgroup figure.
SandboxUsage sandbox_proc_usage(pid_t root);

}  // namespace moebench
