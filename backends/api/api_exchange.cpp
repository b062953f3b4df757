// api_attempt: the request, the response read as it arrives, and the failure taxonomy.
#include "backends/api/api_exchange.h"

#include <httplib.h>

#include <chrono>
#include <cmath>

#include "common/clock.h"
#include "common/http_stream.h"

namespace moebench {

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

AttemptResult failed(ErrorType type, std::string message, bool connection_ok = false,
                     int status = 0) {
  AttemptResult r;
  r.failure = {type, std::move(message), status, std::nullopt};
  r.connection_ok = connection_ok;
  return r;
}

httplib::Request attempt_request(const ApiEndpoint& endpoint, const ApiWire& wire,
                                 const ApiCall& call, const std::string& secret) {
  httplib::Request req;
  req.method = "POST";
  req.path = endpoint.prefix + call.path;
  req.body = call.body.dump();
  req.set_header("Content-Type", "application/json");
  req.set_header("Accept", call.stream ? "text/event-stream" : "application/json");
  for (const auto& [k, v] : wire.headers(secret)) req.set_header(k, v);
  return req;
}

// Receives one response as it arrives: the status and headers, then the body (buffered) or the
// event stream (parsed event by event, timing the chunks that carry text into `result`).
class AttemptReceiver {
 public:
  AttemptReceiver(const ApiWire& wire, const ApiCall& call, const ModelTransport& transport,
                  AttemptResult* result)
      : wire_(wire), call_(call), transport_(transport), result_(result), t0_(Clock::now()) {}

  double since() const { return seconds_since(t0_); }
  Exchange& exchange() { return x_; }
  ApiStream* stream() { return stream_.get(); }

  bool on_response(const httplib::Response& r) {
    x_.status = r.status;
    x_.content_type = r.get_header_value("Content-Type");
    x_.retry_after = r.get_header_value("Retry-After");
    x_.streaming =
        call_.stream && r.status == 200 && starts_with_ci(x_.content_type, "text/event-stream");
    if (x_.streaming) stream_ = wire_.stream(call_);
    return true;
  }

  bool on_content(const char* data, size_t len) {
    const double t = since();
    x_.last_byte_s = t;
    if (t > transport_.total_timeout_s) {
      x_.timed_out = true;
      return false;
    }
    x_.received += static_cast<long>(len);
    if (x_.received > transport_.max_response_bytes) {
      x_.oversized = true;
      return false;
    }
    if (!x_.streaming) {
      x_.body.append(data, len);
      return true;
    }
    try {
      sse_.feed(std::string_view(data, len), [&](const std::string& event) {
        if (stream_->on_event(event)) on_text_chunk(t);
      });
    } catch (const ApiFormatError& e) {
      x_.format_error = e;
      return false;
    }
    return true;
  }

 private:
  void on_text_chunk(double t) {
    if (text_chunks_++ == 0) {
      result_->ttft_s = t;
    } else {
      result_->itl_s.push_back(t - last_text_s_);
    }
    last_text_s_ = t;
  }

