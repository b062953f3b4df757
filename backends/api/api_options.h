// `--backend api:<name>`: the named model of the models file, with --backend-opt overrides
// (base_url, limits, timeouts, ...) and its key read from the environment.
#pragma once

#include <map>
#include <string>

#include "backends/backend_registry.h"
#include "backends/models_file.h"

namespace moebench {

// Registers the "api:<model name>" scheme. Its factory fails with an InputError naming the models
// file, the option or the missing environment variable.
void api_register(BackendRegistry& registry);

// The entry after the --backend-opt overrides (exposed for tests).
ModelEntry api_model_with_options(ModelEntry model,
                                  const std::map<std::string, std::string>& backend_options);

}  // namespace moebench
