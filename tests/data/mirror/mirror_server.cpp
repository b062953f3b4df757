// MirrorServer: httplib routes over a path -> bytes map built from the dataset table.
#include "tests/data/mirror/mirror_server.h"

#include <archive.h>
#include <archive_entry.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "common/http_server.h"

namespace moebench::testing {
namespace fs = std::filesystem;

namespace {

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error("mirror: cannot read " + p.string());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string without_scheme(const std::string& url) {
  const size_t at = url.find("://");
  return at == std::string::npos ? url : url.substr(at + 3);
}

struct Fault {
  std::string path_part, kind;
  int left = 0;
};

}  // namespace

struct MirrorServer::Impl {
  std::unique_ptr<httplib::Server> server;
  std::thread thread;
  int port = 0;
  bool tls = false;
  std::atomic<bool> stopping{false};           // releases stalled transfers
  std::map<std::string, std::string> content;  // path -> bytes
  mutable std::mutex mu;
  std::vector<Fault> faults;
  std::vector<MirrorRequest> log;

  std::string take_fault(const std::string& path) {
    std::lock_guard<std::mutex> lock(mu);
    for (Fault& f : faults) {
      if (f.left > 0 && path.find(f.path_part) != std::string::npos) {
        --f.left;
        return f.kind;
      }
    }
    return "";
  }

  void serve(const httplib::Request& req, httplib::Response& res) {
    const std::string path = req.path.substr(1);
    const std::string fault = take_fault(path);
    auto it = content.find(path);
    if (fault == "404" || it == content.end()) {
      res.status = 404;
      res.set_content("not found\n", "text/plain");
    } else if (fault == "503") {
      res.status = 503;
      res.set_header("Retry-After", "0");
      res.set_content("busy\n", "text/plain");
    } else if (fault == "corrupt") {
      std::string bytes = it->second;
      bytes[bytes.size() / 2] ^= 0x20;
      res.set_content(bytes, "application/octet-stream");
    } else if (fault == "cut") {
      const std::string* bytes = &it->second;
      res.set_content_provider(bytes->size(), "application/octet-stream",
                               [bytes](size_t offset, size_t length, httplib::DataSink& sink) {
                                 // Half of what was asked, then the connection closes.
                                 sink.write(bytes->data() + offset, length / 2);
                                 return false;
                               });
    } else if (fault == "stall") {
      // The first 16 kB, then nothing until the client goes away or the server stops: a download
      // that is surely under way, whatever the machine's speed.
      const std::string* bytes = &it->second;
      res.set_content_provider(
          bytes->size(), "application/octet-stream",
          [this, bytes](size_t offset, size_t length, httplib::DataSink& sink) {
            if (!sink.write(bytes->data() + offset, std::min<size_t>(length, 16 << 10))) {
              return false;
            }
            while (!stopping && sink.is_writable()) {
              std::this_thread::sleep_for(std::chrono::milliseconds(20));
            }
            return false;
          });
    } else {
      res.set_content(it->second, "application/octet-stream");
    }
    std::lock_guard<std::mutex> lock(mu);
    log.push_back(
        {path, req.get_header_value("Range"), res.status == -1 ? 200 : res.status, fault});
  }
};

void mirror_write_zip(const fs::path& zip,
                      const std::vector<std::pair<std::string, fs::path>>& members) {
  archive* a = archive_write_new();
  archive_write_set_format_zip(a);
  if (archive_write_open_filename(a, zip.c_str()) != ARCHIVE_OK) {
    throw std::runtime_error("mirror: cannot write " + zip.string());
  }
  for (const auto& [name, file] : members) {
    const std::string bytes = read_all(file);
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, name.c_str());
    archive_entry_set_size(e, static_cast<la_int64_t>(bytes.size()));
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_write_header(a, e);
    archive_write_data(a, bytes.data(), bytes.size());
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
}

MirrorServer::MirrorServer(const DatasetTable& table, const fs::path& datasets,
                           const fs::path& work, const std::string& cert, const std::string& key)
    : impl_(std::make_unique<Impl>()) {
  fs::create_directories(work);
  for (const auto& [name, d] : table.datasets) {
    for (const DataDownload& dl : d.downloads) {
      const std::string path = without_scheme(dl.url);
      if (dl.archive.empty()) {
        impl_->content[path] = read_all(datasets / name / dl.files.front().path);
        continue;
      }
      std::vector<std::pair<std::string, fs::path>> members;
      for (const DataFile& m : dl.files) members.emplace_back(m.member, datasets / name / m.path);
      const fs::path zip = work / (name + ".zip");
      mirror_write_zip(zip, members);
      impl_->content[path] = read_all(zip);
    }
  }
  impl_->tls = !cert.empty();
  if (impl_->tls) {
    impl_->server = std::make_unique<httplib::SSLServer>(cert.c_str(), key.c_str());
  } else {
    impl_->server = std::make_unique<httplib::Server>();
  }
  impl_->server->new_task_queue = [] { return new httplib::ThreadPool(16); };
  Impl* impl = impl_.get();
  impl_->server->Get(
      ".*", [impl](const httplib::Request& req, httplib::Response& res) { impl->serve(req, res); });
  impl_->port = http_server_bind(*impl_->server, "127.0.0.1", 0, "mirror");
  impl_->thread = std::thread([impl] { impl->server->listen_after_bind(); });
  for (int i = 0; i < 5000 && !impl_->server->is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

MirrorServer::~MirrorServer() {
  impl_->stopping = true;
  impl_->server->stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

std::string MirrorServer::base_url() const {
  return std::string(impl_->tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(impl_->port);
}

void MirrorServer::fault(const std::string& path_part, const std::string& kind, int times) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->faults.push_back({path_part, kind, times});
}

std::vector<MirrorRequest> MirrorServer::requests() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->log;
}

size_t MirrorServer::files() const { return impl_->content.size(); }

}  // namespace moebench::testing
