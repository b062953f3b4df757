// `moebench serve` processes shared by a test binary (the serve and loadgen tests): a tiny
// qwen3_moe checkpoint made with `model init` (get(); overlapped() serves the same weights with
// --overlap), and a tiny deepseek_v3 one with R1's chat template, which opens the thinking (r1());
// each served on a free port, started on first use, stopped with SIGINT at exit.
#pragma once

#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "tests/catch.h"
#include "tests/runner/cli_harness.h"

namespace moebench::testing {

class ServeProcess {
 public:
  static ServeProcess& get() {
    static ServeProcess s("tiny-qwen3", "--family qwen3_moe");
    return s;
  }
  static ServeProcess& r1() {
    static ServeProcess s("tiny-r1", "--family deepseek_v3 --chat-format deepseek_r1");
    return s;
  }
  static ServeProcess& overlapped() {
    static ServeProcess s("tiny-qwen3-overlap", "--family qwen3_moe", "--overlap");
    return s;
  }
  int port() const { return port_; }
  const fs::path& dir() const { return dir_; }
  const fs::path& model_dir() const { return model_; }
  ~ServeProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGINT);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
  }

 private:
  ServeProcess(const std::string& name, const std::string& init_flags,
               const char* serve_flag = nullptr) {
    dir_ = temp_dir("serve-" + name);
    model_ = dir_ / name;
    CommandResult init = run_command(moebench_bin() + " model init " + init_flags +
                                         " --preset tiny -o '" + model_.string() + "'",
                                     dir_);
    if (init.exit_code != 0) throw std::runtime_error("model init failed: " + init.output);
    int fds[2];
    if (::pipe(fds) != 0) throw std::runtime_error("pipe");
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(fds[1], 1);
      ::close(fds[0]);
      std::string bin = moebench_bin();
      ::execl(bin.c_str(), bin.c_str(), "serve", model_.c_str(), "--port", "0", "--threads", "1",
              serve_flag, static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(fds[1]);
    FILE* out = ::fdopen(fds[0], "r");
    char line[512];
    if (!std::fgets(line, sizeof line, out)) throw std::runtime_error("serve printed nothing");
    const std::string s(line);
    port_ = std::stoi(s.substr(s.rfind(':') + 1));
  }

  fs::path dir_, model_;
  pid_t pid_ = -1;
  int port_ = 0;
};

// A client of a test server (reads wait up to 120 s: a loaded machine is slow, not wrong).
inline httplib::Client serve_client(ServeProcess& server = ServeProcess::get()) {
  httplib::Client c("127.0.0.1", server.port());
  c.set_read_timeout(120, 0);
  return c;
}

// POSTs `body` to a test server and returns its JSON answer (the HTTP status in *status).
inline nlohmann::json serve_post(const std::string& path, const nlohmann::json& body,
                                 int* status = nullptr,
                                 ServeProcess& server = ServeProcess::get()) {
  auto res = serve_client(server).Post(path.c_str(), body.dump(), "application/json");
  REQUIRE(res);
  if (status) *status = res->status;
  return nlohmann::json::parse(res->body);
}

}  // namespace moebench::testing
