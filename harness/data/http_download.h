// One file over HTTP(S) into a partial file, resumed with a Range request from the bytes it
// already holds, retried with exponential backoff on what can pass (a cut connection, a timeout,
// 429, 5xx), never on what cannot (404 and other 4xx, a full disk).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <stdexcept>
#include <string>

namespace moebench {

struct DownloadOptions {
  int retries = 4;         // attempts after the first
  double backoff_s = 0.5;  // before retry k: backoff_s * 2^k (jittered), at most 8 s
  double connect_timeout_s = 10;
  double read_timeout_s = 30;
  std::string ca_file;                     // PEM bundle for HTTPS ("" = the system's)
  std::function<void(uint64_t)> on_bytes;  // bytes arrived (a progress bar)
};

// Why a download failed, in one line naming the URL: "HTTP 404 Not Found", "connection cut after
// 3 attempts (Read error)", "cannot write X: No space left on device".
class DownloadError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Fetches `url` into `part` (appending to what it holds when the server honours Range; starting
// over when it does not). Returns the number of bytes of the whole file in `part`.
uint64_t http_download(const std::string& url, const std::filesystem::path& part,
                       const DownloadOptions& options);

// The URL a mirror serves `url` at: "<mirror>/<host>/<path>" for "https://<host>/<path>".
std::string http_mirror_url(const std::string& url, const std::string& mirror);

}  // namespace moebench
