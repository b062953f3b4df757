// write_file_atomic through POSIX open/write/fsync/rename, so each failure has its errno.
#include "common/file_write.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>

#include "common/error.h"

namespace moebench {

namespace {

// "<path>.tmp.<pid>.<n>": a name of this process's and this call's own, so two commands (or two
// threads) writing one file never share a temporary file; the last rename wins whole.
std::filesystem::path temp_name(const std::filesystem::path& path) {
  static std::atomic<unsigned long> counter{0};
  std::filesystem::path tmp = path;
  tmp += ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
  return tmp;
}

}  // namespace

void write_file_atomic(const std::filesystem::path& path, const std::string& content) {
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
