// Runs untrusted generated programs (HumanEval, MBPP) in a child process isolated with user,
// network, mount and PID namespaces, a session of its own, a cgroup v2 leaf where one can be made
// (else /proc accounting) and rlimits. A program passes only when it ran to its end (a marker the
// harness's runner writes after it), never by exiting 0 early; at the marker it passes, whatever
// it then does (a non-zero exit, a thread that never ends), and what is left is killed. Refuses to
// run without namespaces unless the user opted into rlimits-only isolation.
#pragma once

#include <string>
#include <vector>

namespace moebench {

struct SandboxLimits {
  // Charged as wall time less the time the program waited for a CPU, so a loaded machine does not
  // fail a correct program; a wall-clock backstop of max(10 x wall_s, 60 s) still applies.
  double wall_s = 10;
  double cpu_s = 10;             // the whole process tree (and RLIMIT_CPU per process)
  long memory_bytes = 4L << 30;  // RLIMIT_AS
  long file_bytes = 16L << 20;   // RLIMIT_FSIZE
  // Tasks inside the sandbox, threads included (RLIMIT_NPROC and pids.max count threads): 64
  // fits ThreadPoolExecutor()'s largest default pool, min(32, cores + 4), on any host.
  int max_processes = 64;
  long output_bytes = 64L << 10;  // stdout/stderr kept per stream; more is dropped
};

struct SandboxOptions {
  SandboxLimits limits;
  bool allow_rlimits_only = false;  // --sandbox-rlimits-only: run even without namespaces
  bool force_rlimits_only = false;  // skip the namespaces even where they work (tests)
  bool use_cgroups = true;          // false: /proc accounting even where cgroup v2 works (tests)
  int workers = 0;                  // concurrent programs; 0 = number of cores
  std::string python = "/usr/bin/python3";
};

enum class SandboxVerdict { kPassed, kFailed, kTimeout, kKilled, kError };

struct SandboxResult {
  SandboxVerdict verdict = SandboxVerdict::kError;
  std::string reason;  // one line: "AssertionError", "timeout after 3.0 s", "RLIMIT_AS"...
  int exit_code = -1;  // -1: it did not exit by itself (killed at the marker, a limit, a signal)
  int signal = 0;
  double wall_s = 0;
  double cpu_s = 0;         // the whole process tree
  double cpu_wait_s = 0;    // runnable but waiting for a CPU (not charged to the time limit)
  std::string stdout_text;  // capped at limits.output_bytes
  std::string stderr_text;
};

// For an exit from a signal handler (interrupt.cpp's SIGINT/SIGTERM), where no destructor runs:
// kills the programs running now (PID namespace, or the rlimits-only init's tree) and removes
// their temp dirs and cgroups. Async-signal-safe; once per process.
void sandbox_cleanup_at_exit();

const char* sandbox_verdict_name(SandboxVerdict v);  // "passed" | "failed" | "timeout" | ...
// A program's verdict as code_exec predicts it: "passed" or "<verdict>: <reason>". A program the
// sandbox could not run (kError: its setup failed) has no verdict on the code: std::runtime_error,
// so the problem is a scoring error (counted against --max-error-rate), never a failed program.
std::string sandbox_prediction(const SandboxResult& r);

class Sandbox {
 public:
  // Probes namespace support; throws InputError explaining how to opt into rlimits-only when
  // namespaces are unavailable and options.allow_rlimits_only is false.
  explicit Sandbox(SandboxOptions options);
  ~Sandbox();
  Sandbox(const Sandbox&) = delete;
  Sandbox& operator=(const Sandbox&) = delete;

  // Thread-safe; blocks while `workers` programs already run.
  SandboxResult run_python(const std::string& program, const SandboxLimits* limits = nullptr);
  // Runs all programs on the worker pool; results in input order.
  std::vector<SandboxResult> run_python_batch(const std::vector<std::string>& programs,
                                              const SandboxLimits* limits = nullptr);

  // "namespaces (user, net, mount, pid)" or "rlimits only (no namespaces: <reason>)".
  std::string isolation() const;
  // The cgroup (or /proc) accounting in force and how the limits are charged, for run.json.
  std::string accounting() const;
  const SandboxOptions& options() const { return options_; }

 private:
  struct Impl;
  SandboxOptions options_;
  Impl* impl_;
};

}  // namespace moebench
