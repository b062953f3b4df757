// backend_create: the registry of every backend scheme; backend_give_answers: the oracle's key.
#include "harness/runner/backend_factory.h"

#include "backends/api/api_options.h"
#include "backends/backend_registry.h"
#include "backends/builtin/builtin_backend.h"
#include "backends/validation/oracle.h"
#include "backends/validation/replay.h"
#include "harness/runner/interrupt.h"

namespace moebench {
namespace {

const BackendRegistry& registry() {
  static const BackendRegistry r = [] {
    BackendRegistry all;
    oracle_register(all);
    replay_register(all);
    builtin_register(all);
    api_register(all);
    return all;
  }();
  return r;
}

}  // namespace

std::unique_ptr<Backend> backend_create(const RunOptions& options, std::function<bool()> stop) {
  BackendContext context;
  context.options = options.backend_options;
  context.models_file = options.models_file;
  for (const auto& [key, value] : options.gen_kwargs) context.gen_kwargs.insert(key);
  context.should_stop = [stop = std::move(stop)] {
    return interrupt_requested() || (stop && stop());
  };
  return registry().make(options.backend, context);
}

void backend_give_answers(Backend& backend, const std::vector<SuiteRun>& runs) {
  auto* oracle = dynamic_cast<OracleBackend*>(&backend);
  if (oracle == nullptr) return;
  OracleAnswerKey key;
  for (const SuiteRun& run : runs) {
    const std::string suite = run.instance->spec().key();
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
  oracle->set_answers(std::move(key));
}

}  // namespace moebench
