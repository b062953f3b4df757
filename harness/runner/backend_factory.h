// Backend names on the command line -> Backend objects, through the one registry of backends/
// (every scheme registered here, in one place), and the oracle's answers from the planned suites.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "harness/runner/runner.h"

namespace moebench {

// Builds the backend --backend names, with its --backend-opt options; InputError for an unknown
// name or a bad option, before any suite is loaded (planning uses the backend's info()). The
// backend admits no more requests once Ctrl-C was pressed or `stop` (when given) returns true.
std::unique_ptr<Backend> backend_create(const RunOptions& options,
                                        std::function<bool()> stop = nullptr);

// Gives the oracle backend its answer key from the planned suites; other backends need none.
void backend_give_answers(Backend& backend, const std::vector<SuiteRun>& runs);

}  // namespace moebench
