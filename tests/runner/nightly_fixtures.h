// Helpers of the `moebench nightly` tests: replay answers, a benchmark file, lines of output.
#pragma once

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "tests/catch.h"
#include "tests/runner/cli_harness.h"

namespace moebench::testing {

inline const fs::path kData = fs::path(MOEBENCH_SOURCE_DIR "/../shared/datasets");

// The oracle's answers to the first 40 documents of gsm8k, mmlu and arc_challenge, as a replay
// file; with `planted` the gsm8k answers of every other document are wrong.
inline void write_answers(const fs::path& dir, const fs::path& out, bool planted) {
  const fs::path results = dir / "oracle-results";
  if (!fs::exists(results / "oracle")) {
    auto r = run_command(moebench_bin() +
                             " run --backend oracle --suites gsm8k,mmlu,arc_challenge "
                             "--limit 40 --no-progress --run-id oracle --data-dir '" +
                             kData.string() + "' --results-dir '" + results.string() + "'",
                         dir);
    REQUIRE(r.exit_code == 0);
  }
  std::ofstream file(out, std::ios::trunc);
  long k = 0;
  for (const std::string& line : read_lines(results / "oracle" / "samples.jsonl")) {
    nlohmann::json j = nlohmann::json::parse(line);
    if (planted && j["suite"] == "gsm8k" && k++ % 2 == 0)
      j["responses"] = {"So 123456789.\n#### 123456789"};
    file << j.dump() << "\n";
  }
}

// Writes dir/n.json: results in dir/out, the shared datasets, no kernel step, `entries`, and
// `extra` over those; returns the command line "moebench nightly 'dir/n.json' --no-progress".
inline std::string write_nightly_config(const fs::path& dir, const nlohmann::json& entries,
                                        const nlohmann::json& extra = nlohmann::json::object()) {
  nlohmann::json config = {{"schema", 1},
                           {"results", "out"},
                           {"data_dir", kData.string()},
                           {"kernels", {{"run", "never"}}},
                           {"entries", entries}};
  config.update(extra);
  std::ofstream(dir / "n.json", std::ios::trunc) << config.dump(2);
  return moebench_bin() + " nightly '" + (dir / "n.json").string() + "' --no-progress";
}

inline std::vector<std::string> lines_with(const std::string& text, const std::string& needle) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  for (std::string line; std::getline(ss, line);) {
    if (line.find(needle) != std::string::npos) out.push_back(line);
  }
  return out;
}

// A Google Benchmark JSON of one benchmark with 9 repetitions around `ns`, measured on `gpu`.
inline void write_bench(const fs::path& file, const std::string& date, double ns,
                        const std::string& gpu = "NVIDIA H200") {
  nlohmann::json j = {{"context", {{"date", date}, {"host_name", "gpu-box"}, {"gpu", gpu}}},
                      {"benchmarks", nlohmann::json::array()}};
  for (int i = 0; i < 9; ++i) {
    j["benchmarks"].push_back({{"name", "gpu/fake_gemm/m:64"},
                               {"run_name", "gpu/fake_gemm/m:64"},
                               {"run_type", "iteration"},
                               {"repetitions", 9},
                               {"repetition_index", i},
                               {"real_time", ns * (1 + 0.01 * i)},
                               {"time_unit", "ns"}});
  }
  std::ofstream(file) << j.dump(1);
}

}  // namespace moebench::testing
