// The nightly gate: each entry's run compared with its run of the previous night (per-suite
// paired tests), the kernel benchmarks against the previous night's, and what is published: the
// site, nights/<night>/summary.md and gate.json, $GITHUB_STEP_SUMMARY, one stderr line per
// regression.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "harness/cli/nightly_config.h"
#include "reports/bench_history.h"
#include "reports/compare_runs.h"

namespace moebench {

struct NightlyEntryResult {
  std::string entry, run_id;
  std::string previous;  // the previous night's run id; "" on the first night
  std::optional<RunComparison> comparison;
  // Suites in both nights that are not compared, with how they changed ("suite version 1.0 ->
  // 1.1"): tonight is their new baseline; none of them fails the gate.
  struct NewBaseline {
    std::string suite, change;
  };
  std::vector<NewBaseline> new_baselines;
  std::string error;  // the entry could not be merged or compared (one line)
  // The SHA-256 of tonight's samples.jsonl as gated: a night is a later night's baseline only
  // while its run on disk is still this one (the run stage may have replaced it since).
  std::string samples_sha256;
};

struct NightlyKernels {
  std::string state;  // "skipped (...)" | "ran" | "failed: ..."
  std::filesystem::path file, previous;
  std::vector<BenchDelta> deltas;
  bool regression = false;
};

// InputError when more than the entry's max_error_rate of tonight's samples failed (the gate of
// `moebench run`, applied to the whole run of a sharded entry), or tonight's run is missing.
void nightly_check_errors(const NightlyConfig& c, const NightlyEntry& e,
                          const NightlyEntryResult& r);

// Finds the previous night's run of r->entry under c.results and compares it with r->run_id on
// the suites both ran. InputError when tonight's run is missing.
void nightly_compare_entry(const NightlyConfig& c, const std::string& night, NightlyEntryResult* r);

// Runs the kernel benchmarks when the config says so (and, for "gpu", a GPU is present) into
// <results>/bench/<night>.json and compares them with the latest earlier file there.
NightlyKernels nightly_kernels(const NightlyConfig& c, const std::string& night);

// Writes the site and the summaries; returns kExitRegression when anything regressed or failed.
int nightly_publish(const NightlyConfig& c, const std::string& night,
                    const std::vector<NightlyEntryResult>& entries, const NightlyKernels& kernels);

}  // namespace moebench
