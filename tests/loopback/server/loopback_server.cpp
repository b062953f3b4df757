// The loopback Server: binds cpp-httplib (HTTP or HTTPS) in its own thread and runs every POST
// route through auth, keying, the fault plan, the route and the ledger.
#include "tests/loopback/server/loopback_server.h"

#include <atomic>
#include <stdexcept>
#include <thread>

#include "common/error.h"
#include "common/hash.h"
#include "common/http_server.h"
#include "tests/loopback/server/fault_plan.h"
#include "tests/loopback/server/routes.h"

namespace moebench::loopback {

using RouteFn = Reply (*)(const RouteContext&, const json&);

struct Server::Impl {
  ServerOptions options;
  Answers answers;
  FaultPlan plan;
  Ledger ledger;
  PrefixCache cache;
  StopFlag stop;
  std::unique_ptr<httplib::Server> http;
  std::thread thread;
  int port = 0;
  std::atomic<uint64_t> next_id{1};

  explicit Impl(ServerOptions o)
      : options(std::move(o)),
        answers(options.answers_file, options.default_answer),
        plan(options.faults) {}

  bool authorized(const httplib::Request& req) const {
    if (options.api_key.empty()) return true;
    return req.get_header_value("Authorization") == "Bearer " + options.api_key ||
           req.get_header_value("x-api-key") == options.api_key;
  }

  void handle(Flavor flavor, const std::string& route, RouteFn fn, const httplib::Request& req,
              httplib::Response& res);
  void install_routes();
};

void Server::Impl::handle(Flavor flavor, const std::string& route, RouteFn fn,
                          const httplib::Request& req, httplib::Response& res) {
  if (!authorized(req)) {
    ledger.record("auth");
    return route_send_error(flavor, 401, "Incorrect API key provided", "", res);
  }
  if (flavor == Flavor::kAnthropic && !req.has_header("anthropic-version")) {
    ledger.record("invalid");
    return route_send_error(flavor, 400, "anthropic-version: header is required", "", res);
  }
  json body = json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    ledger.record("invalid");
    return route_send_error(flavor, 400, "the body is not a JSON object", "", res);
  }
  // The key ignores how the answer is delivered, so a retry of the same request shares it, and
  // the seed, so the separate calls for one document's samples (seed + sample index) share it too.
  json keyed = body;
  keyed.erase("stream");
  keyed.erase("stream_options");
  keyed.erase("seed");
  const std::string key = sha256_hex(route + "\n" + keyed.dump());
  FaultDecision fault;
  try {
    fault = fault_parse_override(req.get_header_value("X-Loopback-Fault"),
                                 req.get_header_value("X-Loopback-Fault-Attempts"));
  } catch (const InputError& e) {
    ledger.record("invalid");
    return route_send_error(flavor, 400, e.what(), "X-Loopback-Fault", res);
  }
  if (fault.kind.empty()) fault = plan.decide(key);
  const std::string model =
      body.value("model", json("")).is_string() ? body.value("model", "") : "";
  const int attempt = ledger.begin(key, route, model, fault);
  const bool faulted = fault.active(attempt);

  Reply reply;
  try {
    RouteContext ctx{options, answers, cache, std::to_string(next_id++)};
    reply = fn(ctx, body);
  } catch (const BadRequest& e) {
    ledger.finish(key, "invalid", nullptr);
    return route_send_error(flavor, 400, e.message, e.param, res);
  } catch (const json::exception& e) {  // a field of the wrong JSON type
    ledger.finish(key, "invalid", nullptr);
    return route_send_error(flavor, 400, e.what(), "", res);
  }
  if (faulted && fault.kind != "slow") {
    // A stream cut before its terminator has sent its usage (truncated_sse sends every event but
    // the last): a provider bills that attempt, which answers nothing. Kept apart as billed_failed.
    const bool told = fault.kind == "truncated_sse" && reply.stream && reply.usage_in_stream;
    ledger.finish(key, fault.kind, nullptr, told ? &reply.usage : nullptr);
    return reply_send_fault(fault.kind, flavor, std::move(reply), options.faults, options.chunk_ms,
                            stop, res);
  }
  if (faulted && !stop.sleep_ms(options.faults.slow_ms)) {
    ledger.finish(key, "stopped", nullptr);
    return route_send_error(flavor, 503, "the loopback server is stopping", "", res);
  }
  if (!stop.sleep_ms(options.latency_ms)) {
    ledger.finish(key, "stopped", nullptr);
    return route_send_error(flavor, 503, "the loopback server is stopping", "", res);
  }
  // Counted before the bytes go out, so a client that reads its answer and then the ledger
  // finds it there; taken back ("undelivered") when the write fails because the client is gone,
  // e.g. a slow answer written after the client's read timeout: what a client could bill is only
  // what it received.
  for (const auto& p : reply.prompts) cache.add(p);
  const size_t index = ledger.finish(key, faulted ? fault.kind : "ok", &reply.usage);
  auto undelivered = [this, key, index, usage = reply.usage] {
    ledger.undeliver(key, index, usage);
  };
  // NOTE: after a slow wait the client may have closed; 5 ms lets its reset arrive so the write
  // of the body fails rather than vanishing into a dead socket.
  reply_send(std::move(reply), options.chunk_ms, faulted ? 5 : 0, stop, undelivered, res);
}

