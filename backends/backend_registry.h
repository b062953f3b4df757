// The backends by name: each scheme ("oracle", "oracle-chat", "replay:<file>",
// "builtin:<checkpoint dir>", "api:<model name>") maps to the factory that parses its own
// --backend-opt options and builds it. Each backend registers its schemes
// (oracle_register, replay_register, builtin_register, api_register); the harness assembles them.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "backends/backend.h"

namespace moebench {

// What any factory may use besides its own argument.
struct BackendContext {
  std::map<std::string, std::string> options;  // --backend-opt key=value
  std::string models_file;                     // the models file naming the api: backends
  std::function<bool()> should_stop;           // polled while a call runs (SIGINT)
  // The keys given with --gen-kwargs: an explicit flag wins over a models file's generation.
  std::set<std::string> gen_kwargs;
};

// `arg` is what follows "scheme:" (empty for a scheme without one).
using BackendFactory =
    std::function<std::unique_ptr<Backend>(const std::string& arg, const BackendContext& context)>;

struct BackendScheme {
  std::string name;   // "oracle", "replay", ...
  bool takes_arg;     // written "name:<arg>" (true) or "name" alone (false)
  std::string usage;  // how --backend names it, e.g. "replay:<samples.jsonl>"
  BackendFactory make;
};

class BackendRegistry {
 public:
  void add(BackendScheme scheme);
  // Builds the backend `spec` names; InputError "--backend 'x': unknown backend (known: ...)"
  // when no scheme matches.
  std::unique_ptr<Backend> make(const std::string& spec, const BackendContext& context) const;
  std::string known() const;  // the usages, comma-separated, in registration order

 private:
  std::vector<BackendScheme> schemes_;
};

}  // namespace moebench
