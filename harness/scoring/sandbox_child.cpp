// Child side of the sandbox: namespace setup (uids, a read-only minimal root, /proc), the init that
// reaps the program, rlimits and execve(python). Async-signal-safe: syscalls only, no allocation,
// because the parent is multithreaded and the child is a copy of it taken at clone() time.
#include "harness/scoring/sandbox_child.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <initializer_list>

namespace moebench {
namespace {

// Fixed fd numbers inside the child (0 is /dev/null); kSandboxDoneFd (6) and kSandboxNonceFd (7)
// follow and are the only ones besides 0-2 the program inherits.
constexpr int kOutFd = 1, kErrFd = 2, kInfoFd = 3, kSyncFd = 4, kProgramFd = 5;
constexpr int kLastFd = kSandboxNonceFd;
constexpr int kNumFds = kLastFd - kOutFd + 1;

// NOTE: mount_setattr flags spelled out so older libc headers still compile.
constexpr unsigned kAttrRdonly = 0x1, kAttrNosuid = 0x2, kAttrNodev = 0x4;
constexpr unsigned kAtRecursive = 0x8000;
struct MountAttr {
  unsigned long long attr_set, attr_clr, propagation, userns_fd;
};

void report(const SandboxChildReport& r) {
  ssize_t n = write(kInfoFd, &r, sizeof r);
  (void)n;
}

// Appends src to the report's step text, truncating at its size.
void append(SandboxChildReport& r, const char* src) {
  size_t used = strlen(r.step), n = strlen(src);
  if (used + n >= sizeof r.step) n = sizeof r.step - 1 - used;
  memcpy(r.step + used, src, n);
  r.step[used + n] = 0;
}

// Reports the failed step (and the path it was working on) with errno, then exits.
[[noreturn]] void fail(const char* step, const char* path = nullptr) {
  SandboxChildReport r;
  r.kind = 'E';
  r.err = errno;
  append(r, step);
  if (path) {
    append(r, " ");
    append(r, path);
  }
  report(r);
  _exit(127);
}

void check(bool ok, const char* step, const char* path = nullptr) {
  if (!ok) fail(step, path);
}

void reset_signals() {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig != SIGKILL && sig != SIGSTOP) sigaction(sig, &sa, nullptr);
  }
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
}

// Moves the parent's fds to kOutFd..kLastFd, stdin to /dev/null, and closes every other fd
// (other worker threads' pipes included, so their readers still see EOF).
bool setup_fds(const SandboxChildArgs& a) {
  const int src[kNumFds] = {a.out_fd,     a.err_fd,  a.info_fd, a.sync_fd,
                            a.program_fd, a.done_fd, a.nonce_fd};
  int high[kNumFds];
  for (int i = 0; i < kNumFds; ++i) {
    high[i] = src[i] < 0 ? -1 : fcntl(src[i], F_DUPFD, 16);
    if (src[i] >= 0 && high[i] < 0) return false;
  }
  for (int i = 0; i < kNumFds; ++i) {
    if (high[i] < 0) {
      close(kOutFd + i);  // may be someone else's fd in the parent
    } else if (dup2(high[i], kOutFd + i) < 0) {
      return false;
    }
  }
  int null_fd = open("/dev/null", O_RDONLY);
  if (null_fd < 0 || dup2(null_fd, 0) < 0) return false;
  if (syscall(SYS_close_range, kLastFd + 1, ~0U, 0) != 0) {
    for (int fd = kLastFd + 1; fd < 4096; ++fd) close(fd);
  }
  for (int fd = kInfoFd; fd <= kProgramFd; ++fd) fcntl(fd, F_SETFD, FD_CLOEXEC);
  return true;
}

