// Flags and output shared by the moebench subcommands.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "backends/builtin/server.h"
#include "harness/runner/runner.h"

namespace moebench {

// Exit codes (README "Exit codes").
constexpr int kExitOk = 0;
constexpr int kExitInternal = 1;
constexpr int kExitBadInput = 2;
constexpr int kExitSelfcheckFailed = 3;
// run/rescore: results written, but more than --max-error-rate of the samples failed.
constexpr int kExitTooManyErrors = 4;
constexpr int kExitInterrupted = 130;
// compare: a significant drop beyond the threshold (a CI gate; bad input is still 2).
constexpr int kExitRegression = 1;

struct CommonFlags {
  std::string data_dir;
  std::string tasks_dir;
  std::string suites;  // comma-separated
  bool samples = false;
  long limit = -1;
  bool sandbox_rlimits_only = false;
  int sandbox_workers = 0;
  std::string results_dir = "results";
  bool no_progress = false;
  double progress_interval_s = 10;
  double max_error_rate = 0.05;
};

void cli_add_common_flags(CLI::App* app, CommonFlags* flags);
// Fills the parts of RunOptions the common flags decide; InputError when the data dir is
// missing and --samples is not given.
void cli_apply_common_flags(const CommonFlags& flags, RunOptions* options);
// The tasks dir: --tasks-dir, $MOEBENCH_TASKS, the source tree's tasks/.
std::string cli_tasks_dir(const std::string& flag);
// The data dir: --data-dir, $MOEBENCH_DATA, ../shared/datasets (from the working directory,
// then from the source tree).
std::string cli_data_dir(const std::string& flag);

// Prints a per-suite metrics table to stdout.
void cli_print_summary(const RunOutcome& outcome);
// The failed samples by error type, with the first message of each, on stderr (nothing when
// none failed); returns the share of samples that failed.
double cli_print_errors(const RunOutcome& outcome);

int cli_list(const CommonFlags& flags, bool json, bool show_scoring);
int cli_run(RunOptions options);
int cli_selfcheck(RunOptions options, bool chat_too);
int cli_serve(const std::string& dir, const ServeOptions& options);

struct ModelInitFlags {
  std::string family, preset = "tiny", out, dtype, tasks_dir, weights = "random";
  uint64_t seed = 0;
  std::vector<std::string> sets;
  bool force = false;
};
void cli_add_model_init(CLI::App* model, ModelInitFlags* flags);
int cli_model_init(const ModelInitFlags& flags);

struct ModelBenchFlags {
  std::string dir, json_out;
  std::vector<int> batches = {1, 8};
  std::vector<int> prompts = {128};  // context lengths (prompt tokens per sequence)
  int tokens = 64, threads = 0, warmup = 2;
  std::string prefill;          // "SEQSxLEN", e.g. 8x2048: one timed prefill of SEQS prompts of LEN
  std::string device = "auto";  // auto | cpu | cuda | cuda:N
};
void cli_add_model_bench(CLI::App* model, ModelBenchFlags* flags);
int cli_model_bench(const ModelBenchFlags& flags);

struct ReportFlags {
  std::string results_dir = "results", out, format = "html", title = "moebench leaderboard";
  double machine_usd_per_hour = 0, bench_threshold = 0.05, alpha = 0.05;
  std::vector<std::string> rank_suites;  // --rank-suites a,b,c
};
CLI::App* cli_add_report(CLI::App* app, ReportFlags* flags);
int cli_report(const ReportFlags& flags);

struct CompareFlags {
  std::string run_a, run_b, format = "text", out;
  double alpha = 0.05;
  double threshold = -1;  // unset: 0.01 (1 point) for runs, 0.05 (5%) for benchmarks
  bool all_metrics = false;
  std::vector<std::string> suites;  // empty: every suite of either run
};
CLI::App* cli_add_compare(CLI::App* app, CompareFlags* flags);
int cli_compare(const CompareFlags& flags);

}  // namespace moebench
