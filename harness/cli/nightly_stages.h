// The stages of `moebench nightly`: plan (the shard matrix), run (the entries' runs of one night),
// finish (merge, compare with the previous night, kernels, site, summary; the gate).
#pragma once

#include <string>

#include "harness/cli/nightly_config.h"

namespace moebench {

struct NightlyOptions {
  std::string night;                      // YYYY-MM-DD
  std::string entry;                      // "" = every entry
  int shard_index = -1, shard_count = 0;  // --shard i/N; -1 = every shard
  bool progress = true;
  std::string command_line;
};

// The shard matrix as JSON: [{"entry": name, "shard": "i/N"}, ...].
std::string nightly_plan(const NightlyConfig& c, const NightlyOptions& o);
// Runs the entries (and shards) asked for; returns the worst run exit code.
int nightly_run(const NightlyConfig& c, const NightlyOptions& o);
// Merges, compares, runs the kernels, writes the site and summary; returns kExitRegression when
// an entry regressed, failed or lacks runs, kExitOk otherwise.
int nightly_finish(const NightlyConfig& c, const NightlyOptions& o);

}  // namespace moebench