// Bind-mounts src on dst read-only, nosuid, nodev, recursively when mount_setattr exists.
void bind_ro(const char* src, const char* dst) {
  check(mount(src, dst, nullptr, MS_BIND | MS_REC, nullptr) == 0, "bind mount", dst);
  MountAttr attr = {kAttrRdonly | kAttrNosuid | kAttrNodev, 0, 0, 0};
  if (syscall(SYS_mount_setattr, AT_FDCWD, dst, kAtRecursive, &attr, sizeof attr) == 0) return;
  check(errno == ENOSYS, "mount_setattr read-only", dst);
  // Older kernels: remount the top mount only, keeping the locked atime flags of the source.
  struct statvfs sv;
  check(statvfs(dst, &sv) == 0, "statvfs", dst);
  unsigned long flags = MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV;
  if (sv.f_flag & ST_NOEXEC) flags |= MS_NOEXEC;
  if (sv.f_flag & ST_NOATIME) flags |= MS_NOATIME;
  if (sv.f_flag & ST_NODIRATIME) flags |= MS_NODIRATIME;
  if (sv.f_flag & ST_RELATIME) flags |= MS_RELATIME;
  check(mount(nullptr, dst, nullptr, flags, nullptr) == 0, "remount read-only", dst);
}

// /bin, /lib... are symlinks into /usr on merged-usr systems; copy the link or bind the dir.
void link_or_bind(const char* host, const char* rel) {
  char target[256];
  ssize_t n = readlink(host, target, sizeof target - 1);
  if (n > 0) {
    target[n] = 0;
    check(symlink(target, rel) == 0, "symlink", rel);
    return;
  }
  struct stat st;
  if (stat(host, &st) != 0 || !S_ISDIR(st.st_mode)) return;
  check(mkdir(rel, 0755) == 0, "mkdir", rel);
  bind_ro(host, rel);
}

void bind_device(const char* host, const char* rel) {
  int fd = open(rel, O_CREAT | O_WRONLY | O_CLOEXEC, 0666);
  check(fd >= 0, "create mount point", rel);
  close(fd);
  check(mount(host, rel, nullptr, MS_BIND, nullptr) == 0, "bind mount", host);
}

void copy_program(const char* rel) {
  int out = open(rel, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0644);
  check(out >= 0, "create /work/program.py");
  char buf[16384];
  for (;;) {
    ssize_t n = read(kProgramFd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    check(n >= 0, "read program");
    if (n == 0) break;
    for (ssize_t off = 0; off < n;) {
      ssize_t w = write(out, buf + off, n - off);
      check(w > 0, "write /work/program.py");
      off += w;
    }
  }
  close(out);
}

// Builds the new root in a tmpfs at root_dir: read-only binds of /usr, /etc and the lib dirs,
// /dev/{null,zero,random,urandom}, a fresh /proc, writable /work and /tmp; then pivots into it.
void build_root(const SandboxChildArgs& a) {
  check(mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0, "make / private");
  check(mount("tmpfs", a.root_dir, "tmpfs", MS_NOSUID | MS_NODEV, a.tmpfs_options) == 0,
        "mount tmpfs on", a.root_dir);
  check(chdir(a.root_dir) == 0, "chdir new root");
  for (const char* d : {"usr", "etc", "proc", "dev", "work", "tmp"}) {
    check(mkdir(d, 0755) == 0, "mkdir", d);
  }
  check(chmod("tmp", 01777) == 0, "chmod /tmp");
  bind_ro("/usr", "usr");
  bind_ro("/etc", "etc");
  link_or_bind("/bin", "bin");
  link_or_bind("/sbin", "sbin");
  link_or_bind("/lib", "lib");
  link_or_bind("/lib32", "lib32");
  link_or_bind("/lib64", "lib64");
  link_or_bind("/libx32", "libx32");
  bind_device("/dev/null", "dev/null");
  bind_device("/dev/zero", "dev/zero");
  bind_device("/dev/random", "dev/random");
  bind_device("/dev/urandom", "dev/urandom");
  check(symlink("/proc/self/fd", "dev/fd") == 0, "symlink /dev/fd");
  check(mount("proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) == 0,
        "mount /proc");
  copy_program("work/program.py");
  check(mount("work", "work", nullptr, MS_BIND, nullptr) == 0, "bind /work");
  check(mount("tmp", "tmp", nullptr, MS_BIND, nullptr) == 0, "bind /tmp");
  check(mount(nullptr, a.root_dir, nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV,
              nullptr) == 0,
        "remount new root read-only");
  check(syscall(SYS_pivot_root, ".", ".") == 0, "pivot_root");
  check(umount2(".", MNT_DETACH) == 0, "detach old root");
  check(chdir("/work") == 0, "chdir /work");
}

void set_limit(int resource, rlim_t soft, rlim_t hard, const char* step) {
  struct rlimit rl = {soft, hard};
  check(setrlimit(resource, &rl) == 0, step);
}

// Last step before the program: rlimits, no capabilities, no privilege gain, the death signal
// (set after any uid change, which clears it), then execve. `init` is the parent it must have.
[[noreturn]] void exec_program(const SandboxChildArgs& a, pid_t init) {
  set_limit(RLIMIT_AS, a.memory_bytes, a.memory_bytes, "setrlimit RLIMIT_AS");
  // SIGXCPU at the soft limit, SIGKILL one second later if the program ignores it.
  set_limit(RLIMIT_CPU, a.cpu_s, a.cpu_s + 1, "setrlimit RLIMIT_CPU");
  set_limit(RLIMIT_FSIZE, a.file_bytes, a.file_bytes, "setrlimit RLIMIT_FSIZE");
  set_limit(RLIMIT_NPROC, a.max_processes, a.max_processes, "setrlimit RLIMIT_NPROC");
  set_limit(RLIMIT_CORE, 0, 0, "setrlimit RLIMIT_CORE");
  if (a.namespaces) {
    // Root inside the user namespace keeps no capabilities across exec once the bounding set is
    // empty (and ambient/inheritable are empty already).
    for (int cap = 0; cap < 64; ++cap) prctl(PR_CAPBSET_DROP, cap, 0, 0, 0);
  }
  check(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0, "PR_SET_NO_NEW_PRIVS");
  check(prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) == 0, "PR_SET_PDEATHSIG");
  if (syscall(SYS_getppid) != init) _exit(126);  // the init died before the signal was set
  execve(a.argv[0], a.argv, a.envp);
  fail("execve", a.argv[0]);
}

pid_t raw_fork() { return static_cast<pid_t>(syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0)); }

