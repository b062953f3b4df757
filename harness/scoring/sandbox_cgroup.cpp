// SandboxCgroupRoot / SandboxCgroup: the cgroup v2 directories of the sandbox.
#include "harness/scoring/sandbox_cgroup.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "harness/scoring/sandbox.h"
#include "harness/scoring/sandbox_live.h"

namespace moebench {
namespace {

constexpr const char* kPrefix = "moebench-sandbox-";
constexpr const char* kControllers[] = {"cpu", "memory", "pids"};

std::string errno_text(const std::string& what, int err) {
  char buf[128];
  return what + ": " + strerror_r(err, buf, sizeof buf);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return "";
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Writes `text` with one write(), as the cgroup interface files want; "" or what failed.
std::string write_file(const std::string& path, const std::string& text) {
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno_text("open " + path, errno);
  ssize_t n = write(fd, text.data(), text.size());
  int err = errno;
  close(fd);
  if (n != static_cast<ssize_t>(text.size())) return errno_text("write " + path, err);
  return "";
}

// The value after `key` on the line starting with `line_key` ("some" / "total=", "usage_usec").
long long read_field(const std::string& path, const std::string& line_key, const std::string& key) {
  std::istringstream in(read_file(path));
  for (std::string line; std::getline(in, line);) {
    if (line.compare(0, line_key.size(), line_key) != 0) continue;
    size_t at = line.find(key, line_key.size());
    if (at == std::string::npos) continue;
    return std::strtoll(line.c_str() + at + key.size(), nullptr, 10);
  }
  return -1;
}

// Mount point of the cgroup2 hierarchy (from /proc/self/mountinfo), or "".
std::string cgroup2_mount() {
  std::istringstream in(read_file("/proc/self/mountinfo"));
  for (std::string line; std::getline(in, line);) {
    const size_t dash = line.find(" - ");
    if (dash == std::string::npos || line.compare(dash + 3, 8, "cgroup2 ") != 0) continue;
    std::istringstream fields(line.substr(0, dash));
    std::string f, mount;
    for (int i = 0; i < 5 && fields >> f; ++i) mount = f;  // the 5th field
    return mount;
  }
  return "";
}

// This process's cgroup v2 path ("0::/path" in /proc/self/cgroup), or "".
std::string own_cgroup() {
  std::istringstream in(read_file("/proc/self/cgroup"));
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("0::", 0) == 0) return line.substr(3);
  }
  return "";
}

// Removes a directory tree of cgroups (leaves first); processes left in it are killed first.
void remove_tree(const std::string& dir) {
  if (DIR* d = opendir(dir.c_str())) {
    std::vector<std::string> subdirs;
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] != '.' && e->d_type == DT_DIR) subdirs.push_back(dir + "/" + e->d_name);
    }
    closedir(d);
    for (const auto& s : subdirs) remove_tree(s);
  }
  write_file(dir + "/cgroup.kill", "1");
  // NOTE: a killed process leaves the cgroup once it is reaped; give that a moment.
  for (int i = 0; i < 50 && rmdir(dir.c_str()) != 0 && errno == EBUSY; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

// Directories of harnesses that died without cleaning up (their pid is gone).
void remove_stale(const std::string& base) {
  DIR* d = opendir(base.c_str());
  if (!d) return;
  std::vector<std::string> stale;
  const std::string prefix = kPrefix;
  while (dirent* e = readdir(d)) {
    const std::string name = e->d_name;
    if (name.rfind(prefix, 0) != 0) continue;
    const long pid = std::strtol(name.c_str() + prefix.size(), nullptr, 10);
    if (pid > 0 && kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) {
      stale.push_back(base + "/" + name);
    }
  }
  closedir(d);
  for (const auto& s : stale) remove_tree(s);
}

// Moves a short-lived child into a fresh leaf of `dir` and back out: "" when processes can be
// placed there (the leaves of a cgroup we could create may still refuse them, e.g. without write
// access to the common ancestor), else why not.
std::string probe_move(const std::string& dir) {
  const std::string leaf = dir + "/probe";
  if (mkdir(leaf.c_str(), 0755) != 0) return errno_text("mkdir " + leaf, errno);
  int hold[2];
  if (pipe2(hold, O_CLOEXEC) != 0) {
    rmdir(leaf.c_str());
    return errno_text("pipe", errno);
  }
  const pid_t child = fork();
  if (child == 0) {  // async-signal-safe only: the parent may have other threads
    close(hold[1]);  // else its own copy of the write end would keep the read from seeing EOF
    char c;
    ssize_t n = read(hold[0], &c, 1);
    _exit(n < 0 ? 1 : 0);
  }
  close(hold[0]);
  std::string error = child < 0 ? errno_text("fork", errno)
                                : write_file(leaf + "/cgroup.procs", std::to_string(child));
  close(hold[1]);  // the child reads EOF and exits
  if (child > 0) waitpid(child, nullptr, 0);
  for (int i = 0; i < 50 && rmdir(leaf.c_str()) != 0 && errno == EBUSY; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return error;
}

bool contains_word(const std::string& list, const std::string& word) {
  std::istringstream in(list);
  for (std::string w; in >> w;) {
    if (w == word) return true;
  }
  return false;
}

}  // namespace

SandboxCgroup::~SandboxCgroup() { remove_tree(path_); }

std::string SandboxCgroup::add(pid_t pid) const {
  return write_file(path_ + "/cgroup.procs", std::to_string(pid));
}

SandboxUsage SandboxCgroup::usage() const {
  SandboxUsage u;
  const long long usec = read_field(path_ + "/cpu.stat", "usage_usec", " ");
  if (usec < 0) return u;
  u.valid = true;
  u.cpu_s = static_cast<double>(usec) * 1e-6;
  const long long wait_us = read_field(path_ + "/cpu.pressure", "some", "total=");
  u.cpu_wait_s = wait_us < 0 ? 0 : static_cast<double>(wait_us) * 1e-6;
  return u;
}

bool SandboxCgroup::has_pressure() const {
  return read_field(path_ + "/cpu.pressure", "some", "total=") >= 0;
}

bool SandboxCgroup::oom_killed() const {
  return memory_limited_ && read_field(path_ + "/memory.events", "oom_kill", " ") > 0;
}

bool SandboxCgroup::kill() const { return write_file(path_ + "/cgroup.kill", "1").empty(); }

SandboxCgroupRoot::SandboxCgroupRoot(bool enabled) {
  static std::atomic<long> counter{0};
  if (!enabled) {
    why_not_ = "turned off";
    return;
  }
  const std::string mount = cgroup2_mount();
  if (mount.empty()) {
    why_not_ = "no cgroup2 file system is mounted";
    return;
  }
  const std::string own = own_cgroup();
  if (own.empty()) {
    why_not_ = "this process is in no cgroup v2 (/proc/self/cgroup has no 0:: line)";
    return;
  }
  base_ = own == "/" ? mount : mount + own;
  remove_stale(base_);
  const std::string dir =
      base_ + "/" + kPrefix + std::to_string(getpid()) + "-" + std::to_string(counter.fetch_add(1));
  if (mkdir(dir.c_str(), 0755) != 0) {
    why_not_ = errno_text(
        "cannot create a cgroup under " + base_ + " (not delegated to this user?)", errno);
    return;
  }
  if (std::string e = probe_move(dir); !e.empty()) {
    rmdir(dir.c_str());
    why_not_ = "cannot place processes in a cgroup under " + base_ + ": " + e;
    return;
  }
  path_ = dir;
  live_ = std::make_unique<SandboxLiveCgroupRoot>(path_.c_str());
  // NOTE: the harness's own cgroup is left as the user set it up: moebench uses the controllers
  // it delegates to its children and never moves itself to enable more.
  const std::string available = read_file(dir + "/cgroup.controllers");
  std::vector<std::string> missing;
  for (const char* c : kControllers) {
    if (contains_word(available, c) &&
        write_file(dir + "/cgroup.subtree_control", std::string("+") + c).empty()) {
      controllers_.push_back(c);
    } else {
      missing.push_back(c);
    }
  }
  for (size_t i = 0; i < missing.size(); ++i) missing_ += (i ? ", " : "") + missing[i];
}

SandboxCgroupRoot::~SandboxCgroupRoot() {
  if (!path_.empty()) remove_tree(path_);
}

bool SandboxCgroupRoot::has(const std::string& controller) const {
  return std::find(controllers_.begin(), controllers_.end(), controller) != controllers_.end();
}

std::string SandboxCgroupRoot::describe() const {
  if (!available()) return "no cgroup (" + why_not_ + ")";
  std::string out = "cgroup v2 " + path_ + ": one leaf per program counts its process tree's CPU";
  out += " time and CPU wait";
  if (has("cpu")) out += "; equal CPU weight per program";
  if (has("memory")) out += "; memory.max per program";
  if (has("pids")) out += "; pids.max per program";
  if (!missing_.empty()) {
    out += "; controllers " + missing_ + " not delegated to " + base_ +
           " (its cgroup.subtree_control), so those limits are per process (rlimits)";
  }
  return out;
}

std::unique_ptr<SandboxCgroup> SandboxCgroupRoot::make_leaf(const SandboxLimits& limits,
                                                            std::string* error) {
  const std::string dir = path_ + "/p" + std::to_string(next_leaf_.fetch_add(1));
  if (mkdir(dir.c_str(), 0755) != 0) {
    *error = errno_text("mkdir " + dir, errno);
    return nullptr;
  }
  auto leaf = std::make_unique<SandboxCgroup>(dir, has("memory"));
  std::string e;
  if (has("memory")) {
    e = write_file(dir + "/memory.max", std::to_string(limits.memory_bytes));
    if (e.empty() && access((dir + "/memory.swap.max").c_str(), F_OK) == 0) {
      e = write_file(dir + "/memory.swap.max", "0");
    }
  }
  // NOTE: the init process and the program count too.
  if (e.empty() && has("pids")) {
    e = write_file(dir + "/pids.max", std::to_string(limits.max_processes + 2));
  }
  if (!e.empty()) {
    *error = e;
    return nullptr;
  }
  return leaf;
}

}  // namespace moebench
