// Sandbox, parent side: per-program temp dir, clone() into user/net/mount/pid/ipc/uts namespaces,
// uid/gid maps, capped output capture, wall and CPU timeouts, and the verdict. Child side:
// sandbox_child.cpp. Hand-written on purpose: the isolation is the product.
#include "harness/scoring/sandbox.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <thread>

#include "common/error.h"
#include "harness/scoring/sandbox_child.h"

namespace moebench {

const char* sandbox_verdict_name(SandboxVerdict v) {
  switch (v) {
    case SandboxVerdict::kPassed:
      return "passed";
    case SandboxVerdict::kFailed:
      return "failed";
    case SandboxVerdict::kTimeout:
      return "timeout";
    case SandboxVerdict::kKilled:
      return "killed";
    case SandboxVerdict::kError:
      return "error";
  }
  return "error";
}

namespace {

constexpr int kNamespaceFlags =
    CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS;
constexpr size_t kChildStackBytes = 256 << 10;
constexpr size_t kTailBytes = 4096;  // end of stderr kept for the failure reason
constexpr size_t kReasonMax = 200;
constexpr double kDrainGraceS = 1.0;  // after exit or kill, wait this long for pipes to close

using Clock = std::chrono::steady_clock;

std::string errno_text(const std::string& what, int err) {
  char buf[128];
  return what + ": " + strerror_r(err, buf, sizeof buf);
}

struct Fd {
  int fd = -1;
  Fd() = default;
  explicit Fd(int f) : fd(f) {}
  Fd(Fd&& o) noexcept : fd(o.fd) { o.fd = -1; }
  Fd& operator=(Fd&& o) noexcept {
    reset();
    fd = o.fd;
    o.fd = -1;
    return *this;
  }
  ~Fd() { reset(); }
  void reset() {
    if (fd >= 0) close(fd);
    fd = -1;
  }
};

// A fresh private directory under $TMPDIR (or /tmp), removed with everything in it.
struct TempDir {
  std::string path;
  ~TempDir() {
    std::error_code ec;
    if (!path.empty()) std::filesystem::remove_all(path, ec);
  }
};

// Keeps the first `cap` bytes of a stream and its last kTailBytes; drops the rest.
struct StreamCapture {
  Fd fd;
  std::string head, tail;
  long total = 0;
  void add(const char* p, size_t n, long cap) {
    total += static_cast<long>(n);
    if (static_cast<long>(head.size()) < cap) {
      head.append(p, std::min<size_t>(n, static_cast<size_t>(cap) - head.size()));
    }
    tail.append(p, n);
    if (tail.size() > 2 * kTailBytes) tail.erase(0, tail.size() - kTailBytes);
  }
};

// Everything one run owns; members are destroyed (fds closed, dir removed) on every path.
struct Run {
  Run(const SandboxLimits& l, bool ns, bool p) : lim(l), namespaces(ns), probe(p) {}
  const SandboxLimits& lim;
  bool namespaces;
  bool probe;
  TempDir dir;
  StreamCapture out, err;
  Fd info, sync, pidfd;
  pid_t pid = -1;
  Clock::time_point start;
  bool exited = false, timed_out = false;
  int wait_status = 0;
  struct rusage usage {};
  std::vector<SandboxChildReport> reports;
};

std::string make_tempdir(TempDir& dir) {
  std::string base = std::filesystem::temp_directory_path().string() + "/moebench-sandbox-XXXXXX";
  if (!mkdtemp(base.data())) return errno_text("mkdtemp " + base, errno);
  dir.path = base;
  return "";
}

std::string write_file(const std::string& path, const std::string& text) {
  Fd f(open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644));
  if (f.fd < 0) return errno_text("create " + path, errno);
  for (size_t off = 0; off < text.size();) {
    ssize_t n = write(f.fd, text.data() + off, text.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return errno_text("write " + path, errno);
    off += static_cast<size_t>(n);
  }
  return "";
}

// Prepares the temp dir: program.py, plus the mount point of the new root (namespaces) or
// ownership by nobody (rlimits-only as root, where the dir is the program's cwd).
std::string prepare_dir(Run& run, const std::string& program, Fd& program_fd) {
  if (auto e = make_tempdir(run.dir); !e.empty()) return e;
  const std::string file = run.dir.path + "/program.py";
  if (auto e = write_file(file, program); !e.empty()) return e;
  program_fd = Fd(open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (program_fd.fd < 0) return errno_text("open " + file, errno);
  if (run.namespaces) {
    if (mkdir((run.dir.path + "/root").c_str(), 0755) != 0) return errno_text("mkdir root", errno);
    if (chmod(run.dir.path.c_str(), 0711) != 0) return errno_text("chmod temp dir", errno);
  } else if (geteuid() == 0) {
    if (chown(run.dir.path.c_str(), kSandboxOutsideId, kSandboxOutsideId) != 0) {
      return errno_text("chown temp dir", errno);
    }
  }
  return "";
}

std::string write_proc(pid_t pid, const char* name, const std::string& text) {
  std::string path = "/proc/" + std::to_string(pid) + "/" + name;
  Fd f(open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (f.fd < 0) return errno_text("open " + path, errno);
  if (write(f.fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    return errno_text("write " + path, errno);
  }
  return "";
}

// Maps inside root to outside nobody (root parent) or to the parent's own ids (non-root).
std::string write_id_maps(pid_t pid) {
  const bool root = geteuid() == 0;
  const std::string uid = std::to_string(root ? kSandboxOutsideId : static_cast<int>(getuid()));
  const std::string gid = std::to_string(root ? kSandboxOutsideId : static_cast<int>(getgid()));
  if (!root) {
    if (auto e = write_proc(pid, "setgroups", "deny"); !e.empty()) return e;
  }
  if (auto e = write_proc(pid, "uid_map", "0 " + uid + " 1\n"); !e.empty()) return e;
  return write_proc(pid, "gid_map", "0 " + gid + " 1\n");
}

// Strings the child reads: argv and the scrubbed environment.
struct ChildStrings {
  std::vector<std::string> argv_s, env_s;
  std::vector<char*> argv, env;
  ChildStrings(const std::string& python, const std::string& home) {
    argv_s = {python, "program.py"};
    env_s = {"PATH=/usr/bin:/bin", "HOME=" + home, "LANG=C.UTF-8", "PYTHONDONTWRITEBYTECODE=1"};
    for (auto& s : argv_s) argv.push_back(s.data());
    argv.push_back(nullptr);
    for (auto& s : env_s) env.push_back(s.data());
    env.push_back(nullptr);
  }
};

// The child's ends of its channels; the parent closes them once the child holds copies.
struct ChildEnds {
  Fd out, err, info, sync, program;
};

std::string open_pipe(Fd& read_end, Fd& write_end) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) return errno_text("pipe", errno);
  read_end = Fd(p[0]);
  write_end = Fd(p[1]);
  return "";
}

// stdout, stderr and info pipes; a socketpair for the go signal (send() takes MSG_NOSIGNAL, so a
// child that died early cannot SIGPIPE the harness).
std::string open_channels(Run& run, ChildEnds& ends) {
  for (auto [parent, child] : {std::pair{&run.out.fd, &ends.out}, std::pair{&run.err.fd, &ends.err},
                               std::pair{&run.info, &ends.info}}) {
    if (auto e = open_pipe(*parent, *child); !e.empty()) return e;
  }
  int s[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, s) != 0) {
    return errno_text("socketpair", errno);
  }
  run.sync = Fd(s[0]);
  ends.sync = Fd(s[1]);
  return "";
}

void fill_child_args(SandboxChildArgs& a, const Run& run, const ChildEnds& ends) {
  a.namespaces = run.namespaces;
  a.probe_only = run.probe;
  a.drop_to_nobody = !run.namespaces && geteuid() == 0;
  a.drop_groups = geteuid() == 0;
  a.sync_fd = ends.sync.fd;
  a.info_fd = ends.info.fd;
  a.out_fd = ends.out.fd;
  a.err_fd = ends.err.fd;
  a.program_fd = ends.program.fd;
  a.base_dir = run.dir.path.c_str();
  // NOTE: /work and /tmp share this tmpfs, so it also caps what a program can write in total.
  const long tmpfs_bytes = std::max(16L << 20, 4 * run.lim.file_bytes);
  snprintf(a.tmpfs_options, sizeof a.tmpfs_options, "size=%ld,mode=0755", tmpfs_bytes);
  a.cpu_s = std::max(1L, static_cast<long>(run.lim.cpu_s + 0.999));
  a.memory_bytes = run.lim.memory_bytes;
  a.file_bytes = run.lim.file_bytes;
  a.max_processes = run.lim.max_processes;
}

// Clones the child with its channels, writes its id maps and lets it go; returns "" or what
// failed.
std::string spawn(Run& run, const SandboxOptions& opt, const std::string& program) {
  ChildEnds ends;
  if (auto e = prepare_dir(run, program, ends.program); !e.empty()) return e;
  if (auto e = open_channels(run, ends); !e.empty()) return e;
  ChildStrings strings(opt.python, run.namespaces ? "/work" : run.dir.path);
  const std::string root_dir = run.dir.path + "/root";
  SandboxChildArgs a;
  fill_child_args(a, run, ends);
  a.root_dir = root_dir.c_str();
  a.argv = strings.argv.data();
  a.envp = strings.env.data();

  std::vector<char> stack(kChildStackBytes);
  int flags = SIGCHLD | CLONE_PIDFD | (run.namespaces ? kNamespaceFlags : 0);
  int pidfd = -1;
  run.start = Clock::now();
  run.pid = clone(sandbox_child_main, stack.data() + stack.size(), flags, &a, &pidfd);
  if (run.pid < 0) return errno_text("clone", errno);
  run.pidfd = Fd(pidfd);
  if (run.namespaces) {
    if (auto e = write_id_maps(run.pid); !e.empty()) {
      kill(run.pid, SIGKILL);
      return e;
    }
  }
  // rlimits-only children never read it (and may have exec'd already), so only check here.
  if (send(run.sync.fd, "g", 1, MSG_NOSIGNAL) != 1 && run.namespaces) {
    return errno_text("signal child", errno);
  }
  for (int fd : {run.out.fd.fd, run.err.fd.fd, run.info.fd}) fcntl(fd, F_SETFL, O_NONBLOCK);
  return "";
}

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// Kills everything the program started: the namespace's init (the kernel then kills the rest of
// the PID namespace) or, rlimits-only, the process group.
void kill_all(const Run& run) {
  if (!run.namespaces) kill(-run.pid, SIGKILL);
  kill(run.pid, SIGKILL);
}

void drain(StreamCapture& s, long cap, std::vector<char>& buf) {
  for (;;) {
    ssize_t n = read(s.fd.fd, buf.data(), buf.size());
    if (n > 0) {
      s.add(buf.data(), static_cast<size_t>(n), cap);
      continue;
    }
    if (n < 0 && (errno == EINTR)) continue;
    if (n == 0 || errno != EAGAIN) s.fd.reset();
    return;
  }
}

// Reads both streams until they close and the child exits; enforces the wall limit.
void collect(Run& run) {
  std::vector<char> buf(1 << 16);
  double stop_at = run.lim.wall_s;  // seconds since start; now+grace after exit or kill
  while (run.out.fd.fd >= 0 || run.err.fd.fd >= 0 || !run.exited) {
    double now = seconds_since(run.start);
    if (now >= stop_at) {
      if (run.exited || run.timed_out) break;  // a pipe outlived the program: give up on it
      if (wait4(run.pid, &run.wait_status, WNOHANG, &run.usage) == run.pid) {
        run.exited = true;  // it ended just in time: not a timeout
        stop_at = now + kDrainGraceS;
        continue;
      }
      run.timed_out = true;
      kill_all(run);
      stop_at = now + kDrainGraceS;
    }
    pollfd fds[3];
    int n = 0;
    for (int fd : {run.out.fd.fd, run.err.fd.fd}) {
      if (fd >= 0) fds[n++] = {fd, POLLIN, 0};
    }
    if (!run.exited) fds[n++] = {run.pidfd.fd, POLLIN, 0};
    int wait_ms = static_cast<int>((stop_at - now) * 1000) + 1;
    if (poll(fds, n, wait_ms) < 0 && errno != EINTR) break;
    if (run.out.fd.fd >= 0) drain(run.out, run.lim.output_bytes, buf);
    if (run.err.fd.fd >= 0) drain(run.err, run.lim.output_bytes, buf);
    if (!run.exited && wait4(run.pid, &run.wait_status, WNOHANG, &run.usage) == run.pid) {
      run.exited = true;
      if (!run.namespaces) kill(-run.pid, SIGKILL);  // background leftovers of the group
      stop_at = seconds_since(run.start) + kDrainGraceS;
    }
  }
  if (!run.exited) {
    kill_all(run);
    wait4(run.pid, &run.wait_status, 0, &run.usage);
    run.exited = true;
  }
  SandboxChildReport r;
  while (read(run.info.fd, &r, sizeof r) == static_cast<ssize_t>(sizeof r))
    run.reports.push_back(r);
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

void classify_signal(SandboxResult& r, const SandboxLimits& lim, double cpu_s) {
  const int sig = r.signal;
  if (sig == SIGXCPU || (sig == SIGKILL && cpu_s >= lim.cpu_s)) {
    r.verdict = SandboxVerdict::kTimeout;
    r.reason = "CPU time limit " + fmt_seconds(lim.cpu_s) + " exceeded";
  } else if (sig == SIGXFSZ) {
    r.verdict = SandboxVerdict::kKilled;
    r.reason = "file size limit (RLIMIT_FSIZE " + std::to_string(lim.file_bytes) + " bytes)";
  } else {
    r.verdict = SandboxVerdict::kKilled;
    r.reason = "killed by " + signal_text(sig);
    if (sig == SIGKILL || sig == SIGSEGV || sig == SIGBUS || sig == SIGABRT) {
      r.reason += " (likely memory limit, RLIMIT_AS " + std::to_string(lim.memory_bytes) + ")";
    }
  }
}

SandboxResult classify(Run& run) {
  SandboxResult r;
  r.wall_s = seconds_since(run.start);
  r.stdout_text = std::move(run.out.head);
  r.stderr_text = std::move(run.err.head);
  int status = run.wait_status;
  double cpu_s = run.usage.ru_utime.tv_sec + run.usage.ru_stime.tv_sec +
                 (run.usage.ru_utime.tv_usec + run.usage.ru_stime.tv_usec) * 1e-6;
  bool have_status = !run.namespaces || run.probe;
  for (const auto& rep : run.reports) {
    if (rep.kind == 'E') {
      r.verdict = SandboxVerdict::kError;
      r.reason = errno_text("sandbox setup failed at " + std::string(rep.step), rep.err);
      return r;
    }
    if (rep.kind == 'S') status = rep.status, cpu_s = rep.cpu_s, have_status = true;
  }
  if (run.timed_out) {
    r.verdict = SandboxVerdict::kTimeout;
    r.reason = "wall time limit " + fmt_seconds(run.lim.wall_s) + " exceeded";
  } else if (!have_status) {
    r.verdict = SandboxVerdict::kError;
    r.reason = "sandbox init ended without reporting the program's status";
  } else if (WIFEXITED(status)) {
    r.exit_code = WEXITSTATUS(status);
    if (r.exit_code == 0) {
      r.verdict = SandboxVerdict::kPassed;
    } else {
      classify_exit(r, run.lim, run.err.tail);
    }
  } else if (WIFSIGNALED(status)) {
    r.signal = WTERMSIG(status);
    classify_signal(r, run.lim, cpu_s);
  }
  for (auto [name, s] : {std::pair{"stdout", &run.out}, std::pair{"stderr", &run.err}}) {
    if (s->total > run.lim.output_bytes) {
      r.reason += std::string(r.reason.empty() ? "" : "; ") + name + " truncated at " +
                  std::to_string(run.lim.output_bytes) + " of " + std::to_string(s->total) +
                  " bytes";
    }
  }
  return r;
}

SandboxResult run_program(const SandboxOptions& opt, bool namespaces, bool probe,
                          const std::string& program, const SandboxLimits& lim) {
  Run run(lim, namespaces, probe);
  if (auto e = spawn(run, opt, program); !e.empty()) {
    if (run.pid > 0) wait4(run.pid, nullptr, 0, nullptr);
    SandboxResult r;
    r.reason = "sandbox: " + e;
    return r;
  }
  collect(run);
  return classify(run);
}

}  // namespace

struct Sandbox::Impl {
  bool namespaces = false;
  std::string no_namespace_reason;
  int workers = 1;
  std::mutex mu;
  std::condition_variable cv;
  int running = 0;
};

Sandbox::Sandbox(SandboxOptions options) : options_(std::move(options)), impl_(new Impl) {
  std::unique_ptr<Impl> guard(impl_);
  if (access(options_.python.c_str(), X_OK) != 0) {
    throw InputError(errno_text("sandbox: python interpreter " + options_.python, errno));
  }
  std::error_code ec;
  auto real = std::filesystem::canonical(options_.python, ec).string();
  if (real.rfind("/usr/", 0) != 0) {
    throw InputError("sandbox: python interpreter " + options_.python + " resolves to '" + real +
                     "', outside /usr; the sandbox root only has /usr and /etc");
  }
  SandboxResult probe;
  if (options_.force_rlimits_only) {
    probe.reason = "disabled by force_rlimits_only";
  } else {
    probe = run_program(options_, true, true, "", options_.limits);
  }
  impl_->namespaces = probe.verdict == SandboxVerdict::kPassed;
  if (!impl_->namespaces) {
    impl_->no_namespace_reason = probe.reason;
    if (!options_.allow_rlimits_only) {
      throw InputError("sandbox: Linux namespaces are unavailable here (" + probe.reason +
                       "); refusing to run generated code without isolation. Pass "
                       "--sandbox-rlimits-only to run it under rlimits only (NOT a security "
                       "boundary)");
    }
  }
  int cores = static_cast<int>(std::thread::hardware_concurrency());
  impl_->workers = options_.workers > 0 ? options_.workers : std::max(1, cores);
  guard.release();
}

Sandbox::~Sandbox() { delete impl_; }

std::string Sandbox::isolation() const {
  if (impl_->namespaces) return "namespaces (user, net, mount, pid, ipc, uts)";
  return "rlimits only (no namespaces: " + impl_->no_namespace_reason + ")";
}

SandboxResult Sandbox::run_python(const std::string& program, const SandboxLimits* limits) {
  {
    std::unique_lock<std::mutex> lock(impl_->mu);
    impl_->cv.wait(lock, [&] { return impl_->running < impl_->workers; });
    ++impl_->running;
  }
  struct Release {
    Impl* impl;
    ~Release() {
      std::lock_guard<std::mutex> lock(impl->mu);
      --impl->running;
      impl->cv.notify_one();
    }
  } release{impl_};
  return run_program(options_, impl_->namespaces, false, program,
                     limits ? *limits : options_.limits);
}

std::vector<SandboxResult> Sandbox::run_python_batch(const std::vector<std::string>& programs,
                                                     const SandboxLimits* limits) {
  std::vector<SandboxResult> results(programs.size());
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i; (i = next.fetch_add(1)) < programs.size();) {
      results[i] = run_python(programs[i], limits);
    }
  };
  size_t n_threads = std::min<size_t>(static_cast<size_t>(impl_->workers), programs.size());
  std::vector<std::thread> threads;
  for (size_t t = 1; t < n_threads; ++t) threads.emplace_back(worker);
  worker();
  for (auto& t : threads) t.join();
  return results;
}

}  // namespace moebench
