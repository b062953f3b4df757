// write_file_atomic through POSIX open/write/fsync/rename, so each failure has its errno.
#include "common/file_write.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <limits>
#include <string>

#include "common/error.h"

namespace moebench {

namespace {

// This host's name, as the temporary files carry it: a pid means something only on the host
// (and in the pid namespace) that made it, and a results directory may be shared between nodes.
const std::string& host_name() {
  static const std::string name = [] {
    char buf[256] = {};
    if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return std::string("localhost");
    std::string h(buf);
    for (char& c : h) {
      if (c == '/') c = '_';
    }
    return h;
  }();
  return name;
}

// "<file>.tmp.<host>." : the start of every temporary file name of `path` made on this host.
std::string temp_prefix(const std::filesystem::path& path) {
  return path.filename().string() + ".tmp." + host_name() + ".";
}

// "<path>.tmp.<host>.<pid>.<n>": a name of this process's and this call's own, so two commands
// (or two threads, or two nodes) writing one file never share a temporary file; the last rename
// wins whole.
std::filesystem::path temp_name(const std::filesystem::path& path) {
  static std::atomic<unsigned long> counter{0};
  std::filesystem::path tmp = path;
  tmp.replace_filename(temp_prefix(path) + std::to_string(::getpid()) + "." +
                       std::to_string(counter++));
  return tmp;
}

// The writer's pid in `name` when it is "<prefix><pid>.<n>" (temp_name's), else 0.
pid_t writer_of(const std::string& name, const std::string& prefix) {
  if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) return 0;
  const char* first = name.data() + prefix.size();
  const char* last = name.data() + name.size();
  long pid = 0;
  unsigned long n = 0;
  auto [dot, err] = std::from_chars(first, last, pid);
  if (err != std::errc() || dot == first || *first == '-' || dot == last || *dot != '.') return 0;
  auto [end, err_n] = std::from_chars(dot + 1, last, n);
  if (err_n != std::errc() || end == dot + 1 || end != last) return 0;
  return pid > 0 && pid <= std::numeric_limits<pid_t>::max() ? static_cast<pid_t>(pid) : 0;
}

// Removes the temporary files of `path` whose writer is gone (killed between its open and its
// rename, which no handler can clean up after): those made on this host by a pid the kernel no
// longer knows. A live writer's, this process's, another host's and any other name stay; a
// directory that cannot be read is left.
void remove_dead_writers_files(const std::filesystem::path& path) {
  const std::string prefix = temp_prefix(path);
  const std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : ".";
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const pid_t pid = writer_of(it->path().filename().string(), prefix);
    if (pid > 0 && pid != ::getpid() && ::kill(pid, 0) != 0 && errno == ESRCH) {
      ::unlink(it->path().c_str());
    }
  }
}

}  // namespace

void write_file_atomic(const std::filesystem::path& path, const std::string& content) {
  remove_dead_writers_files(path);
  const std::filesystem::path tmp = temp_name(path);
  // Whatever fails (a full disk, a size limit, a read-only file system), the temporary file goes
  // and the error names the file and the OS's error.
  auto failed = [&](int err) {
    ::unlink(tmp.c_str());
    return EnvironmentError(path.string() + ": cannot write: " + std::strerror(err));
  };
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) throw failed(errno);
  size_t off = 0;
  while (off < content.size()) {
    const ssize_t n = ::write(fd, content.data() + off, content.size() - off);
    if (n < 0 && errno == EINTR) continue;  // Ctrl-C's handler does not restart calls
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      throw failed(err);
    }
    off += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    const int err = errno;
    ::close(fd);
    throw failed(err);
  }
  if (::close(fd) != 0) throw failed(errno);
  if (::rename(tmp.c_str(), path.c_str()) != 0) throw failed(errno);
}

}  // namespace moebench
