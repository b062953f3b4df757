// The programs' temp root: $TMPDIR made absolute, and the check that a program's temp dir can be
// made there and written. Hand-written on purpose: the isolation is the product.
#include "harness/scoring/sandbox_tmpdir.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

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
  return "";
}

}  // namespace moebench
