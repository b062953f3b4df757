// The nightly config (a JSON file): models x suites x limits, shard counts, where the nights'
// results are kept, the gate's thresholds and the kernel benchmarks. Checked field by field:
// every error names the file and the field.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/error_gate.h"

namespace moebench {

struct NightlyEntry {
  std::string name;     // run ids: <name>-<night>, shards <name>-<night>-shard<i>
  std::string backend;  // as `moebench run --backend`
  std::vector<std::string> suites;
  std::optional<long> limit;
  int shards = 1;
  uint64_t seed = 1234;
  bool samples = false;  // the bundled sample items instead of the data dir
  std::map<std::string, std::string> backend_opts;
  double max_error_rate = kDefaultMaxErrorRate;
  // The run every night is compared with, pinned (a run id under results: "model-2026-12-02", to
  // accept a change the gate failed); "" = the latest earlier night that passed the gate.
  std::string baseline;
};

struct NightlyConfig {
  std::filesystem::path file;
  std::filesystem::path results;   // every night's runs, bench/, site/, nights/<night>/
  std::filesystem::path data_dir;  // "" = the default chain
  std::filesystem::path models;    // "" = the default models file
  // Suite dirs added to the shipped suites (`run --include-path`), each checked to exist.
  std::vector<std::filesystem::path> include_path;
  double alpha = 0.05;                       // gate: significance of the per-suite paired tests
  double threshold = 0.01;                   // gate: a drop must also exceed this (0.01 = 1 point)
  double kernel_threshold = 0.05;            // gate: a kernel slowdown must also exceed this (5%)
  std::string kernels_run = "gpu";           // "gpu" (when one is present) | "always" | "never"
  std::vector<std::string> kernels_command;  // argv writing Google Benchmark JSON to stdout
  std::vector<NightlyEntry> entries;
  const NightlyEntry& entry(const std::string& name) const;  // InputError naming the entries
};

// Reads and checks the config; paths in it are relative to its directory. `kernels_default` is
// the benchmark command used when the config names none.
NightlyConfig nightly_config_read(const std::filesystem::path& file,
                                  const std::vector<std::string>& kernels_default);

}  // namespace moebench
