// api_attempt: the request, the response read as it arrives, and the failure taxonomy.
#include "backends/api/api_exchange.h"

#include <httplib.h>

#include <chrono>
#include <cmath>

#include "common/http_stream.h"

namespace moebench {

using Clock = std::chrono::steady_clock;

std::string api_redact(std::string text, const std::string& secret) {
  if (secret.empty()) return text;
  for (size_t at; (at = text.find(secret)) != std::string::npos;) {
    text.replace(at, secret.size(), "[redacted]");
  }
  return text;
}

ApiConnectionPool::ApiConnectionPool(ApiEndpoint endpoint, ModelTransport transport)
    : endpoint_(std::move(endpoint)), transport_(transport) {}

ApiConnectionPool::~ApiConnectionPool() = default;

namespace {

void set_timeout(double seconds, const std::function<void(time_t, time_t)>& set) {
  const double whole = std::floor(seconds);
  set(static_cast<time_t>(whole), static_cast<time_t>((seconds - whole) * 1e6));
}

}  // namespace

std::unique_ptr<httplib::Client> ApiConnectionPool::take() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!idle_.empty()) {
      auto c = std::move(idle_.back());
      idle_.pop_back();
      return c;
    }
  }
  auto c = std::make_unique<httplib::Client>(endpoint_.scheme_host_port);
  c->set_keep_alive(true);
  // Headers and body go out in separate writes: with Nagle's algorithm the body waits for the
  // server's delayed ACK (40 ms on Linux), which capped a loopback run near 1,000 requests/s.
  c->set_tcp_nodelay(true);
  set_timeout(transport_.connect_timeout_s,
              [&](time_t s, time_t us) { c->set_connection_timeout(s, us); });
  set_timeout(transport_.read_timeout_s, [&](time_t s, time_t us) { c->set_read_timeout(s, us); });
  set_timeout(transport_.read_timeout_s, [&](time_t s, time_t us) { c->set_write_timeout(s, us); });
  if (!endpoint_.ca_file.empty()) c->set_ca_cert_path(endpoint_.ca_file.c_str());
  return c;
}

void ApiConnectionPool::give_back(std::unique_ptr<httplib::Client> client) {
  std::lock_guard<std::mutex> lock(mu_);
  idle_.push_back(std::move(client));
}

