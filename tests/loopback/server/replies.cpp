// Sending a loopback Reply: normally, or as one of the scripted faults (429/5xx errors, a dropped
// connection, a stream without its terminator, cut JSON, the wrong content type, a huge body).
#include <algorithm>
#include <memory>

#include "tests/loopback/server/routes.h"

namespace moebench::loopback {

namespace {

// Streams events[0..count) with chunk_ms between them; then ends cleanly, or drops the
// connection when `drop`.
void send_events(std::vector<std::string> events, size_t count, bool drop, int chunk_ms,
                 StopFlag& stop, httplib::Response& res) {
  auto shared = std::make_shared<std::vector<std::string>>(std::move(events));
  auto next = std::make_shared<size_t>(0);
  count = std::min(count, shared->size());
  res.set_chunked_content_provider("text/event-stream", [shared, next, count, drop, chunk_ms,
                                                         &stop](size_t, httplib::DataSink& sink) {
    if (*next >= count) {
      if (drop) return false;  // NOTE: returning false drops the connection mid-stream
      sink.done();
      return true;
    }
    if (*next > 0 && !stop.sleep_ms(chunk_ms)) return false;
    if (stop.stopping()) return false;
    const std::string& e = (*shared)[(*next)++];
    return sink.write(e.data(), e.size());
  });
  res.set_header("Cache-Control", "no-cache");
}

// A 200 JSON body of which only the first `sent` bytes arrive before the connection drops.
void send_cut_body(std::string body, size_t sent, httplib::Response& res) {
  auto shared = std::make_shared<std::string>(std::move(body));
  const size_t total = shared->size();
  res.set_content_provider(total, "application/json",
                           [shared, sent](size_t offset, size_t, httplib::DataSink& sink) {
                             if (offset >= sent) return false;
                             return sink.write(shared->data() + offset, sent - offset);
                           });
}

// {"padding":"xxx..."}: valid JSON of exactly `bytes` bytes, written in 64 KiB pieces.
void send_oversized(size_t bytes, StopFlag& stop, httplib::Response& res) {
  const std::string head = "{\"padding\":\"", tail = "\"}";
  bytes = std::max(bytes, head.size() + tail.size());
  auto block = std::make_shared<std::string>(64 << 10, 'x');
  res.set_content_provider(
      bytes, "application/json",
      [bytes, head, tail, block, &stop](size_t offset, size_t, httplib::DataSink& sink) {
        if (stop.stopping()) return false;
        if (offset == 0) return sink.write(head.data(), head.size());
        const size_t body_end = bytes - tail.size();
        if (offset >= body_end)
          return sink.write(tail.data() + (offset - body_end), bytes - offset);
        return sink.write(block->data(), std::min(block->size(), body_end - offset));
      });
}

}  // namespace

void reply_send(Reply reply, int chunk_ms, int settle_ms, StopFlag& stop,
                std::function<void()> undelivered, httplib::Response& res) {
  res.status = 200;
  // NOTE: a served reply goes out through a content provider so a failed write is seen: the
  // ledger then takes back what it counted as served.
  auto on_fail = std::make_shared<std::function<void()>>(std::move(undelivered));
  auto fail = [on_fail] {
    if (*on_fail) (*on_fail)();
    *on_fail = nullptr;
  };
  if (!reply.stream) {
    auto body = std::make_shared<std::string>(std::move(reply.body));
    res.set_content_provider(
        body->size(), "application/json",
        [body, settle_ms, fail, &stop](size_t offset, size_t, httplib::DataSink& sink) {
          if (offset == 0 && settle_ms > 0) stop.sleep_ms(settle_ms);
          if (sink.write(body->data() + offset, body->size() - offset)) return true;
          fail();
          return false;
        });
    return;
  }
  auto events = std::make_shared<std::vector<std::string>>(std::move(reply.events));
  auto next = std::make_shared<size_t>(0);
  res.set_chunked_content_provider("text/event-stream", [events, next, chunk_ms, settle_ms, fail,
                                                         &stop](size_t, httplib::DataSink& sink) {
    if (*next >= events->size()) {
      sink.done();
      return true;
    }
    const int wait = *next == 0 ? settle_ms : chunk_ms;
    const std::string& e = (*events)[*next];
    if (stop.sleep_ms(wait) && sink.write(e.data(), e.size())) {
      ++*next;
      return true;
    }
    fail();
    return false;
  });
  res.set_header("Cache-Control", "no-cache");
}

void reply_send_fault(const std::string& kind, Flavor flavor, Reply reply,
                      const FaultOptions& faults, int chunk_ms, StopFlag& stop,
                      httplib::Response& res) {
  if (kind == "rate_limit") {
    route_send_error(flavor, 429, "Rate limit reached (loopback fault)", "", res);
    res.set_header("Retry-After", std::to_string(faults.retry_after_s));
  } else if (kind == "http_500") {
    route_send_error(flavor, 500, "The server had an error (loopback fault)", "", res);
  } else if (kind == "http_503") {
    route_send_error(flavor, flavor == Flavor::kAnthropic ? 529 : 503,
                     "The engine is overloaded (loopback fault)", "", res);
  } else if (kind == "bad_request") {
    route_send_error(flavor, 400, "Invalid request (loopback fault)", "", res);
  } else if (kind == "wrong_content_type") {
    res.status = 200;
    res.set_content("<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html");
  } else if (kind == "oversized") {
    res.status = 200;
    send_oversized(faults.oversized_bytes, stop, res);
  } else if (kind == "reset") {
    res.status = 200;
    if (reply.stream) {
      const size_t sent = std::max<size_t>(1, std::min<size_t>(3, reply.events.size() / 2));
      send_events(std::move(reply.events), sent, true, chunk_ms, stop, res);
    } else {
      const size_t sent = reply.body.size() / 2;
      send_cut_body(std::move(reply.body), sent, res);
    }
  } else if (kind == "truncated_sse" && reply.stream) {
    res.status = 200;
    const size_t n = reply.events.size() - 1;  // all but the terminator
    send_events(std::move(reply.events), n, false, chunk_ms, stop, res);
  } else {  // malformed_json, and truncated_sse of a non-stream request
    res.status = 200;
    std::string body =
        reply.stream ? std::string("{\"id\":\"loopback\",\"choices\":[") : reply.body;
    res.set_content(body.substr(0, std::max<size_t>(1, body.size() / 2)), "application/json");
  }
}

}  // namespace moebench::loopback