void Server::Impl::install_routes() {
  auto post = [this](const std::string& route, Flavor flavor, RouteFn fn) {
    http->Post(route,
               [this, route, flavor, fn](const httplib::Request& req, httplib::Response& res) {
                 handle(flavor, route, fn, req, res);
               });
  };
  post("/v1/chat/completions", Flavor::kOpenAI, &openai_chat);
  post("/v1/completions", Flavor::kOpenAI, &openai_completions);
  post("/v1/messages", Flavor::kAnthropic, &anthropic_messages);
  http->Get("/v1/models", [this](const httplib::Request& req, httplib::Response& res) {
    if (!authorized(req)) {
      ledger.record("auth");
      return route_send_error(Flavor::kOpenAI, 401, "Incorrect API key provided", "", res);
    }
    ledger.record("ok");
    res.set_content(openai_models().dump(), "application/json");
  });
  http->Get("/_loopback/ledger", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(ledger.to_json().dump(), "application/json");
  });
  http->Post("/_loopback/reset", [this](const httplib::Request&, httplib::Response& res) {
    ledger.reset();
    res.set_content("{\"reset\":true}", "application/json");
  });
  http->set_error_handler([this](const httplib::Request& req, httplib::Response& res) {
    // NOTE: httplib calls this for every status >= 400; only fill in unrouted requests.
    if (res.status != 404 || !res.body.empty()) return;
    ledger.record("not_found");
    const Flavor flavor =
        req.path.rfind("/v1/messages", 0) == 0 ? Flavor::kAnthropic : Flavor::kOpenAI;
    route_send_error(flavor, 404, "Unknown route " + req.method + " " + req.path, "", res);
  });
}

Server::Server(ServerOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

Server::~Server() { stop(); }

void Server::start() {
  Impl& s = *impl_;
  if (s.thread.joinable()) return;
  s.stop.clear();
  const ServerOptions& o = s.options;
  if (!o.tls_cert.empty() && !o.tls_key.empty()) {
    auto ssl = std::make_unique<httplib::SSLServer>(o.tls_cert.c_str(), o.tls_key.c_str());
    if (!ssl->is_valid())
      throw InputError("loopback: cannot load TLS cert '" + o.tls_cert + "' / key '" + o.tls_key +
                       "'");
    s.http = std::move(ssl);
  } else {
    s.http = std::make_unique<httplib::Server>();
  }
  const int threads = std::max(1, o.threads);
  s.http->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  // httplib closes a keep-alive connection after 5 requests by default; nginx after 1000.
  s.http->set_keep_alive_max_count(1000);
  s.install_routes();
  // TCP_NODELAY, no SO_REUSEPORT and a real listen backlog, as `moebench serve` binds.
  s.port = http_server_bind(*s.http, o.host, o.port, "loopback");
  s.thread = std::thread([&s] { s.http->listen_after_bind(); });
  for (int i = 0; i < 5000 && !s.http->is_running(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

void Server::stop() {
  Impl& s = *impl_;
  if (!s.thread.joinable()) return;
  s.stop.set();
  s.http->stop();
  s.thread.join();
}

int Server::port() const { return impl_->port; }

std::string Server::base_url() const {
  const bool tls = !impl_->options.tls_cert.empty() && !impl_->options.tls_key.empty();
  return std::string(tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(impl_->port);
}

nlohmann::json Server::ledger() const { return impl_->ledger.to_json(); }

void Server::reset_ledger() { impl_->ledger.reset(); }

}  // namespace moebench::loopback
