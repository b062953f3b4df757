// sandbox_proc_usage: a process tree's CPU time and CPU wait read from /proc (no cgroup).
#include "harness/scoring/sandbox_usage.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace moebench {
namespace {

constexpr size_t kMaxProcesses = 4096;  // a tree larger than this is not walked further

// The whole of a small /proc file, or "" when it is gone.
std::string read_small(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  char buf[4096];
  std::string out;
  for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
  close(fd);
  return out;
}

// Children of every thread of `pid` (/proc/PID/task/TID/children).
void append_children(pid_t pid, std::vector<pid_t>* out) {
  const std::string task = "/proc/" + std::to_string(pid) + "/task";
  DIR* d = opendir(task.c_str());
  if (!d) return;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    const std::string list = read_small(task + "/" + e->d_name + "/children");
    for (const char* p = list.c_str(); *p;) {
      char* end = nullptr;
      long child = std::strtol(p, &end, 10);
      if (end == p) break;
      if (child > 0) out->push_back(static_cast<pid_t>(child));
      p = end;
    }
  }
  closedir(d);
}

// utime + stime + cutime + cstime of one process, in clock ticks; -1 when it is gone.
long long stat_ticks(pid_t pid) {
  const std::string stat = read_small("/proc/" + std::to_string(pid) + "/stat");
  const size_t close_paren = stat.rfind(')');
  if (close_paren == std::string::npos || close_paren + 2 >= stat.size()) return -1;
  // Fields after the command, from field 3: state ppid ... utime(14) stime(15) cutime(16)
  // cstime(17); the command itself may hold spaces and parentheses, hence the last ')'.
  std::vector<std::string> fields;
  for (size_t p = close_paren + 2; p < stat.size() && fields.size() < 15;) {
    size_t q = stat.find(' ', p);
    if (q == std::string::npos) q = stat.size();
    fields.push_back(stat.substr(p, q - p));
    p = q + 1;
  }
  if (fields.size() < 15) return -1;
  long long sum = 0;
  for (size_t f = 11; f < 15; ++f) sum += std::strtoll(fields[f].c_str(), nullptr, 10);
  return sum;
}

// Nanoseconds spent runnable on a run queue (second field of /proc/PID/schedstat).
double wait_seconds(pid_t pid) {
  const std::string s = read_small("/proc/" + std::to_string(pid) + "/schedstat");
  unsigned long long run_ns = 0, wait_ns = 0;
  if (std::sscanf(s.c_str(), "%llu %llu", &run_ns, &wait_ns) != 2) return 0;
  return static_cast<double>(wait_ns) * 1e-9;
}

}  // namespace

SandboxUsage sandbox_proc_usage(pid_t root) {
  static const double tick_s = 1.0 / static_cast<double>(sysconf(_SC_CLK_TCK));
  SandboxUsage u;
  std::vector<pid_t> todo = {root};
  long long ticks = 0;
  for (size_t i = 0; i < todo.size() && i < kMaxProcesses; ++i) {
    const long long t = stat_ticks(todo[i]);
    if (t < 0) continue;
    u.valid = true;
    ticks += t;
    u.cpu_wait_s = std::max(u.cpu_wait_s, wait_seconds(todo[i]));
    append_children(todo[i], &todo);
  }
  u.cpu_s = static_cast<double>(ticks) * tick_s;
  return u;
}

}  // namespace moebench
