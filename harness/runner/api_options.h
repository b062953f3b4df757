// `--backend api:<name>`: the named model of the models file, with --backend-opt overrides
// (base_url, limits, timeouts, ...) and its key read from the environment.
#pragma once

#include <memory>

#include "backends/api/api_backend.h"
#include "harness/runner/runner.h"

namespace moebench {

// InputError naming the models file, the option or the missing environment variable.
std::unique_ptr<ApiBackend> api_backend_from_options(const RunOptions& options);

// The entry after the --backend-opt overrides (exposed for tests).
ModelEntry api_model_with_options(ModelEntry model,
                                  const std::map<std::string, std::string>& backend_options);

}  // namespace moebench
