// Flags and output shared by the moebench subcommands.
#pragma once

#include <CLI/CLI.hpp>
#include <map>
#include <string>
#include <vector>

#include "common/error_gate.h"
#include "harness/runner/runner.h"

namespace moebench {

// Exit codes (README "Exit codes").
constexpr int kExitOk = 0;
constexpr int kExitInternal = 1;
constexpr int kExitBadInput = 2;
constexpr int kExitSelfcheckFailed = 3;
// run/rescore: results written, but more than --max-error-rate of the samples failed.
constexpr int kExitTooManyErrors = 4;
// data fetch / data status: some datasets could not be fetched (or are missing).
constexpr int kExitFetchFailed = 5;
// EnvironmentError: a results or cache file the system would not write (disk full, ...).
constexpr int kExitEnvironment = 6;
constexpr int kExitInterrupted = 130;
// compare: a significant drop beyond the threshold (a CI gate; bad input is still 2).
constexpr int kExitRegression = 1;

struct CommonFlags {
  std::string data_dir;
  std::string tasks_dir;
  std::vector<std::string> include_path;  // --include-path: suite dirs added to the tasks dir's
  std::string suites;   // comma-separated; "suite@profile" picks a profile for one suite
  std::string profile;  // --profile; "" = the command's default (run: lm-eval)
  bool samples = false;
  long limit = -1;
  bool sandbox_rlimits_only = false;
  int sandbox_workers = 0;
  std::string results_dir = "results";
  bool no_progress = false;
  double progress_interval_s = 10;
  double max_error_rate = kDefaultMaxErrorRate;
};

void cli_add_common_flags(CLI::App* app, CommonFlags* flags);
// --include-path DIR (repeatable), for commands without the other common flags.
void cli_add_include_path(CLI::App* app, std::vector<std::string>* dirs);
// Fills the parts of RunOptions the common flags decide; InputError when the data dir is
// missing and --samples is not given.
void cli_apply_common_flags(const CommonFlags& flags, RunOptions* options);
// The tasks dir: --tasks-dir, $MOEBENCH_TASKS, the source tree's tasks/.
std::string cli_tasks_dir(const std::string& flag);
// The tasks dir and the --include-path dirs, each checked to be a directory (InputError).
TaskDirs cli_task_dirs(const CommonFlags& flags);
TaskDirs cli_task_dirs(const std::string& tasks_dir, const std::vector<std::string>& include_path);
// The data dir: --data-dir, $MOEBENCH_DATA, the user cache (harness/data/data_dir.h).
std::string cli_data_dir(const std::string& flag);

// `s` as one word of a shell command line to paste: as is when it holds only characters no POSIX
// shell treats specially, else in single quotes.
std::string cli_shell_word(const std::string& s);

// Prints a per-suite metrics table to stdout.
void cli_print_summary(const RunOutcome& outcome);

// Reports a command's error as main does, one line on stderr: "moebench: error: CONTEXT..." for
// bad input (exit 2) and the environment (exit 6), "moebench: internal error: CONTEXT..." for
// anything else (exit 1); returns the exit code. `context` names where, e.g. a nightly cell.
int cli_report_error(const std::exception& error, const std::string& context = "");

// The summary table run and merge print: its header, and one metric's row ("N/A" stderr below
// two documents); suite and errors are empty on a suite's later rows.
void cli_print_table_header();
void cli_print_table_row(const std::string& suite, const std::string& metric, const MetricStat& m,
                         const std::string& errors);
// The failed samples by error type, with the first message of each, on stderr (nothing when
// none failed); returns the share of samples that failed.
double cli_print_errors(const RunOutcome& outcome);
// The same listing from samples gathered one by one (merge reads them back from samples.jsonl).
struct CliFailures {
  struct Kind {
    long count = 0;
    std::string first;  // "suite/doc: message"
  };
  std::map<std::string, Kind> kinds;  // error type -> its count and first sample
  long failed = 0;
  // `count` failed samples of `type`; `where` and `message` name the first when it is the first.
  void add(const std::string& type, const std::string& where, const std::string& message,
           long count = 1);
  double print(long docs) const;  // as cli_print_errors: the share of `docs` that failed
};
// Warns on stderr when `truncated` (> 0) of a suite's `documents` stopped while thinking (a
// document is flagged when one of its samples or repeats is).
void cli_warn_truncated_thinking(const std::string& suite, long truncated, long documents);
// Warns on stderr when some of a suite's answers stopped at the token limit.
void cli_warn_token_limit(const std::string& suite,
                          const std::map<std::string, long>& finish_reasons);

// Runs the evaluation of `options` (run, rescore) and prints the summary, the errors and where the
// results went; the exit code says whether the run can be trusted.
int cli_run(RunOptions options);

// --gen-kwargs "k=v,k=v" as pairs in order; InputError on a piece without key=value.
std::vector<std::pair<std::string, std::string>> cli_parse_gen_kwargs(const std::string& text);

// The suites of `o` (--suites, SUITE@PROFILE too) and, when `profile_flag`, --profile name a suite
// and profile of the tasks dirs: else InputError "--suites: unknown suite 'x' (known: ...)" or
// "--profile: unknown profile 'x' ...", which a config file's key can then be named for.
void cli_check_suite_names(const RunOptions& o, bool profile_flag);

// The models file: --models, $MOEBENCH_MODELS, the source tree's backends/models.json.
std::string cli_models_file(const std::string& flag);

}  // namespace moebench
