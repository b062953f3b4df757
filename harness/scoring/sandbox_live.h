// The sandbox's live programs, temp dirs and cgroups, for an exit on a signal (internal to the
// sandbox; sandbox_cleanup_at_exit in sandbox.h is the public end). Fixed slots, atomics and
// syscalls only, so the cleanup is async-signal-safe.
#pragma once

#include <sys/types.h>

namespace moebench {

// One run's registration, freed by the destructor (declare it before what it names, so the
// destructors that remove those run first).
class SandboxLiveRun {
 public:
  SandboxLiveRun();
  ~SandboxLiveRun();
  SandboxLiveRun(const SandboxLiveRun&) = delete;
  SandboxLiveRun& operator=(const SandboxLiveRun&) = delete;

  void set_dir(const char* path);
  // The child's pidfd; namespaced: SIGKILL ends its PID namespace; rlimits-only: SIGTERM asks its
  // init to kill the tree. -1 once the child was reaped.
  void set_pidfd(int pidfd, bool namespaced);
  void set_cgroup(const char* path);

 private:
  int slot_ = -1;  // -1: every slot was taken (not registered)
};

// A Sandbox's cgroup directory (removed after its leaves); the same slots rule.
class SandboxLiveCgroupRoot {
 public:
  explicit SandboxLiveCgroupRoot(const char* path);
  ~SandboxLiveCgroupRoot();
  SandboxLiveCgroupRoot(const SandboxLiveCgroupRoot&) = delete;
  SandboxLiveCgroupRoot& operator=(const SandboxLiveCgroupRoot&) = delete;

 private:
  int slot_ = -1;
};

}  // namespace moebench
