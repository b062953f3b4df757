// cgroup v2 for the sandbox: one directory per Sandbox under the harness's own cgroup, one leaf per
// program in it. A leaf counts the CPU time of the program's whole process tree (cpu.stat) and the
// time its processes waited for a CPU (cpu.pressure), kills the tree at once (cgroup.kill) and,
// where the cpu, memory and pids controllers are delegated to the harness's cgroup, gives each
// program an equal CPU share and caps its memory and process count as a whole.
// Hand-written: the isolation is the product.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "harness/scoring/sandbox_usage.h"

namespace moebench {

struct SandboxLimits;
class SandboxLiveCgroupRoot;

// One program's leaf; removed (after killing whatever is left in it) when destroyed.
class SandboxCgroup {
 public:
  explicit SandboxCgroup(std::string path, bool memory_limited)
      : path_(std::move(path)), memory_limited_(memory_limited) {}
  ~SandboxCgroup();
  SandboxCgroup(const SandboxCgroup&) = delete;
  SandboxCgroup& operator=(const SandboxCgroup&) = delete;

  // Moves `pid` (not yet running the program) into the leaf; "" or what failed.
  std::string add(pid_t pid) const;
  // CPU seconds of every process that ran in the leaf (cpu.stat) and the time some of them waited
  // for a CPU (cpu.pressure "some"; 0 when the kernel has no pressure accounting).
  SandboxUsage usage() const;
  // Whether cpu.pressure exists (PSI on): without it the wait comes from /proc instead.
  bool has_pressure() const;
  // True when the memory controller killed a process for going over memory.max.
  bool oom_killed() const;
  // Kills every process in the leaf (cgroup.kill, Linux 5.14+); false when unsupported.
  bool kill() const;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  bool memory_limited_;
};

class SandboxCgroupRoot {
 public:
  // Creates <harness cgroup>/moebench-sandbox-<pid>-<n> (and removes those of dead harnesses).
  // Never throws: unavailable() says why when there is no usable cgroup v2 here (or `enabled` is
  // false).
  explicit SandboxCgroupRoot(bool enabled = true);
  ~SandboxCgroupRoot();
  SandboxCgroupRoot(const SandboxCgroupRoot&) = delete;
  SandboxCgroupRoot& operator=(const SandboxCgroupRoot&) = delete;

  bool available() const { return !path_.empty(); }
  const std::string& unavailable() const { return why_not_; }
  const std::string& path() const { return path_; }
  // Controllers enabled for the leaves: a subset of {"cpu", "memory", "pids"}.
  const std::vector<std::string>& controllers() const { return controllers_; }
  bool has(const std::string& controller) const;
  // One sentence for run.json: where, what is counted and what is limited.
  std::string describe() const;
  // A new leaf with the limits the enabled controllers can hold; nullptr and *error on failure.
  std::unique_ptr<SandboxCgroup> make_leaf(const SandboxLimits& limits, std::string* error);

 private:
  std::string base_, path_, why_not_;
  std::vector<std::string> controllers_;
  std::string missing_;                          // why the controllers not enabled are missing
  std::unique_ptr<SandboxLiveCgroupRoot> live_;  // removed on an exit from a signal too
  std::atomic<long> next_leaf_{0};
};

}  // namespace moebench
