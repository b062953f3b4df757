// `moebench serve` in this test process (so its accepted sockets are in /proc/self/fd) on a free
// port, over a checkpoint directory, with the given options.
#pragma once

#include <atomic>
#include <future>
#include <memory>
#include <thread>

#include "backends/builtin/serve/server.h"
#include "tests/runner/cli_harness.h"

namespace moebench::testing {

class InProcessServe {
 public:
  explicit InProcessServe(const fs::path& model_dir, ServeOptions options = {}) {
    BuiltinLoadOptions load;
    load.threads = 1;
    model_ = BuiltinModel::load(model_dir, load);
    options.port = 0;
    std::promise<int> bound;
    std::future<int> port = bound.get_future();
    thread_ = std::thread([this, options, b = std::move(bound)]() mutable {
      try {
        serve_model(
            *model_, options, [&](int p) { b.set_value(p); }, [this] { return stop_.load(); });
      } catch (...) {
        b.set_exception(std::current_exception());
      }
    });
    port_ = port.get();
  }
  ~InProcessServe() {
    stop_ = true;
    thread_.join();
  }
  int port() const { return port_; }

 private:
  std::unique_ptr<BuiltinModel> model_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  int port_ = 0;
};

}  // namespace moebench::testing
