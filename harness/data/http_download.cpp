// http_download: a resumable GET through cpp-httplib (OpenSSL for HTTPS) into a partial file.
#include "harness/data/http_download.h"

#include <httplib.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <thread>

#include "common/http_stream.h"

namespace moebench {
namespace fs = std::filesystem;

namespace {

struct Attempt {
  bool done = false;
  bool transient = false;
  double retry_after_s = 0;
  std::string message;
  uint64_t size = 0;
};

void set_timeout(httplib::Client& c, double connect_s, double read_s) {
  auto split = [](double s) {
    const double whole = std::floor(s);
    return std::pair<time_t, time_t>(static_cast<time_t>(whole),
                                     static_cast<time_t>((s - whole) * 1e6));
  };
  auto [cs, cus] = split(connect_s);
  auto [rs, rus] = split(read_s);
  c.set_connection_timeout(cs, cus);
  c.set_read_timeout(rs, rus);
  c.set_write_timeout(rs, rus);
}

// "bytes START-END/TOTAL" starts at `offset`.
bool range_starts_at(const std::string& content_range, uint64_t offset) {
  unsigned long long start = 0;
  return std::sscanf(content_range.c_str(), "bytes %llu-", &start) == 1 && start == offset;
}

// Where one attempt's body goes: appended to `part` for a 206 from `have`, from scratch for a 200.
struct Sink {
  const fs::path& part;
  const DownloadOptions& options;
  uint64_t size = 0;
  std::FILE* out = nullptr;
  std::string write_error;

  bool open(bool append) {
    out = std::fopen(part.c_str(), append ? "ab" : "wb");
    if (!out) write_error = "cannot write " + part.string() + ": " + std::strerror(errno);
    return out != nullptr;
  }
  bool write(const char* data, size_t n) {
    if (std::fwrite(data, 1, n, out) != n) {
      write_error = "cannot write " + part.string() + ": " + std::strerror(errno);
      return false;
    }
    size += n;
    if (options.on_bytes) options.on_bytes(n);
    return true;
  }
  void close() {  // a full disk often shows only when the buffer is flushed
    if (out && std::fclose(out) != 0 && write_error.empty()) {
      write_error = "cannot write " + part.string() + ": " + std::strerror(errno);
    }
    out = nullptr;
  }
};

Attempt attempt_once(const std::string& host, const std::string& path, const fs::path& part,
                     const DownloadOptions& o) {
  std::error_code ec;
  const uint64_t have = fs::exists(part, ec) ? fs::file_size(part, ec) : 0;
  httplib::Client client(host);
  client.set_follow_location(true);
  client.set_decompress(false);  // the bytes as served: sizes and ranges are of those
  set_timeout(client, o.connect_timeout_s, o.read_timeout_s);
  if (!o.ca_file.empty()) client.set_ca_cert_path(o.ca_file.c_str());
  httplib::Headers headers;
  if (have > 0) headers.emplace("Range", "bytes=" + std::to_string(have) + "-");
  Sink sink{part, o, 0, nullptr, ""};
  int status = 0;
  std::string reason, retry_after;
  bool bad_range = false;
  auto res = client.Get(
      path, headers,
      [&](const httplib::Response& r) {
        status = r.status;
        reason = r.reason;
        retry_after = r.get_header_value("Retry-After");
        if (status == 206 && !range_starts_at(r.get_header_value("Content-Range"), have)) {
          bad_range = true;
          return false;
        }
        if (status != 200 && status != 206) return false;
        sink.size = status == 206 ? have : 0;
        return sink.open(status == 206);
      },
      [&](const char* data, size_t n) { return sink.write(data, n); });
  sink.close();
  Attempt a;
  a.size = sink.size;
  if (!sink.write_error.empty()) {
    a.message = sink.write_error;
    return a;
  }
  if (bad_range) {
    fs::remove(part, ec);  // the server answered another range: start over
    a.transient = true;
    a.message = "the server answered a range other than the one asked for";
    return a;
  }
  if (status == 416 && have > 0) {  // nothing left to send: the part holds the whole file
    a.done = true;
    a.size = have;
    return a;
  }
  if ((status == 200 || status == 206) && res) {
    a.done = true;
    return a;
  }
  if (status == 0 || status == 200 || status == 206) {
    a.transient = true;
    a.message = status == 0 ? "connection failed (" + httplib::to_string(res.error()) + ")"
                            : "connection cut after " + std::to_string(sink.size) + " bytes (" +
                                  httplib::to_string(res.error()) + ")";
    return a;
  }
  a.message = "HTTP " + std::to_string(status) + (reason.empty() ? "" : " " + reason);
  a.transient = status == 408 || status == 429 || status >= 500;
  a.retry_after_s = std::atof(retry_after.c_str());
  return a;
}

double backoff_s(const DownloadOptions& o, int attempt, double retry_after_s) {
  static thread_local std::mt19937 rng{std::random_device{}()};
  const double base = std::min(8.0, o.backoff_s * std::pow(2.0, attempt));
  const double jittered = base * std::uniform_real_distribution<double>(0.5, 1.0)(rng);
  return std::max(jittered, std::min(retry_after_s, 30.0));
}

}  // namespace

uint64_t http_download(const std::string& url, const fs::path& part, const DownloadOptions& o) {
  std::string host, path;
  http_split_url(url, "url", &host, &path);
  for (int attempt = 0;; ++attempt) {
    const Attempt a = attempt_once(host, path, part, o);
    if (a.done) return a.size;
    if (!a.transient || attempt >= o.retries) {
      const std::string tries =
          attempt > 0 ? " (after " + std::to_string(attempt + 1) + " attempts)" : "";
      throw DownloadError(url + ": " + a.message + tries);
    }
    std::this_thread::sleep_for(
        std::chrono::duration<double>(backoff_s(o, attempt, a.retry_after_s)));
  }
}

std::string http_mirror_url(const std::string& url, const std::string& mirror) {
  const size_t scheme_end = url.find("://");
  const std::string rest = scheme_end == std::string::npos ? url : url.substr(scheme_end + 3);
  std::string base = mirror;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + "/" + rest;
}

}  // namespace moebench
