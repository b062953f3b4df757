// moebench-raw-loadgen: the yardstick for `moebench loadgen`'s latencies. Written by hand on
// purpose (it must share no code with the client it checks): one blocking socket per worker with
// TCP_NODELAY, each request written with one write(), the HTTP/1.1 response (chunked or
// Content-Length) and its server-sent events parsed by hand; TTFT = send -> first non-empty
// content chunk, E2EL = send -> end of the response. The workload (loadgen_random_prompts with the
// same seed, greedy, stream_options.include_usage, ignore_eos) and the summary JSON
// (loadgen_summarize) are loadgen's, so scripts/bench_loadgen.sh compares like with like.
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "harness/loadgen/loadgen_metrics.h"
#include "harness/loadgen/loadgen_workload.h"

using namespace moebench;
using Clock = std::chrono::steady_clock;
using nlohmann::json;

namespace {

struct Flags {
  std::string base_url, model, endpoint = "chat", json_out;
  int num_prompts = 64, concurrency = 1, input_len = 32, output_len = 16;
  double len_spread = 0;
  uint64_t seed = 0;
  bool no_ignore_eos = false;
};

double seconds(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

// host, port and path of "http://host:port/prefix" + the endpoint's route.
struct Target {
  std::string host, port = "80", path;
};

Target parse_target(const Flags& f) {
  const std::string scheme = "http://";
  if (f.base_url.rfind(scheme, 0) != 0) throw std::runtime_error("--base-url must be http://...");
  const size_t slash = f.base_url.find('/', scheme.size());
  const std::string authority = f.base_url.substr(scheme.size(), slash - scheme.size());
  Target t;
  const size_t colon = authority.rfind(':');
  t.host = authority.substr(0, colon);
  if (colon != std::string::npos) t.port = authority.substr(colon + 1);
  t.path = slash == std::string::npos ? "" : f.base_url.substr(slash);
  while (!t.path.empty() && t.path.back() == '/') t.path.pop_back();
  t.path += f.endpoint == "chat" ? "/chat/completions" : "/completions";
  return t;
}

int open_socket(const Target& t) {
  addrinfo hints{}, *res = nullptr;
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  if (::getaddrinfo(t.host.c_str(), t.port.c_str(), &hints, &res) != 0) return -1;
  int fd = -1;
  for (addrinfo* a = res; a && fd < 0; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype, a->ai_protocol);
    if (fd >= 0 && ::connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
      ::close(fd);
      fd = -1;
    }
  }
  ::freeaddrinfo(res);
  if (fd >= 0) {
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  return fd;
}

// The whole request, headers and body, as the one buffer written by one write().
std::string request_bytes(const Flags& f, const Target& t, const LoadgenPrompt& p) {
  json body = {{"model", f.model},
               {"max_tokens", p.max_tokens},
               {"temperature", 0},
               {"stream", true},
               {"stream_options", {{"include_usage", true}}}};
  if (!f.no_ignore_eos) body["ignore_eos"] = true;
  if (f.endpoint == "chat") {
    body["messages"] = json::array({{{"role", "user"}, {"content", p.text}}});
  } else {
    body["prompt"] = p.text;
  }
  const std::string b = body.dump();
  return "POST " + t.path + " HTTP/1.1\r\nHost: " + t.host + ":" + t.port +
         "\r\nContent-Type: application/json\r\nAccept: text/event-stream\r\nContent-Length: " +
         std::to_string(b.size()) + "\r\n\r\n" + b;
}

// One HTTP/1.1 response read from a socket: status line, headers, then the body (de-chunked)
// handed to on_body as it arrives.
class ResponseReader {
 public:
  explicit ResponseReader(int fd) : fd_(fd) {}
  // False when the socket failed or closed before the response ended.
  bool read(const std::function<void(std::string_view)>& on_body) {
    size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill()) return false;
    }
    const std::string head = buf_.substr(0, end);
    buf_.erase(0, end + 4);
    if (head.size() < 12) return false;
    status = std::atoi(head.c_str() + 9);  // "HTTP/1.1 200 OK"
    bool chunked = false;
    long length = -1;
    for (size_t at = head.find("\r\n"); at != std::string::npos;) {
      const size_t next = head.find("\r\n", at + 2);
      std::string line = head.substr(at + 2, next == std::string::npos ? next : next - at - 2);
      for (char& c : line) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (line.rfind("transfer-encoding:", 0) == 0) chunked = line.find("chunked") != line.npos;
      if (line.rfind("content-length:", 0) == 0) length = std::atol(line.c_str() + 15);
      if (line.rfind("connection:", 0) == 0) close_after = line.find("close") != line.npos;
      at = next;
    }
    if (chunked) return read_chunked(on_body);
    while (length < 0 || static_cast<long>(buf_.size()) < length) {
      if (!fill()) return length < 0;  // without a length the body ends at EOF
    }
    on_body(buf_);
    buf_.clear();
    return true;
  }
  int status = 0;
  bool close_after = false;

