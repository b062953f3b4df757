// Helpers for the checkpoint tests: a fresh temp dir per test, file writers, and a tiny
// hand-made config per family.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "backends/builtin/checkpoint/safetensors.h"
#include "common/error.h"

namespace ckpt_test {

// A fresh directory under $TMPDIR, removed with its contents when the test ends.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "moebench_ckpt_XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

inline void write_file(const std::filesystem::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary);
  out << bytes;
}

inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A raw safetensors file from a header text (length prefix added, no padding) and data bytes.
inline std::string raw_safetensors(const std::string& header, const std::string& data) {
  std::string out(8, '\0');
  uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>(n >> (8 * i));
  return out + header + data;
}

// The message of the InputError `f` throws ("" when it throws nothing; other exceptions fail).
template <class F>
std::string input_error_of(F&& f) {
  try {
    f();
  } catch (const moebench::InputError& e) {
    return e.what();
  }
  return "";
}

}  // namespace ckpt_test
