// Backend names on the command line -> Backend objects. Validation backends (oracle, replay) live
// here; the built-in engine and API backends join as their issues land.
#pragma once

#include <memory>

#include "harness/runner/runner.h"

namespace moebench {

// What the named backend can do, known before any suite is loaded (planning needs it).
BackendInfo backend_capabilities(const RunOptions& options);
// Builds the backend; the oracle reads its answer key from the planned suites.
std::unique_ptr<Backend> backend_create(const RunOptions& options,
                                        const std::vector<SuiteRun>& runs);

}  // namespace moebench
