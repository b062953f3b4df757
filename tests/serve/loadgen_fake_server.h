// The in-process OpenAI chat server the loadgen tests send to (tests/serve/test_loadgen*.cpp).
#pragma once

#include <httplib.h>

#include <chrono>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "harness/loadgen/loadgen_run.h"
#include "tests/socket_probe.h"

namespace moebench::testing {

// A loadgen prompt of `text` asking for up to `max_tokens`.
inline LoadgenPrompt prompt(const std::string& text, int max_tokens) {
  LoadgenPrompt p;
  p.text = text;
  p.max_tokens = max_tokens;
  return p;
}

// An in-process OpenAI chat server for the client's side of loadgen: the model id picks the
// answer (a two-chunk stream with usage, HTTP 500, a stream without text, without [DONE] or without
// usage), the prompt "hold" holds its answer. The client's socket lives in this process, so the
// handler finds it and reads its TCP_NODELAY. on_request, set before the first request, runs as
// each request arrives, before it is answered.
class FakeServer {
 public:
  FakeServer() {
    svr_.Post("/v1/chat/completions", [this](const httplib::Request& req, httplib::Response& res) {
      const nlohmann::json body = nlohmann::json::parse(req.body);
      const std::string model = body["model"];
      const std::string content = body["messages"].back()["content"];
      int nth = 0;
      {
        std::lock_guard<std::mutex> lock(mu_);
        nth = ++requests_;
        last_body_ = body;
        contents_.push_back(content);
        authorization_ = req.get_header_value("Authorization");
        client_nodelay_ = probe_nodelay(probe_find_socket(req.remote_port, port_));
      }
      if (on_request) on_request(nth);
      // NOTE: the prompt "hold" is answered late, so requests queued behind it in the client wait
      // for it; tests check orderings, never these 300 ms.
      if (content == "hold") std::this_thread::sleep_for(std::chrono::milliseconds(300));
      if (model == "http_500") {
        res.status = 500;
        res.set_content(R"({"error":{"message":"boom"}})", "application/json");
        return;
      }
      auto event = [](const std::string& delta) {
        return "data: {\"choices\":[{\"index\":0,\"delta\":" + delta + "}]}\n\n";
      };
      std::string sse = event(R"({"role":"assistant","content":""})");
      if (model == "no_usage") {
        // A server that ignores stream_options: 4 chunks of 4 words each, no usage chunk.
        for (int c = 0; c < 4; ++c) sse += event(R"({"content":"one two three four "})");
      } else {
        if (model != "no_text") sse += event(R"({"content":"Hel"})") + event(R"({"content":"lo"})");
        sse += "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":3}}\n\n";
      }
      if (model != "no_done") sse += "data: [DONE]\n\n";
      res.set_content(sse, "text/event-stream");
    });
    port_ = svr_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { svr_.listen_after_bind(); });
    while (!svr_.is_running()) std::this_thread::yield();
  }
  ~FakeServer() {
    svr_.stop();
    thread_.join();
  }
  LoadgenOptions options(const std::string& model) const {
    LoadgenOptions o;
    o.target.base_url = "http://127.0.0.1:" + std::to_string(port_) + "/v1";
    o.target.model = model;
    o.target.timeout_s = 60;
    return o;
  }
  int client_nodelay() {
    std::lock_guard<std::mutex> lock(mu_);
    return client_nodelay_;
  }
  nlohmann::json last_body() {
    std::lock_guard<std::mutex> lock(mu_);
    return last_body_;
  }
  std::string last_authorization() {
    std::lock_guard<std::mutex> lock(mu_);
    return authorization_;
  }
  // The user message of every request, in the order they arrived.
  std::vector<std::string> contents() {
    std::lock_guard<std::mutex> lock(mu_);
    return contents_;
  }
  int requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }
  std::function<void(int nth)> on_request;  // nth: 1 for the first request

 private:
  httplib::Server svr_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mu_;
  nlohmann::json last_body_;
  std::string authorization_;
  std::vector<std::string> contents_;
  int client_nodelay_ = -1;
  int requests_ = 0;
};

}  // namespace moebench::testing
