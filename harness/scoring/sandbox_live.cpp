// SandboxLiveRun and sandbox_cleanup_at_exit: what an exit on SIGINT/SIGTERM removes, since no
// destructor runs then. Async-signal-safe: no allocation, no locks, no stdio.
#include "harness/scoring/sandbox_live.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "harness/scoring/sandbox.h"

namespace moebench {
namespace {

constexpr int kRunSlots = 512, kRootSlots = 16;
constexpr size_t kPathMax = 1024;
constexpr int kRemoveDepth = 32;  // deeper trees a program made (rlimits-only) are left
constexpr idtype_t kPidfd = static_cast<idtype_t>(3);  // P_PIDFD (Linux 5.4), for older headers

struct RunSlot {
  std::atomic<bool> taken{false}, has_dir{false}, has_cgroup{false}, namespaced{true};
  std::atomic<int> pidfd{-1};
  char dir[kPathMax];
  char cgroup[kPathMax];
};

struct RootSlot {
  std::atomic<bool> taken{false}, has_path{false};
  char path[kPathMax];
};

RunSlot g_runs[kRunSlots];
RootSlot g_roots[kRootSlots];
std::atomic<bool> g_cleaning{false};

template <typename Slot>
int claim(Slot* slots, int n) {
  for (int i = 0; i < n; ++i) {
    bool expected = false;
    if (slots[i].taken.compare_exchange_strong(expected, true)) return i;
  }
  return -1;
}

bool copy_path(char* dst, const char* src) {
  const size_t n = strlen(src);
  if (n + 16 >= kPathMax) return false;
  memcpy(dst, src, n + 1);
  return true;
}

void pause_ms(long ms) {
  struct timespec ts = {0, ms * 1000000L};
  nanosleep(&ts, nullptr);
}

// Removes `name` under `parent_fd` and everything in it (syscalls only).
bool remove_at(int parent_fd, const char* name, int depth) {
  if (unlinkat(parent_fd, name, 0) == 0 || errno == ENOENT) return true;
  if (errno != EISDIR && errno != EPERM) return false;
  int fd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd >= 0 && depth < kRemoveDepth) {
    alignas(8) char buf[2048];
    for (long n; (n = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0;) {
      for (long off = 0; off < n;) {
        unsigned short reclen;
        memcpy(&reclen, buf + off + 16, sizeof reclen);
        const char* entry = buf + off + 19;  // struct linux_dirent64: ino, off, reclen, type, name
        if (strcmp(entry, ".") != 0 && strcmp(entry, "..") != 0) remove_at(fd, entry, depth + 1);
        off += reclen;
      }
    }
  }
  if (fd >= 0) close(fd);
  return unlinkat(parent_fd, name, AT_REMOVEDIR) == 0 || errno == ENOENT;
}

// A program killed a moment ago may still be creating files: try a few times.
void remove_dir(const char* path) {
  for (int i = 0; i < 50 && !remove_at(AT_FDCWD, path, 0); ++i) pause_ms(10);
}

// Kills what is left in a cgroup and removes it (it stays busy until its processes are reaped).
void remove_cgroup(const char* path) {
  char kill_file[kPathMax + 16];
  const size_t n = strlen(path);
  memcpy(kill_file, path, n);
  memcpy(kill_file + n, "/cgroup.kill", sizeof "/cgroup.kill");
  int fd = open(kill_file, O_WRONLY | O_CLOEXEC);
  if (fd >= 0) {
    ssize_t ignored = write(fd, "1", 1);
    (void)ignored;
    close(fd);
  }
  for (int i = 0; i < 100 && rmdir(path) != 0 && errno == EBUSY; ++i) pause_ms(10);
}

}  // namespace

SandboxLiveRun::SandboxLiveRun() : slot_(claim(g_runs, kRunSlots)) {}

SandboxLiveRun::~SandboxLiveRun() {
  if (slot_ < 0) return;
  RunSlot& s = g_runs[slot_];
  s.has_dir = false;
  s.has_cgroup = false;
  s.pidfd = -1;
  s.taken = false;
}

void SandboxLiveRun::set_dir(const char* path) {
  if (slot_ >= 0 && copy_path(g_runs[slot_].dir, path)) g_runs[slot_].has_dir = true;
}

void SandboxLiveRun::set_pidfd(int pidfd, bool namespaced) {
  if (slot_ < 0) return;
  g_runs[slot_].namespaced = namespaced;
  g_runs[slot_].pidfd = pidfd;
}

void SandboxLiveRun::set_cgroup(const char* path) {
  if (slot_ >= 0 && copy_path(g_runs[slot_].cgroup, path)) g_runs[slot_].has_cgroup = true;
}

SandboxLiveCgroupRoot::SandboxLiveCgroupRoot(const char* path) : slot_(claim(g_roots, kRootSlots)) {
  if (slot_ >= 0 && copy_path(g_roots[slot_].path, path)) g_roots[slot_].has_path = true;
}

SandboxLiveCgroupRoot::~SandboxLiveCgroupRoot() {
  if (slot_ < 0) return;
  g_roots[slot_].has_path = false;
  g_roots[slot_].taken = false;
}

void sandbox_cleanup_at_exit() {
  if (g_cleaning.exchange(true)) return;
  for (RunSlot& s : g_runs) {
    const int pidfd = s.taken ? s.pidfd.load() : -1;
    if (pidfd >= 0) syscall(SYS_pidfd_send_signal, pidfd, s.namespaced ? SIGKILL : SIGTERM, 0, 0);
  }
  // Reaped, a killed child leaves its cgroup leaf (and the rlimits-only init has killed its tree).
  for (RunSlot& s : g_runs) {
    const int pidfd = s.taken ? s.pidfd.load() : -1;
    if (pidfd < 0) continue;
    pollfd p = {pidfd, POLLIN, 0};
    poll(&p, 1, 2000);
    siginfo_t info;
    waitid(kPidfd, static_cast<id_t>(pidfd), &info, WEXITED | WNOHANG);
  }
  for (RunSlot& s : g_runs) {
    if (s.taken && s.has_dir) remove_dir(s.dir);
  }
  for (RunSlot& s : g_runs) {
    if (s.taken && s.has_cgroup) remove_cgroup(s.cgroup);
  }
  for (RootSlot& s : g_roots) {
    if (s.taken && s.has_path) remove_cgroup(s.path);
  }
}

}  // namespace moebench
