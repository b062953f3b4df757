// backend_capabilities / backend_create for "oracle", "oracle-chat" and "replay:<file>".
#include "harness/runner/backend_factory.h"

#include "backends/validation/oracle.h"
#include "backends/validation/replay.h"
#include "common/error.h"

namespace moebench {
namespace {

const char* kKnown = "oracle, oracle-chat, replay:<samples.jsonl>";

bool is_oracle(const std::string& b) { return b == "oracle" || b == "oracle-chat"; }

OracleOptions oracle_options(const RunOptions& options) {
  OracleOptions o;
  o.loglikelihood = options.backend == "oracle";
  for (const auto& [k, v] : options.backend_options) {
    if (k == "delay_ms") {
      try {
        o.delay_ms = std::stod(v);
      } catch (const std::exception&) {
        throw InputError("--backend-opt delay_ms=" + v + ": expected a number");
      }
    } else if (k == "request_log") {
      o.request_log = v;
    } else {
      throw InputError("--backend-opt " + k +
                       ": unknown option for the oracle backend (known: "
                       "delay_ms, request_log)");
    }
  }
  return o;
}

}  // namespace

BackendInfo backend_capabilities(const RunOptions& options) {
  if (is_oracle(options.backend)) {
    return OracleBackend({}, oracle_options(options)).info();
  }
  if (options.backend.rfind("replay:", 0) == 0) {
    return ReplayBackend(options.backend.substr(7)).info();
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
  throw InputError("--backend '" + options.backend + "': unknown backend (known: " + kKnown + ")");
}

}  // namespace moebench
