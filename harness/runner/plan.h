// Planning a run: open suites, build scorers, pick documents (shard, limit), build requests.
#pragma once

#include "harness/runner/runner.h"

namespace moebench {

// Opens every requested suite (InputError for unknown suites, bad specs, missing or bad data,
// unknown metrics) and fills instance, scorer, docs, requests and hashes of each SuiteRun.
std::vector<SuiteRun> plan_suites(const RunOptions& options, const BackendInfo& backend);

// The request for one document of a suite (its `repeat`-th run), as `backend` should see it.
Request plan_request(const SuiteRun& run, const Doc& doc, bool chat, uint64_t seed, int repeat = 0);

}  // namespace moebench
