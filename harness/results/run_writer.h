// Writes results/<run-id>/run.json and samples.jsonl. Both files are written into a hidden
// partial directory which is renamed into place when complete: a reader never sees half a run.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>

#include "harness/runner/runner.h"
#include "reports/run_load.h"

namespace moebench {

// run.json as a JSON value (also used by the CLI summary).
nlohmann::json results_run_json(const RunOutcome& outcome, const RunOptions& options);
// One samples.jsonl record.
// `backend_prices` (BackendInfo::prices) prices the sample's tokens when it was sent this run.
nlohmann::json results_sample_json(const SuiteRun& run, size_t doc,
                                   const nlohmann::json& backend_prices);
// Writes both files; returns the final directory.
std::filesystem::path results_write(const RunOutcome& outcome, const RunOptions& options);

// Checks a given --run-id: one path component of letters, digits, '.', '_' and '-' not starting
// with '.', naming an existing run only when `force` is set; otherwise InputError naming --run-id.
void results_check_run_id(const std::string& wanted, const std::filesystem::path& results_dir,
                          bool force);
// The directory name a run writes under: `wanted` once checked, or when empty `generated`, with
// "-2", "-3", ... appended while a run of that name exists.
std::string results_choose_run_id(const std::string& wanted, const std::string& generated,
                                  const std::filesystem::path& results_dir, bool force);

// Writes `content` to `path` via a temporary file, fsync and rename.
void results_write_file_atomic(const std::filesystem::path& path, const std::string& content);

}  // namespace moebench
