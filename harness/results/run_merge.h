// `moebench merge`: the runs of `--shard i/N` (from any machines) into one run whose samples.jsonl
// and metrics equal those of the same run made unsharded. Shard i of N holds documents i, i+N,
// i+2N, ... of each suite's selection, so the merged samples interleave the shards back into the
// unsharded order, and every metric is aggregated again from them by the run's own aggregation.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "common/error_gate.h"
#include "reports/run_record.h"

namespace moebench {

struct MergeOptions {
  std::vector<std::filesystem::path> runs;  // run directories (each with run.json, samples.jsonl)
  std::filesystem::path out;                // the merged run's directory; its name is the run id
  bool force = false;                       // replace an existing `out`
  std::string command_line;                 // recorded in run.json
  double max_error_rate = kDefaultMaxErrorRate;  // --max-error-rate, recorded in run.json options
};

struct MergeResult {
  std::filesystem::path dir;
  int shard_count = 0;
  RunRecord record;  // the merged run.json
  // The failed samples by error type: how many, and the first in the merged samples.jsonl.
  struct Failures {
    long count = 0;
    std::string first_doc, first_message;  // "suite/doc_id", its error message
  };
  std::map<std::string, Failures> failures;
};

// InputError, one line, when the runs cannot be merged: a run that is not a shard of the same run
// (backend id, seed, limit, data scope, suite set, suite version or spec, moebench version: naming
// both runs and the field), shards missing or given twice, a document in two shards, or
// samples.jsonl disagreeing with run.json. Nothing is written then.
MergeResult merge_runs(const MergeOptions& options);

}  // namespace moebench