  const ApiWire& wire_;
  const ApiCall& call_;
  const ModelTransport& transport_;
  AttemptResult* result_;
  const Clock::time_point t0_;
  Exchange x_;
  std::unique_ptr<ApiStream> stream_;
  SseSplitter sse_;
  int text_chunks_ = 0;
  double last_text_s_ = 0;
};

// The failure of an exchange that did not end in a whole 200 response (format error, size or time
// limit, connection, HTTP status), or nothing.
std::optional<AttemptResult> exchange_failure(const Exchange& x, httplib::Error err, double end,
                                              const ApiEndpoint& endpoint, const ApiWire& wire,
                                              const ModelTransport& transport,
                                              const std::string& secret) {
  if (x.format_error) {
    return failed(x.format_error->type(), api_redact(x.format_error->what(), secret), false,
                  x.format_error->status());
  }
  if (x.oversized) {
    return failed(ErrorType::oversized, "the response exceeds " +
                                            std::to_string(transport.max_response_bytes >> 20) +
                                            " MiB (transport.max_response_mb)");
  }
  if (x.timed_out) {
    return failed(ErrorType::timeout, "no complete response within " +
                                          std::to_string(transport.total_timeout_s) +
                                          " s (transport.total_timeout_s)");
  }
  if (err == httplib::Error::Connection || err == httplib::Error::ConnectionTimeout ||
      err == httplib::Error::SSLConnection || err == httplib::Error::SSLServerVerification ||
      err == httplib::Error::SSLLoadingCerts) {
    return failed(ErrorType::connection, "cannot connect to " + endpoint.scheme_host_port + ": " +
                                             httplib::to_string(err));
  }
  if (err != httplib::Error::Success) {
    // A read that waited the whole read timeout is a timeout; one that broke off sooner is a
    // connection closed or reset mid-response.
    const double silent = end - (x.status ? x.last_byte_s : 0);
    if (err == httplib::Error::Read && silent >= transport.read_timeout_s * 0.98) {
      return failed(ErrorType::timeout, "no data for " + std::to_string(transport.read_timeout_s) +
                                            " s (transport.read_timeout_s)");
    }
    return failed(
        ErrorType::connection,
        std::string(x.status ? "the connection broke mid-response: " : "the request failed: ") +
            httplib::to_string(err));
  }
  if (x.status != 200) {
    AttemptResult r = failed(
        x.status == 429 ? ErrorType::rate_limit : ErrorType::http,
        "HTTP " + std::to_string(x.status) + ": " + api_redact(wire.error_message(x.body), secret),
        true, x.status);
    r.failure.retry_after = api_parse_retry_after(x.retry_after, std::time(nullptr));
    return r;
  }
  return std::nullopt;
}

// The reply of a whole 200 response: the finished stream, or the JSON body read by the wire
// format; a body that is not JSON is a protocol failure.
AttemptResult read_reply(const Exchange& x, ApiStream* stream, AttemptResult result,
                         const ApiWire& wire, const ApiCall& call, const std::string& secret) {
  try {
    if (x.streaming) {
      result.reply = stream->finish();
      return result;
    }
    if (!starts_with_ci(x.content_type, "application/json") &&
        x.content_type.find("json") == std::string::npos) {
      return failed(
          ErrorType::protocol,
          "HTTP 200 with Content-Type '" + x.content_type +
              "', expected application/json: " + api_redact(x.body.substr(0, 120), secret),
          true);
    }
    nlohmann::json j = nlohmann::json::parse(x.body, nullptr, false);
    if (j.is_discarded()) {
      return failed(ErrorType::protocol,
                    "malformed JSON in the response (" + std::to_string(x.body.size()) +
                        " bytes): " + api_redact(x.body.substr(0, 120), secret),
                    true);
    }
    result.reply = wire.parse(j, call);
    return result;
  } catch (const ApiFormatError& e) {
    return failed(e.type(), api_redact(e.what(), secret), true, e.status());
  }
}

// What is known of an attempt that failed after the provider's HTTP 200 began its answer (an event
// stream or a JSON body; a gateway's HTML page is no answer of the provider): counted as billed.
FailedAttempts billed_failure(const Exchange& x, const ApiStream* stream) {
  FailedAttempts f;
  if (x.status != 200 || !(x.streaming || x.content_type.find("json") != std::string::npos)) {
    return f;
  }
  f.attempts = 1;
  bool usage = false;
  if (stream) f.tokens = stream->tokens_seen(&usage);
  f.usage_missing = !usage;
  return f;
}

}  // namespace

AttemptResult api_attempt(httplib::Client& client, const ApiEndpoint& endpoint, const ApiWire& wire,
                          const ApiCall& call, const ModelTransport& transport,
                          const std::string& secret) {
  httplib::Request req = attempt_request(endpoint, wire, call, secret);
  AttemptResult result;
  AttemptReceiver rx(wire, call, transport, &result);
  req.response_handler = [&](const httplib::Response& r) { return rx.on_response(r); };
  req.content_receiver = [&](const char* data, size_t len, uint64_t, uint64_t) {
    return rx.on_content(data, len);
  };
  httplib::Response res;
  httplib::Error err = httplib::Error::Success;
  client.send(req, res, err);
  const double end = rx.since();
  result.total_s = end;
  std::optional<AttemptResult> r =
      exchange_failure(rx.exchange(), err, end, endpoint, wire, transport, secret);
  if (!r) r = read_reply(rx.exchange(), rx.stream(), std::move(result), wire, call, secret);
  if (!r->reply) r->billed_failure = billed_failure(rx.exchange(), rx.stream());
  r->total_s = end;
  return std::move(*r);
}

}  // namespace moebench
