// backend_capabilities / backend_create for "oracle", "oracle-chat", "replay:<file>",
// "builtin:<checkpoint dir>" and "api:<model name>".
#include "harness/runner/backend_factory.h"

#include "backends/builtin/builtin_backend.h"
#include "backends/builtin/engine_select.h"
#include "backends/validation/oracle.h"
#include "backends/validation/replay.h"
#include "common/error.h"
#include "harness/runner/api_options.h"
#include "harness/runner/backend_option_values.h"
#include "harness/runner/interrupt.h"

namespace moebench {
namespace {

const char* kKnown =
    "oracle, oracle-chat, replay:<samples.jsonl>, builtin:<checkpoint dir>, api:<model name>";

bool is_oracle(const std::string& b) { return b == "oracle" || b == "oracle-chat"; }

OracleOptions oracle_options(const RunOptions& options) {
  OracleOptions o;
  o.loglikelihood = options.backend == "oracle";
  o.should_stop = [] { return interrupt_requested(); };
  for (const auto& [k, v] : options.backend_options) {
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

BuiltinBackendOptions builtin_options(const RunOptions& options) {
  BuiltinBackendOptions o;
  for (const auto& [k, v] : options.backend_options) {
    if (k == "threads") {
      o.threads = static_cast<int>(backend_opt_integer(k, v));
    } else if (k == "max_batch") {
      o.max_batch = static_cast<int>(backend_opt_integer(k, v));
    } else if (k == "device") {
      engine_device_parse(v);  // a bad string fails here, before the checkpoint loads
      o.device = v;
    } else if (k == "add_bos") {
      o.add_bos = backend_opt_bool(k, v);
    } else if (k == "chat") {
      o.chat_only = backend_opt_bool(k, v);
    } else if (k == "truncate") {
      if (v != "left" && v != "none") {
        throw InputError("--backend-opt truncate=" + v + ": expected left or none");
      }
      o.truncate_left = v == "left";
    } else {
      throw InputError("--backend-opt " + k +
                       ": unknown option for the builtin backend (known: device, threads, "
                       "max_batch, add_bos, chat, truncate)");
    }
  }
  o.should_stop = [] { return interrupt_requested(); };
  return o;
}

// Loading a checkpoint is the expensive part: the backend built to answer
// backend_capabilities is handed to backend_create instead of loading it twice.
std::unique_ptr<BuiltinBackend>& pending_builtin() {
  static std::unique_ptr<BuiltinBackend> pending;
  return pending;
}
std::string& pending_builtin_name() {
  static std::string name;
  return name;
}

std::unique_ptr<BuiltinBackend> builtin_backend(const RunOptions& options) {
  auto& pending = pending_builtin();
  if (pending && pending_builtin_name() == options.backend) return std::move(pending);
  std::string dir = options.backend.substr(8);
  if (dir.empty()) throw InputError("--backend builtin:<dir>: the checkpoint directory is empty");
  return std::make_unique<BuiltinBackend>(dir, builtin_options(options));
}

bool is_builtin(const std::string& b) { return b.rfind("builtin:", 0) == 0; }
bool is_api(const std::string& b) { return b.rfind("api:", 0) == 0; }

}  // namespace

BackendInfo backend_capabilities(const RunOptions& options) {
  if (is_oracle(options.backend)) {
    return OracleBackend({}, oracle_options(options)).info();
  }
  if (options.backend.rfind("replay:", 0) == 0) {
    return ReplayBackend(options.backend.substr(7)).info();
  }
  if (is_api(options.backend)) return api_backend_from_options(options)->info();
  if (is_builtin(options.backend)) {
    std::unique_ptr<BuiltinBackend> b = builtin_backend(options);
    BackendInfo info = b->info();
    pending_builtin() = std::move(b);
    pending_builtin_name() = options.backend;
    return info;
  }
  throw InputError("--backend '" + options.backend + "': unknown backend (known: " + kKnown + ")");
}

std::unique_ptr<Backend> backend_create(const RunOptions& options,
                                        const std::vector<SuiteRun>& runs) {
  if (is_oracle(options.backend)) {
    OracleAnswerKey key;
    for (const SuiteRun& run : runs) {
      const std::string& suite = run.instance->spec().name;
      for (const Doc* d : run.docs) {
        OracleAnswer a;
        if (run.loglikelihood) {
          a.gold = run.instance->gold_choices(*d);
        } else {
          a.text = run.instance->oracle_response(*d);
        }
        key.emplace(oracle_key(suite, d->id), std::move(a));
      }
    }
    return std::make_unique<OracleBackend>(std::move(key), oracle_options(options));
  }
  if (options.backend.rfind("replay:", 0) == 0) {
    return std::make_unique<ReplayBackend>(options.backend.substr(7));
  }
  if (is_builtin(options.backend)) return builtin_backend(options);
  if (is_api(options.backend)) return api_backend_from_options(options);
  throw InputError("--backend '" + options.backend + "': unknown backend (known: " + kKnown + ")");
}

}  // namespace moebench
