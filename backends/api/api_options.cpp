// The api: scheme: models file entry + --backend-opt + key from the environment.
#include "backends/api/api_options.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <set>

#include "backends/api/api_backend.h"
#include "backends/backend_options.h"
#include "common/error.h"

namespace moebench {
namespace {

const char* kKnownOptions =
    "base_url, model, endpoint, stream, prompt_logprobs, max_tokens, temperature, "
    "max_in_flight, requests_per_minute, tokens_per_minute, connect_timeout_s, read_timeout_s, "
    "total_timeout_s, max_retries, backoff_base_s, backoff_max_s, retry_after_max_s, "
    "max_response_mb, ca_file";

}  // namespace

ModelEntry api_model_with_options(ModelEntry m,
                                  const std::map<std::string, std::string>& backend_options) {
  ModelTransport& t = m.transport;
  for (const auto& [k, v] : backend_options) {
    if (k == "base_url")
      m.base_url = v;
    else if (k == "model")
      m.model = v;
    else if (k == "endpoint")
      m.api.endpoint = v;
    else if (k == "stream")
      m.api.stream = backend_opt_bool(k, v);
    else if (k == "prompt_logprobs")
      m.api.prompt_logprobs = backend_opt_bool(k, v);
    else if (k == "max_tokens")
      m.generation.max_tokens = static_cast<int>(backend_opt_integer(k, v));
    else if (k == "temperature")
      m.generation.temperature = backend_opt_number(k, v);
    else if (k == "max_in_flight")
      m.limits.max_in_flight = static_cast<int>(backend_opt_integer(k, v));
    else if (k == "requests_per_minute")
      m.limits.requests_per_minute = backend_opt_integer(k, v);
    else if (k == "tokens_per_minute")
      m.limits.tokens_per_minute = backend_opt_integer(k, v);
    else if (k == "connect_timeout_s")
      t.connect_timeout_s = backend_opt_number(k, v);
    else if (k == "read_timeout_s")
      t.read_timeout_s = backend_opt_number(k, v);
    else if (k == "total_timeout_s")
      t.total_timeout_s = backend_opt_number(k, v);
    else if (k == "max_retries")
      t.max_retries = static_cast<int>(backend_opt_integer(k, v));
    else if (k == "backoff_base_s")
      t.backoff_base_s = backend_opt_number(k, v);
    else if (k == "backoff_max_s")
      t.backoff_max_s = backend_opt_number(k, v);
    else if (k == "retry_after_max_s")
      t.retry_after_max_s = backend_opt_number(k, v);
    else if (k == "max_response_mb") {
      t.max_response_bytes = static_cast<long>(backend_opt_number(k, v) * (1 << 20));
    } else if (k != "ca_file") {
      throw InputError("--backend-opt " + k +
                       ": unknown option for API backends (known: " + kKnownOptions + ")");
    }
  }
  return m;
}

namespace {

// The entry as this run sends it: an explicit --gen-kwargs setting replaces the models file's
// generation override of it (the user's latest word, and what run.json records for the suite).
ModelEntry entry_for_run(ModelEntry m, const std::set<std::string>& gen_kwargs) {
  ModelGeneration& g = m.generation;
  for (const std::string& k : gen_kwargs) {
    if (k == "temperature" || k == "do_sample") g.temperature.reset();
    if (k == "top_p") g.top_p.reset();
    if (k == "max_tokens" || k == "max_gen_toks") g.max_tokens.reset();
    if (k == "thinking_budget") g.thinking_budget.reset();
  }
  return m;
}

// A model override the entry's prices are not for drops them (no cost, rather than another
// model's), and says so. (A time no table covers is said by the backend as it sends.)
void check_prices(ModelEntry* m, const std::string& entry_model) {
  if (m->model != entry_model && !m->prices.empty()) {
    std::fprintf(stderr,
                 "moebench: warning: api:%s: --backend-opt model=%s is not the entry's model "
                 "(%s), whose prices it keeps no more: the run's cost is not computed (null)\n",
                 m->name.c_str(), m->model.c_str(), entry_model.c_str());
    m->prices.clear();
  }
}

// MOEBENCH_FAKE_NOW=YYYY-MM-DDTHH:MMZ+S, for tests only: the backend's clock reads that instant
// first and S seconds more at each later reading (one per attempt sent), so a test sends requests
// on both sides of a price change. Unset: the real clock.
std::function<std::time_t()> fake_clock() {
  const char* env = std::getenv("MOEBENCH_FAKE_NOW");
  if (!env || !*env) return {};
  const std::string v = env;
  const size_t plus = v.find('+');
  const std::string at = v.substr(0, plus),
                    step = plus == std::string::npos ? "0" : v.substr(plus + 1);
  if (!models_instant_valid(at) || step.empty() ||
      step.find_first_not_of("0123456789") != std::string::npos || step.size() > 9) {
    throw InputError("MOEBENCH_FAKE_NOW: '" + v + "' is not YYYY-MM-DDTHH:MMZ+SECONDS");
  }
  const std::time_t start = models_instant_time(at);
  const long seconds = std::stol(step);
  auto readings = std::make_shared<std::atomic<long>>(0);
  return [=] { return start + static_cast<std::time_t>(seconds * readings->fetch_add(1)); };
}

std::unique_ptr<Backend> api_backend_make(const std::string& name, const BackendContext& context) {
  if (name.empty()) throw InputError("--backend api:<name>: the model name is empty");
  const ModelsFile file = models_file_load(context.models_file);
  ModelsFile one;
  one.path = file.path + " with --backend-opt";
  one.models = {
      api_model_with_options(entry_for_run(file.at(name), context.gen_kwargs), context.options)};
  one.validate();  // the overrides obey the file's rules
  ModelEntry& m = one.models.front();
  check_prices(&m, file.at(name).model);
  ApiBackendOptions o;
  o.entry_model = file.at(name).model;
  if (auto it = context.options.find("ca_file"); it != context.options.end()) {
    o.ca_file = it->second;
  }
  if (!m.api_key_env.empty()) {
    const char* key = std::getenv(m.api_key_env.c_str());
    if (!key || !*key) {
      throw InputError("api:" + name + ": the environment variable " + m.api_key_env +
                       " (api_key_env in " + file.path + ") is not set");
    }
    o.api_key = key;
  }
  o.should_stop = context.should_stop;
  o.now = fake_clock();
  return std::make_unique<ApiBackend>(std::move(m), std::move(o));
}

}  // namespace

void api_register(BackendRegistry& registry) {
  registry.add({"api", true, "api:<model name>", api_backend_make});
}

}  // namespace moebench