 private:
  bool read_chunked(const std::function<void(std::string_view)>& on_body) {
    for (;;) {
      size_t eol;
      while ((eol = buf_.find("\r\n")) == std::string::npos) {
        if (!fill()) return false;
      }
      const size_t size = std::strtoul(buf_.c_str(), nullptr, 16);
      if (size == 0) {  // the last chunk, then (no trailers from our servers) the final CRLF
        while (buf_.size() < eol + 4) {
          if (!fill()) return false;
        }
        buf_.clear();
        return true;
      }
      while (buf_.size() < eol + 2 + size + 2) {
        if (!fill()) return false;
      }
      on_body(std::string_view(buf_).substr(eol + 2, size));
      buf_.erase(0, eol + 2 + size + 2);
    }
  }
  bool fill() {
    char tmp[16384];
    const ssize_t n = ::read(fd_, tmp, sizeof tmp);
    if (n <= 0) return false;
    buf_.append(tmp, static_cast<size_t>(n));
    return true;
  }
  int fd_;
  std::string buf_;
};

// The SSE lines of a body: the first non-empty content chunk sets TTFT, each later one adds an
// ITL; the usage chunk gives the token counts; [DONE] ends the stream.
class SseTimer {
 public:
  SseTimer(bool chat, Clock::time_point t0, RequestRecord* rec) : chat_(chat), t0_(t0), rec_(rec) {}
  void feed(std::string_view bytes) {
    const Clock::time_point now = Clock::now();
    line_.append(bytes);
    size_t start = 0;
    for (size_t nl; (nl = line_.find('\n', start)) != std::string::npos; start = nl + 1) {
      std::string_view line(line_.data() + start, nl - start);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.rfind("data:", 0) != 0) continue;
      line.remove_prefix(line.size() > 5 && line[5] == ' ' ? 6 : 5);
      on_data(std::string(line), now);
    }
    line_.erase(0, start);
  }
  bool done = false, bad = false;
  int chunks = 0;

 private:
  void on_data(const std::string& payload, Clock::time_point now) {
    if (payload == "[DONE]") {
      done = true;
      return;
    }
    const json j = json::parse(payload, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      bad = true;
      return;
    }
    if (j.contains("usage") && j["usage"].is_object()) {
      rec_->input_tokens = j["usage"].value("prompt_tokens", 0L);
      rec_->output_tokens = j["usage"].value("completion_tokens", 0L);
      rec_->token_source = TokenSource::usage;
    }
    if (!j.contains("choices") || !j["choices"].is_array() || j["choices"].empty()) return;
    const json& c = j["choices"][0];
    const json text =
        chat_ ? c.value("delta", json::object()).value("content", json()) : c.value("text", json());
    if (!text.is_string() || text.get_ref<const std::string&>().empty()) return;
    if (chunks++ == 0) {
      rec_->ttft_s = seconds(t0_, now);
    } else {
      rec_->itl_s.push_back(seconds(last_, now));
    }
    last_ = now;
  }
  const bool chat_;
  Clock::time_point t0_, last_;
  RequestRecord* rec_;
  std::string line_;
};

// A kept-alive connection the server has closed reads as EOF at once: open a new one instead.
bool connection_alive(int fd) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, 0) == 0;
}