// Rlimits-only: the program's pid (its process group's too) for the init's SIGTERM handler; 0
// once it was reaped.
volatile sig_atomic_t g_program = 0;

// Rlimits-only init on SIGTERM (the harness ending the program, or PR_SET_PDEATHSIG when the
// harness died): kills the program's process group; the init then kills what is left.
void on_term(int) {
  const pid_t program = g_program;
  if (program > 0) kill(-program, SIGKILL);
}

// Rlimits-only init, a child subreaper: kills its children (the program's descendants whose
// parents died were re-parented to it, setsid() or not) until it has none. Without
// /proc/thread-self/children only those that already ended are reaped.
void kill_children() {
  for (;;) {
    bool listed = false;
    int fd = open("/proc/thread-self/children", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      char buf[4096];
      const ssize_t n = read(fd, buf, sizeof buf - 1);
      close(fd);
      listed = n >= 0;
      long pid = 0;
      for (ssize_t i = 0; i < std::max<ssize_t>(n, 0); ++i) {
        if (buf[i] >= '0' && buf[i] <= '9') {
          pid = pid * 10 + (buf[i] - '0');
        } else {
          if (pid > 0) kill(static_cast<pid_t>(pid), SIGKILL);
          pid = 0;
        }
      }
      if (pid > 0) kill(static_cast<pid_t>(pid), SIGKILL);
    }
    const pid_t w = wait4(-1, nullptr, listed ? 0 : WNOHANG, nullptr);
    if ((w < 0 && errno != EINTR) || (w == 0 && !listed)) return;
  }
}

