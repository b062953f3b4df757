// What the fuzz targets share: a scratch file per process for the parsers that take a path, and
// the input as a string.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

namespace moebench::fuzz {

// A directory of this process under $TMPDIR, removed at exit.
inline const std::filesystem::path& fuzz_scratch_dir() {
  static const std::filesystem::path dir = [] {
    std::filesystem::path d =
        std::filesystem::temp_directory_path() / ("moebench-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(fuzz_scratch_dir(), ec);
    });
    return d;
  }();
  return dir;
}

// Writes the input to fuzz_scratch_dir()/name (the same path every call, so messages that quote
// it stay stable) and returns the path.
// NOTE: written over, then cut to size: ext4 flushes a file truncated to zero and rewritten on
// close (auto_da_alloc), which made an execution take 3 ms of disk wait instead of 0.1 ms.
inline std::filesystem::path fuzz_write_file(const uint8_t* data, size_t size,
                                             const std::string& name) {
  std::filesystem::path p = fuzz_scratch_dir() / name;
  const int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) std::abort();
  for (size_t at = 0; at < size;) {
    const ssize_t n = ::pwrite(fd, data + at, size - at, static_cast<off_t>(at));
    if (n <= 0) std::abort();
    at += static_cast<size_t>(n);
  }
  if (::ftruncate(fd, static_cast<off_t>(size)) != 0) std::abort();
  ::close(fd);
  return p;
}

inline std::string_view fuzz_text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace moebench::fuzz