namespace {

// What the response handler and the content receiver learn while the response arrives.
struct Exchange {
  int status = 0;
  std::string content_type, retry_after;
  bool streaming = false;  // 200 with text/event-stream to a streamed call
  std::string body;        // non-streamed body (or the head of an error body)
  long received = 0;
  bool timed_out = false, oversized = false;
  std::optional<ApiFormatError> format_error;
  double last_byte_s = 0;
};

bool starts_with_ci(const std::string& s, const char* prefix) {
  for (size_t i = 0; prefix[i]; ++i) {
    if (i >= s.size() || std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  }
  return true;
}

AttemptResult failed(std::string type, std::string message, bool connection_ok = false,
                     int status = 0) {
  AttemptResult r;
  r.failure = {std::move(type), std::move(message), status, std::nullopt};
  r.connection_ok = connection_ok;
  return r;
}

}  // namespace

AttemptResult api_attempt(httplib::Client& client, const ApiEndpoint& endpoint, const ApiWire& wire,
                          const ApiCall& call, const ModelTransport& transport,
                          const std::string& secret) {
  httplib::Request req;
  req.method = "POST";
  req.path = endpoint.prefix + call.path;
  req.body = call.body.dump();
  req.set_header("Content-Type", "application/json");
  req.set_header("Accept", call.stream ? "text/event-stream" : "application/json");
  for (const auto& [k, v] : wire.headers(secret)) req.set_header(k, v);

  Exchange x;
  std::unique_ptr<ApiStream> stream;
  SseSplitter sse;
  AttemptResult result;
  const Clock::time_point t0 = Clock::now();
  auto since = [t0] { return std::chrono::duration<double>(Clock::now() - t0).count(); };
  int text_chunks = 0;
  double last_text_s = 0;

  req.response_handler = [&](const httplib::Response& r) {
    x.status = r.status;
    x.content_type = r.get_header_value("Content-Type");
    x.retry_after = r.get_header_value("Retry-After");
    x.streaming =
        call.stream && r.status == 200 && starts_with_ci(x.content_type, "text/event-stream");
    if (x.streaming) stream = wire.stream(call);
    return true;
  };
  req.content_receiver = [&](const char* data, size_t len, uint64_t, uint64_t) {
    const double t = since();
    x.last_byte_s = t;
    if (t > transport.total_timeout_s) {
      x.timed_out = true;
      return false;
    }
    x.received += static_cast<long>(len);
    if (x.received > transport.max_response_bytes) {
      x.oversized = true;
      return false;
    }
    if (!x.streaming) {
      x.body.append(data, len);
      return true;
    }
    try {
      sse.feed(std::string_view(data, len), [&](const std::string& event) {
        if (!stream->on_event(event)) return;
        if (text_chunks++ == 0) {
          result.ttft_s = t;
        } else {
          result.itl_s.push_back(t - last_text_s);
        }
        last_text_s = t;
      });
    } catch (const ApiFormatError& e) {
      x.format_error = e;
      return false;
    }
    return true;
  };

  httplib::Response res;
  httplib::Error err = httplib::Error::Success;
  client.send(req, res, err);
  const double end = since();
  result.total_s = end;

  auto finish = [&](AttemptResult r) {
    r.total_s = end;
    return r;
  };
  if (x.format_error) {
    return finish(failed(x.format_error->type(), api_redact(x.format_error->what(), secret), false,
                         x.format_error->status()));
  }
  if (x.oversized) {
    return finish(failed("oversized", "the response exceeds " +
                                          std::to_string(transport.max_response_bytes >> 20) +
                                          " MiB (transport.max_response_mb)"));
  }
  if (x.timed_out) {
    return finish(failed("timeout", "no complete response within " +
                                        std::to_string(transport.total_timeout_s) +
                                        " s (transport.total_timeout_s)"));
  }
  if (err == httplib::Error::Connection || err == httplib::Error::ConnectionTimeout ||
      err == httplib::Error::SSLConnection || err == httplib::Error::SSLServerVerification ||
      err == httplib::Error::SSLLoadingCerts) {
    return finish(failed("connection", "cannot connect to " + endpoint.scheme_host_port + ": " +
                                           httplib::to_string(err)));
  }
  if (err != httplib::Error::Success) {
    // A read that waited the whole read timeout is a timeout; one that broke off sooner is a
    // connection closed or reset mid-response.
    const double silent = end - (x.status ? x.last_byte_s : 0);
    if (err == httplib::Error::Read && silent >= transport.read_timeout_s * 0.98) {
      return finish(failed("timeout", "no data for " + std::to_string(transport.read_timeout_s) +
                                          " s (transport.read_timeout_s)"));
    }
    return finish(failed("connection", std::string(x.status ? "the connection broke mid-response: "
                                                            : "the request failed: ") +
                                           httplib::to_string(err)));
  }
  if (x.status != 200) {
    AttemptResult r = failed(
        x.status == 429 ? "rate_limit" : "http",
        "HTTP " + std::to_string(x.status) + ": " + api_redact(wire.error_message(x.body), secret),
        true, x.status);
    r.failure.retry_after = api_parse_retry_after(x.retry_after, std::time(nullptr));
    return finish(std::move(r));
  }
  try {
    if (x.streaming) {
      result.reply = stream->finish();
      return result;
    }
    if (!starts_with_ci(x.content_type, "application/json") &&
        x.content_type.find("json") == std::string::npos) {
      return finish(
          failed("protocol",
                 "HTTP 200 with Content-Type '" + x.content_type +
                     "', expected application/json: " + api_redact(x.body.substr(0, 120), secret),
                 true));
    }
    nlohmann::json j = nlohmann::json::parse(x.body, nullptr, false);
    if (j.is_discarded()) {
      return finish(failed("protocol",
                           "malformed JSON in the response (" + std::to_string(x.body.size()) +
                               " bytes): " + api_redact(x.body.substr(0, 120), secret),
                           true));
    }
    result.reply = wire.parse(j, call);
    return result;
  } catch (const ApiFormatError& e) {
    return finish(failed(e.type(), api_redact(e.what(), secret), true, e.status()));
  }
}

}  // namespace moebench