// PID 1 of the namespace, or rlimits-only the tree's init: reaps orphans until the program ends,
// reports its status and exits, which makes the kernel kill whatever the program left behind in
// the namespace; rlimits-only, the init kills it first (kill_children).
[[noreturn]] void run_init(pid_t program, bool namespaced) {
  for (;;) {
    int status = 0;
    struct rusage ru;
    pid_t w = wait4(-1, &status, 0, &ru);
    if (w == program) {
      g_program = 0;
      SandboxChildReport r;
      r.kind = 'S';
      r.status = status;
      r.cpu_s = ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
                (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
      report(r);
      if (!namespaced) kill_children();
      _exit(0);
    }
    if (w < 0 && errno != EINTR) fail("wait4 in init");
  }
}

[[noreturn]] void run_namespaced(const SandboxChildArgs& a) {
  char go = 0;
  if (read(kSyncFd, &go, 1) != 1) _exit(126);  // the parent failed to write the id maps
  // NOTE: raw syscalls, not the libc wrappers: glibc's setxid broadcasts the change to every
  // thread it believes exists, and this copy of a multithreaded parent has only one.
  // Become inside-root = outside nobody and shed the supplementary groups inherited from root.
  if (a.drop_groups) check(syscall(SYS_setgroups, 0, nullptr) == 0, "setgroups");
  check(syscall(SYS_setresgid, 0, 0, 0) == 0, "setresgid");
  check(syscall(SYS_setresuid, 0, 0, 0) == 0, "setresuid");
  // NOTE: only now: a change of effective uid (inside root = outside nobody, when moebench is
  // root) clears the death signal (prctl(2)), and the PID namespace dies with this init. In a new
  // PID namespace getppid() is 0 whoever the parent is, so whether moebench died before the
  // signal was set is read from the sync socket instead: EOF once its end is closed.
  check(prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) == 0, "PR_SET_PDEATHSIG");
  if (recv(kSyncFd, &go, 1, MSG_PEEK | MSG_DONTWAIT) == 0) _exit(126);
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);  // the program cannot ptrace its init
  build_root(a);
  if (a.probe_only) _exit(0);
  // A session and process group of its own: kill(0, ...) / killpg(0, ...) from the program then
  // reaches only this sandbox, never the harness or the programs beside it.
  check(setsid() >= 0, "setsid");
  pid_t pid = raw_fork();
  check(pid >= 0, "fork program");
  if (pid == 0) exec_program(a, 1);
  run_init(pid, true);
}

// Rlimits-only program: a process group of its own (the init's SIGTERM kills it), default
// signals, nobody when moebench is root.
[[noreturn]] void start_plain_program(const SandboxChildArgs& a, pid_t init) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = SIG_DFL;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGPIPE, &sa, nullptr);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  check(setpgid(0, 0) == 0, "setpgid");
  if (a.drop_to_nobody) {
    check(syscall(SYS_setgroups, 0, nullptr) == 0, "setgroups");
    check(syscall(SYS_setresgid, kSandboxOutsideId, kSandboxOutsideId, kSandboxOutsideId) == 0,
          "setresgid");
    check(syscall(SYS_setresuid, kSandboxOutsideId, kSandboxOutsideId, kSandboxOutsideId) == 0,
          "setresuid");
  }
  exec_program(a, init);
}

// Rlimits-only: this child is the tree's init. It keeps moebench's uid (a program run as nobody
// cannot signal it), is a child subreaper (the program's orphans, setsid()'d or not, become its
// children), gets SIGTERM when moebench dies, and kills every descendant left before it exits.
[[noreturn]] void run_plain(const SandboxChildArgs& a) {
  check(prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0) == 0, "PR_SET_PDEATHSIG");
  if (syscall(SYS_getppid) != a.parent_pid) _exit(126);  // moebench died before that
  char go = 0;
  if (read(kSyncFd, &go, 1) != 1) _exit(126);  // the parent failed to set up its cgroup
  check(setsid() >= 0, "setsid");
  check(chdir(a.base_dir) == 0, "chdir temp dir");
  if (a.probe_only) _exit(0);
  check(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0, "PR_SET_CHILD_SUBREAPER");
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_term;
  sigaction(SIGTERM, &sa, nullptr);
  sa.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &sa, nullptr);  // moebench may be gone when the init reports
  sigset_t term, old;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  sigprocmask(SIG_BLOCK, &term, &old);  // until g_program is set
  const pid_t init = static_cast<pid_t>(syscall(SYS_getpid));
  const pid_t pid = raw_fork();
  check(pid >= 0, "fork program");
  if (pid == 0) start_plain_program(a, init);
  g_program = pid;
  sigprocmask(SIG_SETMASK, &old, nullptr);
  run_init(pid, false);
}

}  // namespace

int sandbox_child_main(void* arg) {
  const auto& a = *static_cast<const SandboxChildArgs*>(arg);
  reset_signals();
  if (!setup_fds(a)) _exit(125);
  if (a.namespaces) run_namespaced(a);
  run_plain(a);
}

}  // namespace moebench
