// The baselines of a nightly entry: the earlier nights that passed its gate, and the newest of
// them that ran each of tonight's suites (a night without a suite does not end its regression).
#pragma once

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "reports/run_load.h"
#include "reports/suite_result.h"

namespace moebench {

// Whether `s` is a night's date as the nightly names runs: YYYY-MM-DD's shape.
bool nightly_is_date(const std::string& s);

// The gate.json of `night`, or null for a night never gated (run by hand, or before the gate).
nlohmann::json nightly_night_gate(const std::filesystem::path& results, const std::string& night);

// The baselines: every "<entry>-<date>" run under results with date < night whose night was
// gated and passed for this entry, newest first. A failed night is never one, so a regression
// that persists fails every night until it is fixed or a human accepts it (a pinned `baseline`).
// `skipped`, when given, gets each earlier night's run that is none, newest first, with why
// ("entry-2026-12-01 regressed").
std::vector<std::string> nightly_passing_runs(const std::filesystem::path& results,
                                              const std::string& entry, const std::string& night,
                                              std::vector<std::string>* skipped = nullptr);

// The passing runs of an entry, newest first, each read once when first needed.
struct NightlyBaselineRuns {
  std::filesystem::path results;
  std::vector<std::string> ids;
  std::map<std::string, RunSummary> loaded;
  const RunSummary& get(const std::string& id);
};

// Tonight's suite `s` (of run `b`) against the newest of runs->ids that ran it: "" with *run set
// to it when they compare; how it changed since when set up differently ("samples -> datasets",
// suite_setup_change's); "" with *run empty when none ran it.
std::string nightly_suite_baseline(const SuiteResult& s, const RunSummary& b,
                                   NightlyBaselineRuns* runs, std::string* run);

}  // namespace moebench
