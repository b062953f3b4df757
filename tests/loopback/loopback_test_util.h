// What the loopback server tests share: a started in-process server, JSON POSTs with a plain
// httplib client, reading an SSE body into its data payloads, and the piece logprob formula.
#pragma once

#include <httplib.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/http_stream.h"
#include "tests/loopback/server/loopback_server.h"

namespace moebench::loopback::testing {

using json = nlohmann::json;

// A server started on a free port with few threads (tests open few connections).
inline std::unique_ptr<Server> start_server(ServerOptions o = {}) {
  o.threads = 8;
  auto s = std::make_unique<Server>(std::move(o));
  s->start();
  return s;
}

inline httplib::Headers anthropic_headers() { return {{"anthropic-version", "2023-06-01"}}; }

inline httplib::Result post(Server& s, const std::string& path, const json& body,
                            httplib::Headers headers = {}) {
  httplib::Client c("127.0.0.1", s.port());
  c.set_read_timeout(30, 0);
  return c.Post(path.c_str(), headers, body.dump(), "application/json");
}

// The `data:` payloads of an SSE body.
inline std::vector<std::string> sse_payloads(const std::string& body) {
  std::vector<std::string> out;
  SseSplitter splitter;
  splitter.feed(body, [&](const std::string& d) { out.push_back(d); });
  return out;
}

// The `event:` names of an SSE body, in order.
inline std::vector<std::string> sse_event_names(const std::string& body) {
  std::vector<std::string> out;
  size_t at = 0;
  while ((at = body.find("event: ", at)) != std::string::npos) {
    size_t nl = body.find('\n', at);
    out.push_back(body.substr(at + 7, nl - at - 7));
    at = nl;
  }
  return out;
}

inline double expected_logprob(const std::string& piece) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : piece) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return -(0.05 + static_cast<double>(h % 1000) / 500.0);
}

}  // namespace moebench::loopback::testing
