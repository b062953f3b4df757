// Child side of the sandbox (internal to sandbox.cpp): the code that runs between clone() and
// execve(python). Everything it touches is prepared by the parent; it only makes syscalls.
#pragma once

#include <sys/types.h>

namespace moebench {

// The outside uid/gid the sandboxed program runs as ("nobody"); also RLIMIT_NPROC's owner.
inline constexpr int kSandboxOutsideId = 65534;

// Plain data read by the cloned child; pointers stay valid because the child is a copy of the
// parent's memory taken at clone() time.
struct SandboxChildArgs {
  bool namespaces = true;       // false: rlimits-only (drop to nobody when root)
  bool probe_only = false;      // set up the namespaces and mounts, then exit 0 without exec
  bool drop_to_nobody = false;  // rlimits-only run by root: setresuid(kSandboxOutsideId)
  bool drop_groups = true;      // namespaces: setgroups(0) (only possible when the parent is root)
  pid_t parent_pid = 0;         // moebench; rlimits-only, checked after PR_SET_PDEATHSIG
  // Parent's fds; the child moves them to fixed numbers and closes everything else.
  int sync_fd = -1;     // one byte arrives once uid_map/gid_map are written
  int info_fd = -1;     // SandboxChildReport records go here
  int out_fd = -1;      // the program's stdout
  int err_fd = -1;      // the program's stderr
  int program_fd = -1;  // program.py, copied into the sandbox's /work
  int done_fd = -1;     // the program's runner writes the nonce here once the program returned
  int nonce_fd = -1;    // holds the nonce; the runner reads and closes it before the program runs
  const char* base_dir = nullptr;  // host temp dir; rlimits-only: the program's cwd
  const char* root_dir = nullptr;  // base_dir/root: mount point of the new root (namespaces)
  const char* work_dir = nullptr;  // the program's cwd as the program sees it
  char tmpfs_options[64] = {};     // "size=...,mode=0755" for the new root
  char* const* argv = nullptr;     // {python, "-c", runner source, nullptr}
  char* const* envp = nullptr;     // scrubbed environment
  long cpu_s = 0, memory_bytes = 0, file_bytes = 0, max_processes = 0;
};

// One record on the info pipe (from the init: the namespace's PID 1, or rlimits-only the child
// that forks the program). kind 'S': the program ended (wait status, CPU seconds);
// kind 'E': a setup step failed (step name and errno).
struct SandboxChildReport {
  char kind = 0;
  int status = 0;
  int err = 0;
  double cpu_s = 0;
  char step[96] = {};
};

// The descriptors the program's runner finds: kSandboxDoneFd to write the nonce to once the
// program returned, kSandboxNonceFd to read it from (then closed).
inline constexpr int kSandboxDoneFd = 6, kSandboxNonceFd = 7;

// Entry point for clone(); `arg` is a SandboxChildArgs*. Never returns to the caller's code.
int sandbox_child_main(void* arg);

}  // namespace moebench
