// Writes results/<run-id>/run.json and samples.jsonl. Both files are written into a hidden
// partial directory which is renamed into place when complete: a reader never sees half a run.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>

#include "harness/results/run_claim.h"
#include "harness/runner/runner.h"
#include "reports/run_load.h"

namespace moebench {

// run.json as a JSON value (also used by the CLI summary).
nlohmann::json results_run_json(const RunOutcome& outcome, const RunOptions& options);
// One samples.jsonl record. The backend's price tables price the sample's tokens when it was sent
// this run, each attempt at the table in effect when it was sent.
nlohmann::json results_sample_json(const SuiteRun& run, size_t doc, const BackendInfo& backend);
// Writes both files into the claimed partial directory, then publishes it (replacing a finished
// run of that name only with --force); returns the final directory.
std::filesystem::path results_write(const RunOutcome& outcome, const RunOptions& options,
                                    RunClaim& claim);

}  // namespace moebench
