// Google Benchmark JSON files (results/bench/*.json, one per nightly run) read back for the
// reports: per benchmark the repetition times of each run, the change of the median between two
// runs and a two-sided Mann-Whitney U test of it, as google/benchmark's tools/compare.py does.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace moebench {

struct BenchRun {
  std::filesystem::path file;
  std::string date;  // context.date
  // context.date as seconds since the epoch, its UTC offset applied (google/benchmark writes
  // local time with the offset; a date without one is read as UTC); nullopt when it is no ISO
  // 8601 date and time.
  std::optional<long long> utc_s;
  std::string host;  // context.host_name
  std::string gpu;   // context.gpu (moebench-kernels: the device's name, "none"); "" when absent
  // run_name -> real times of its repetitions, in nanoseconds (iteration entries; the median
  // aggregate alone when the file holds aggregates only).
  std::map<std::string, std::vector<double>> times_ns;
  // run_name -> the repetitions its median aggregate summarises (0 when the file does not say),
  // for a benchmark the file holds aggregates of and no repetition times
  // (--benchmark_report_aggregates_only): its times_ns is that median alone.
  std::map<std::string, size_t> aggregates_only;
  std::map<std::string, std::string> errors;  // run_name -> error_message of a failed benchmark
  // run_name -> its user counters (GB_per_s, pct_copy_bw, ...): the median aggregate's, or the
  // last repetition's when the file has no aggregate for it.
  std::map<std::string, std::map<std::string, double>> counters;
};

// Whether `a` was measured before `b`: by instant (runs without a readable date first, by its
// text), then file name.
bool bench_older(const BenchRun& a, const BenchRun& b);

// "YYYY-MM-DD[T ]HH:MM:SS[.fff][Z|+HH:MM|+HHMM]" as seconds since the epoch; nullopt otherwise.
std::optional<long long> bench_date_utc_s(const std::string& date);

// The run history[i] is compared with in the reports: the latest earlier one measured on the same
// GPU (times on another device are no baseline), or nullptr.
const BenchRun* bench_previous_comparable(const std::vector<BenchRun>& history, size_t i);

// One Google Benchmark JSON file. InputError names the file and field.
BenchRun bench_load_run(const std::filesystem::path& file);

// The repetitions `run` measured of benchmark `name` (0 when it has no time of it): its times, or
// for an aggregates-only benchmark the repetitions its median summarises (1 when the file does not
// say).
size_t bench_repetitions(const BenchRun& run, const std::string& name);

// Every *.json under DIR, oldest first (bench_older). Unreadable files are left
// out with their one-line error appended to `problems`. An absent DIR gives no runs.
std::vector<BenchRun> bench_load_history(const std::filesystem::path& dir,
                                         std::vector<std::string>* problems);

struct BenchDelta {
  std::string name;
  std::optional<double> base_median_ns, new_median_ns;  // absent when a run lacks the benchmark
  // new median / base median - 1 (+ = slower); absent unless both runs measured the benchmark.
  std::optional<double> change;
  std::optional<double> p_value;  // U test; absent with fewer than 2 values on a side
  // The repetitions each run measured (0: the run lacks the benchmark); for an aggregates-only
  // file the repetitions its median summarises (1 when the file does not say).
  size_t base_reps = 0, new_reps = 0;
  bool significant = false;  // p < alpha
  bool regression = false;   // significant and slower by more than the threshold
  bool improvement = false;  // significant and faster by more than the threshold
  // The new run reports an error for a benchmark the base measured (a kernel that fails its check
  // or its launch now): the gate fails on it as on a regression.
  bool failed = false;
  // Slower by more than the threshold, but too few repetitions for the U test to reach alpha
  // however clear the change (3 against 3: p >= 0.1): shown, not counted as a regression.
  bool untestable = false;
  // A run holds the median aggregate of it and no repetition times: no U test can be made.
  bool aggregates_only = false;
  std::string note;  // e.g. "fewer than 9 repetitions: the U test is weak"
};

constexpr size_t kBenchMinRepetitions = 9;  // compare.py's advice for a meaningful U test
// A change of exactly the threshold is within it: 10.5 / 10 - 1 is 0.050000000000000044.
constexpr double kBenchTolerance = 1e-9;

// Every benchmark in either run, by name.
std::vector<BenchDelta> bench_compare(const BenchRun& base, const BenchRun& next, double threshold,
                                      double alpha);

// A row's verdict as plain text: "regression", the note of a failed benchmark, "faster", a
// significant change within the threshold ("slower, within the 5.0% threshold"), the note, or "no
// significant change".
std::string bench_verdict(const BenchDelta& d, double threshold);

// A threshold (0.05) in percent at the change column's precision: "5.0%", "5.04%", "4.99%" (one
// decimal where that is exact, else two), so a verdict can be read off the row beside it.
std::string bench_threshold_text(double threshold);

// The comparison as a Markdown table (every benchmark; regressions in bold), with a header line
// naming the files and the test settings. `terminal`: for a terminal or a log, where '<' is
// itself rather than the &lt; that keeps HTML out of rendered Markdown.
std::string bench_compare_markdown(const BenchRun& base, const BenchRun& next,
                                   const std::vector<BenchDelta>& deltas, double threshold,
                                   double alpha, bool terminal = false);

// True when PATH looks like a Google Benchmark JSON file rather than a run directory.
bool bench_is_json_file(const std::filesystem::path& path);

// "12.3 us" style rendering of a nanosecond time.
std::string bench_format_ns(double ns);

}  // namespace moebench
