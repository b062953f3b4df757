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
  // The baseline: the latest earlier night that passed (or the pinned run); "" on the first night.
  std::string previous;
  // Without a baseline while the entry has earlier nights: why none is one ("no passing night:
  // e-2026-12-01 regressed; ..."); "" on its first night.
  std::string no_baseline;
  std::optional<RunComparison> comparison;  // the suites `previous` ran too
  // Suites `previous` did not run, each compared with the latest passing night that did (a night
  // without a suite does not end its regression), one comparison per such night.
  struct Earlier {
    std::string previous;
    RunComparison comparison;
  };
  std::vector<Earlier> earlier;
  // Tonight's suites that are not compared, with why ("suite version 1.0 -> 1.1", "samples ->
  // datasets", "no passing night ran it"): tonight is their new baseline; none fails the gate.
  struct NewBaseline {
    std::string suite, change;
  };
  std::vector<NewBaseline> new_baselines;
  // Suites `previous` ran that tonight's run lacks: listed, not compared.
  struct Dropped {
    std::string suite, previous;
  };
  std::vector<Dropped> dropped;
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

// Compares each suite of r->run_id with the latest earlier night under c.results that passed the
// gate for r->entry and ran it (the pinned baseline alone when the entry has one); a suite set up
// differently or that no such night ran is a new baseline. InputError when tonight's run is
// missing.
void nightly_compare_entry(const NightlyConfig& c, const std::string& night, NightlyEntryResult* r);

// Runs the kernel benchmarks when the config says so (and, for "gpu", a GPU is present) into
// <results>/bench/<night>.json and compares them with the latest earlier file there.
NightlyKernels nightly_kernels(const NightlyConfig& c, const std::string& night);

// Writes the site and the summaries; returns kExitRegression when anything regressed or failed.
int nightly_publish(const NightlyConfig& c, const std::string& night,
                    const std::vector<NightlyEntryResult>& entries, const NightlyKernels& kernels);

}  // namespace moebench
