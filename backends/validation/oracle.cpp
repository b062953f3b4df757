// OracleBackend: reference answers as responses.
#include "backends/validation/oracle.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "backends/backend_options.h"
#include "common/clock.h"
#include "common/error.h"

namespace moebench {

std::string oracle_key(const std::string& suite, const std::string& doc_id) {
  return suite + '\x1f' + doc_id;
}

OracleBackend::OracleBackend(OracleAnswerKey key, OracleOptions options)
    : key_(std::move(key)), options_(std::move(options)) {}

BackendInfo OracleBackend::info() const {
  BackendInfo b;
  b.id = options_.loglikelihood ? "oracle" : "oracle-chat";
  b.family = "validation";
  b.chat = true;
  b.completion = !options_.chat_only;
  b.loglikelihood = options_.loglikelihood;
  b.details = {{"answers", key_.size()}, {"delay_ms", options_.delay_ms}};
  return b;
}

Response OracleBackend::answer(const Request& r) const {
  Response out;
  auto it = key_.find(oracle_key(r.suite, r.doc_id));
  if (it == key_.end()) {
    out.error =
        ResponseError{ErrorType::not_found, "oracle has no answer for " + r.suite + "/" + r.doc_id};
    return out;
  }
  if (!r.continuations.empty()) {
    // NOTE: every wrong choice gets the same negative score, so argmax lands on a gold choice
    // for acc and acc_norm alike (0 / length stays 0).
    out.logliks.assign(r.continuations.size(), -10.0);
    for (int g : it->second.gold) {
      if (g >= 0 && g < static_cast<int>(out.logliks.size())) out.logliks[g] = 0.0;
    }
  } else {
    out.texts.assign(std::max(1, r.generation.n_samples), it->second.text);
  }
  return out;
}

void OracleBackend::log_request(const Request& r) {
  std::lock_guard<std::mutex> lock(log_mu_);
  int fd = ::open(options_.request_log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (fd < 0) return;
  std::string line = r.hash() + "\n";
  ssize_t ignored = ::write(fd, line.data(), line.size());
  (void)ignored;
  ::close(fd);
}

std::vector<Response> OracleBackend::run(const std::vector<Request>& batch) {
  return run_streaming(batch, [](size_t, const Response&) {});
}

std::vector<Response> OracleBackend::run_streaming(const std::vector<Request>& batch,
                                                   const ResponseSink& on_done) {
  std::vector<Response> out;
  out.reserve(batch.size());
  for (const Request& r : batch) {
    auto t0 = Clock::now();
    if (options_.should_stop && options_.should_stop()) {
      out.emplace_back();
      out.back().error =
          ResponseError{ErrorType::interrupted, "not answered: the run was stopped (SIGINT)"};
      on_done(out.size() - 1, out.back());
      continue;
    }
    if (options_.delay_ms > 0) {
      std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(options_.delay_ms));
    }
    out.push_back(answer(r));
    out.back().total_s = seconds_since(t0);
    if (!options_.request_log.empty()) log_request(r);
    on_done(out.size() - 1, out.back());
  }
  return out;
}

namespace {

OracleOptions oracle_options(bool loglikelihood, const BackendContext& context) {
  OracleOptions o;
  o.loglikelihood = loglikelihood;
  o.should_stop = context.should_stop;
  for (const auto& [k, v] : context.options) {
    if (k == "delay_ms") {
      try {
        o.delay_ms = std::stod(v);
      } catch (const std::exception&) {
        throw InputError("--backend-opt delay_ms=" + v + ": expected a number");
      }
    } else if (k == "request_log") {
      o.request_log = v;
    } else if (k == "chat") {
      o.chat_only = backend_opt_bool(k, v);
    } else {
      throw InputError("--backend-opt " + k +
                       ": unknown option for the oracle backend (known: "
                       "delay_ms, request_log, chat)");
    }
  }
  return o;
}

}  // namespace

void oracle_register(BackendRegistry& registry) {
  for (bool loglikelihood : {true, false}) {
    const std::string name = loglikelihood ? "oracle" : "oracle-chat";
    registry.add({name, false, name, [loglikelihood](const std::string&, const BackendContext& c) {
                    return std::make_unique<OracleBackend>(OracleAnswerKey{},
                                                           oracle_options(loglikelihood, c));
                  }});
  }
}

}  // namespace moebench
