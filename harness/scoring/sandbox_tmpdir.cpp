// The programs' temp root: $TMPDIR made absolute, and the check that a program's temp dir can be
// made there, written, and entered by the uid the programs run as. Hand-written on purpose: the
// isolation is the product.
#include "harness/scoring/sandbox_tmpdir.h"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <vector>

#include "harness/scoring/sandbox_child.h"

namespace moebench {
namespace {

std::string errno_text(const std::string& what, int err) {
  char buf[128];
  return what + ": " + strerror_r(err, buf, sizeof buf);
}

// The probe's temp dir, removed with everything in it.
struct ProbeDir {
  std::string path;
  ~ProbeDir() {
    std::error_code ec;
    if (!path.empty()) std::filesystem::remove_all(path, ec);
  }
};

constexpr int kProbeFailed = 255;  // the probe could not become nobody
constexpr int kMaxIndex = 250;     // exit statuses left for the index of the dir that blocks

// The index of the first of `dirs` that kSandboxOutsideId (nobody, no groups) cannot search,
// dirs.size() when it can search them all, or -1 when the check could not run. A forked child
// drops to nobody and asks the kernel (access(X_OK) with its real ids), so ACLs and the like
// count as they will for the programs.
long first_blocked_for_nobody(const std::vector<std::string>& dirs) {
  std::vector<const char*> paths;
  for (const auto& d : dirs) paths.push_back(d.c_str());
  const size_t n = std::min<size_t>(paths.size(), kMaxIndex);
  const pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {  // NOTE: raw syscalls only: the parent may be multithreaded
    const long id = kSandboxOutsideId;
    if (syscall(SYS_setgroups, 0, nullptr) != 0 || syscall(SYS_setresgid, id, id, id) != 0 ||
        syscall(SYS_setresuid, id, id, id) != 0) {
      _exit(kProbeFailed);
    }
    for (size_t i = 0; i < n; ++i) {
      if (access(paths[i], X_OK) != 0) _exit(static_cast<int>(i));
    }
    _exit(kMaxIndex);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) == kProbeFailed) return -1;
  const long i = WEXITSTATUS(status);
  return i == kMaxIndex ? static_cast<long>(dirs.size()) : std::min<long>(i, dirs.size() - 1);
}

// "mode 0700, owner root" for a message.
std::string describe_dir(const std::string& dir) {
  struct stat st;
  if (stat(dir.c_str(), &st) != 0) return errno_text("stat", errno);
  char mode[16];
  snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
  std::string owner = std::to_string(st.st_uid);
  struct passwd pw, *found = nullptr;
  char buf[1024];
  if (getpwuid_r(st.st_uid, &pw, buf, sizeof buf, &found) == 0 && found) owner = pw.pw_name;
  return std::string("mode ") + mode + ", owner " + owner;
}

// Every directory a lookup of `path` passes through, in the order it does: for each prefix of
// the path as written, the real directory (and the real directories above it) it resolves to,
// so a symlink counts both for the directory it sits in and for where it leads.
std::vector<std::string> dirs_on_the_way(const std::string& path) {
  std::vector<std::string> dirs;
  auto add = [&](const std::filesystem::path& dir) {
    std::filesystem::path prefix;
    for (const auto& part : dir) {
      if (part.empty()) continue;
      prefix /= part;
      if (std::find(dirs.begin(), dirs.end(), prefix.string()) == dirs.end()) {
        dirs.push_back(prefix.string());
      }
    }
  };
  std::filesystem::path written;
  for (const auto& part : std::filesystem::path(path)) {
    if (part.empty()) continue;
    written /= part;
    std::error_code ec;
    const auto real = std::filesystem::canonical(written, ec);
    add(ec ? written : real);
  }
  return dirs;
}

// As root, the programs run as nobody (rlimits-only directly, under namespaces through the uid
// map), which must be able to enter every directory down to the temp root: "" or the line saying
// which one it cannot (with where the root leads when that is not the path as written).
std::string check_reachable(const std::string& root, const std::string& named) {
  if (geteuid() != 0) return "";  // the programs run as moebench's own uid
  const std::vector<std::string> dirs = dirs_on_the_way(root);
  const long i = first_blocked_for_nobody(dirs);
  if (i < 0 || i >= static_cast<long>(dirs.size())) return "";
  std::error_code ec;
  const std::string real = std::filesystem::canonical(root, ec).string();
  std::string written = std::filesystem::path(root).lexically_normal().string();
  if (written.size() > 1 && written.back() == '/') written.pop_back();
  const std::string leads = ec || real == written ? "" : " (-> " + real + ")";
  return named + leads + ": " + dirs[i] + " is " + describe_dir(dirs[i]) +
         ", and the programs run as nobody, which cannot enter it; use a TMPDIR every user can "
         "traverse, such as /tmp";
}

}  // namespace

std::string sandbox_temp_dir(std::string* named) {
  for (const char* var : {"TMPDIR", "TMP", "TEMP", "TEMPDIR"}) {  // as temp_directory_path()
    const char* value = getenv(var);
    if (value && *value) {
      *named = std::string(var) + " " + value;
      std::error_code ec;
      const auto absolute = std::filesystem::absolute(value, ec);
      return ec ? value : absolute.string();
    }
  }
  *named = "/tmp (TMPDIR is unset)";
  return "/tmp";
}

std::string sandbox_check_temp_dir() {
  std::string named;
  const std::string root = sandbox_temp_dir(&named);
  const std::string advice =
      " (the programs' temp dirs go there; point TMPDIR at a writable directory)";
  ProbeDir dir{root + "/moebench-sandbox-XXXXXX"};
  if (!mkdtemp(dir.path.data())) {
    const int err = errno;
    dir.path.clear();
    return errno_text(named, err) + advice;
  }
  // A full disk may still let the directory be made: write (and sync) a small file too.
  const int fd = open((dir.path + "/probe").c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
  const std::string block(4096, '#');
  const bool written = fd >= 0 && write(fd, block.data(), block.size()) == 4096 && fsync(fd) == 0;
  const int err = errno;
  if (fd >= 0) close(fd);
  if (!written) return errno_text(named, err) + advice;
  return check_reachable(root, named);
}

}  // namespace moebench
