// Helpers shared by the sandbox tests: a sandbox with short limits and a check that no process
// the test started is still alive.
#pragma once

#include <dirent.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "harness/scoring/sandbox.h"

namespace moebench::test {

inline SandboxOptions short_limits(int workers = 2) {
  SandboxOptions o;
  o.limits.wall_s = 2.5;
  o.limits.cpu_s = 3;
  o.limits.memory_bytes = 1L << 30;
  o.workers = workers;
  return o;
}

// Number of live processes descending from this test process (itself excluded).
inline int count_descendants() {
  std::map<int, int> parent;
  DIR* d = opendir("/proc");
  while (dirent* e = d ? readdir(d) : nullptr) {
    int pid = atoi(e->d_name);
    if (pid <= 0) continue;
    std::ifstream f("/proc/" + std::string(e->d_name) + "/stat");
    std::string line;
    if (!std::getline(f, line)) continue;
    std::istringstream rest(line.substr(line.rfind(')') + 2));
    std::string state;
    int ppid = 0;
    rest >> state >> ppid;
    parent[pid] = ppid;
  }
  if (d) closedir(d);
  int n = 0, self = getpid();
  for (auto [pid, ppid] : parent) {
    for (int p = ppid, hops = 0; p > 1 && hops < 64; p = parent.count(p) ? parent[p] : 0, ++hops) {
      if (p == self) {
        ++n;
        break;
      }
    }
  }
  return n;
}

inline std::string read_text(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Sets an environment variable for one scope.
struct ScopedEnv {
  std::string name, old;
  bool had;
  ScopedEnv(const std::string& n, const std::string& value) : name(n) {
    const char* v = std::getenv(n.c_str());
    had = v != nullptr;
    if (had) old = v;
    setenv(n.c_str(), value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (had) {
      setenv(name.c_str(), old.c_str(), 1);
    } else {
      unsetenv(name.c_str());
    }
  }
};

}  // namespace moebench::test