RequestRecord send_one(int* fd, const Target& t, const std::string& bytes, bool chat,
                       Clock::time_point run_start) {
  RequestRecord rec;
  if (*fd >= 0 && !connection_alive(*fd)) {
    ::close(*fd);
    *fd = -1;
  }
  if (*fd < 0) *fd = open_socket(t);
  auto fail = [&](const char* type, const std::string& message) {
    rec.error_type = type;
    rec.error_message = message;
    if (*fd >= 0) ::close(*fd);
    *fd = -1;
    return rec;
  };
  if (*fd < 0) return fail("connection", "cannot connect to " + t.host + ":" + t.port);
  const Clock::time_point t0 = Clock::now();
  rec.send_s = seconds(run_start, t0);
  if (::write(*fd, bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size())) {
    return fail("connection", "the request was not written whole");
  }
  ResponseReader reader(*fd);
  SseTimer sse(chat, t0, &rec);
  std::string error_body;
  const bool read = reader.read([&](std::string_view body) {
    if (reader.status == 200) {
      sse.feed(body);
    } else {
      error_body.append(body.substr(0, 300));
    }
  });
  rec.e2el_s = seconds(t0, Clock::now());
  if (!read) return fail("connection", "the connection broke mid-response");
  if (reader.close_after) {
    ::close(*fd);
    *fd = -1;
  }
  if (reader.status != 200) {
    rec.error_type = "http";
    rec.error_message = "HTTP " + std::to_string(reader.status) + ": " + error_body;
  } else if (sse.bad || !sse.done) {
    rec.error_type = "protocol";
    rec.error_message = sse.bad ? "an event is not JSON" : "no data: [DONE]";
  } else if (sse.chunks == 0) {
    rec.error_type = "no_output";
    rec.error_message = "the stream held no text";
  } else {
    rec.ok = true;
    if (rec.token_source != TokenSource::usage) rec.output_tokens = sse.chunks;
  }
  return rec;
}

int run(const Flags& f) {
  const Target target = parse_target(f);
  const std::vector<LoadgenPrompt> prompts =
      loadgen_random_prompts(f.num_prompts, {f.input_len, f.output_len, f.len_spread}, f.seed);
  std::vector<std::string> requests;
  for (const LoadgenPrompt& p : prompts) requests.push_back(request_bytes(f, target, p));
  std::vector<RequestRecord> records(prompts.size());
  std::atomic<int> next{0};
  const Clock::time_point start = Clock::now();
  auto worker = [&] {
    int fd = -1;
    for (int i; (i = next++) < f.num_prompts;) {
      records[i] = send_one(&fd, target, requests[i], f.endpoint == "chat", start);
      records[i].index = i;
      records[i].max_tokens = prompts[i].max_tokens;
      records[i].prompt = prompts[i].text;
    }
    if (fd >= 0) ::close(fd);
  };
  std::vector<std::thread> workers;
  for (int w = 0; w < std::min(f.concurrency, f.num_prompts); ++w) workers.emplace_back(worker);
  for (std::thread& w : workers) w.join();
  const LoadgenSummary s = loadgen_summarize(records, seconds(start, Clock::now()), SloSpec{});
  std::fputs(loadgen_format_table(s).c_str(), stdout);
  if (!f.json_out.empty()) {
    json recs = json::array();
    for (const RequestRecord& r : records) recs.push_back(loadgen_record_json(r));
    const json out = {{"schema", "moebench.raw-loadgen/1"},
                      {"config",
                       {{"base_url", f.base_url},
                        {"model", f.model},
                        {"endpoint", f.endpoint},
                        {"num_prompts", f.num_prompts},
                        {"concurrency", f.concurrency}}},
                      {"summary", loadgen_summary_json(s)},
                      {"requests", recs}};
    std::ofstream(f.json_out) << out.dump(2) << "\n";
  }
  return s.failed == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"moebench-raw-loadgen: a hand-written streaming client to check loadgen's numbers"};
  Flags f;
  app.add_option("--base-url", f.base_url, "Server API root, http://host:port/v1")->required();
  app.add_option("--model", f.model, "Model id sent")->required();
  app.add_option("--endpoint", f.endpoint, "chat | completions")
      ->check(CLI::IsMember({"chat", "completions"}))
      ->capture_default_str();
  app.add_option("--num-prompts", f.num_prompts, "Requests to send")->capture_default_str();
  app.add_option("--max-concurrency", f.concurrency, "Workers, one connection each")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--input-len", f.input_len, "Words per prompt (as loadgen)")
      ->capture_default_str();
  app.add_option("--output-len", f.output_len, "max_tokens (as loadgen)")->capture_default_str();
  app.add_option("--len-spread", f.len_spread, "Length spread (as loadgen)")->capture_default_str();
  app.add_option("--seed", f.seed, "Prompt seed (as loadgen)")->capture_default_str();
  app.add_flag("--no-ignore-eos", f.no_ignore_eos, "Do not send ignore_eos: true");
  app.add_option("--json", f.json_out, "Write the summary and per-request records here");
  CLI11_PARSE(app, argc, argv);
  try {
    return run(f);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "moebench-raw-loadgen: %s\n", e.what());
    return 2;
  }
}
