// Content hashes: SHA-256 (OpenSSL) as lower-case hex, used for cache keys and run ids.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace moebench {

std::string sha256_hex(std::string_view data);

// SHA-256 fed in pieces (a download as it arrives, a file read in blocks).
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(std::string_view data);
  std::string hex();  // the digest of everything fed; the object is spent

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

// The SHA-256 of a file's bytes; std::runtime_error "<path>: cannot read: <reason>".
std::string sha256_file_hex(const std::filesystem::path& path);

}  // namespace moebench
