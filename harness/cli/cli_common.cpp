// Shared flag handling and the summary table.
#include "harness/cli/cli_common.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>

#include "common/error.h"
#include "common/version.h"
#include "harness/cli/cli_checks.h"
#include "harness/data/data_dir.h"
#include "tasks/profile.h"
#include "tasks/suite.h"

namespace moebench {
namespace fs = std::filesystem;

void cli_add_common_flags(CLI::App* app, CommonFlags* f) {
  // NOTE: a callback, not CLI11's string conversion, which reads past the end of an empty list
  // (a config file's `suites = []`: SIGSEGV); an empty list names nothing, as "" does.
  auto join = [f](const CLI::results_t& names) {
    if (names.empty()) throw CLI::ValidationError("--suites", cli_name_list()(std::string()));
    f->suites = names.front();
    return true;
  };
  app->add_option("--suites", CLI::callback_t(join),
                  "Comma-separated suite names, each SUITE or SUITE@PROFILE (default: every suite "
                  "the profile covers)")
      ->type_name("TEXT")
      ->check(cli_name_list())
      ->delimiter(',')  // a config file's list (suites = ["gsm8k", "mmlu"]) too
      ->multi_option_policy(CLI::MultiOptionPolicy::Join);
  app->add_option("--profile", f->profile,
                  "Evaluation profile for suites named without @PROFILE: lm-eval (default), "
                  "deepseek-v3-base, chat, ... (`moebench list` prints them)");
  app->add_option("--data-dir", f->data_dir,
                  "Dataset root (default: $MOEBENCH_DATA, then $XDG_CACHE_HOME/moebench/data or "
                  "~/.cache/moebench/data; a development checkout reads ../shared/datasets while "
                  "that cache is absent)");
  app->add_option("--tasks-dir", f->tasks_dir, "Suite specs (default: $MOEBENCH_TASKS, tasks/)");
  cli_add_include_path(app, &f->include_path);
  app->add_flag("--samples", f->samples, "Use the bundled sample items under tasks/samples/");
  app->add_option("--limit", f->limit,
                  "First N documents of each suite, of each subject in a suite of subjects "
                  "(lm-eval's per task)")
      ->check(cli_integer(1));
  app->add_option("--results-dir", f->results_dir, "Where runs are written")->capture_default_str();
  app->add_flag("--sandbox-rlimits-only", f->sandbox_rlimits_only,
                "Run generated code with rlimits only when namespaces are unavailable (weaker)");
  app->add_option("--sandbox-workers", f->sandbox_workers, "Programs run at once (0 = cores)")
      ->check(cli_integer(0, 4096));
  app->add_flag("--no-progress", f->no_progress, "No progress output on stderr");
  app->add_option("--progress-interval", f->progress_interval_s,
                  "Seconds between progress lines when stderr is not a terminal")
      ->check(cli_number_above(0, true))
      ->capture_default_str();
  app->add_option("--max-error-rate", f->max_error_rate,
                  "Exit 4 when more than this share of the samples failed (results are still "
                  "written); 1 never fails")
      ->check(cli_number_above(0, false, 1))
      ->capture_default_str();
}

std::string cli_tasks_dir(const std::string& flag) {
  if (!flag.empty()) return flag;
  if (const char* env = std::getenv("MOEBENCH_TASKS"); env && *env) return env;
  return MOEBENCH_DEFAULT_TASKS_DIR;
}

void cli_add_include_path(CLI::App* app, std::vector<std::string>* dirs) {
  app->add_option("--include-path", *dirs,
                  "A suite directory whose suites and profiles add to the tasks dir's (its "
                  "<area>/<suite>.json, profiles/, samples/ and data/; repeatable)")
      ->allow_extra_args(false);
}

TaskDirs cli_task_dirs(const CommonFlags& f) { return cli_task_dirs(f.tasks_dir, f.include_path); }

TaskDirs cli_task_dirs(const std::string& tasks_dir, const std::vector<std::string>& include_path) {
  TaskDirs dirs(cli_tasks_dir(tasks_dir));
  if (!fs::is_directory(dirs.main)) {
    throw InputError("tasks dir '" + dirs.main.string() + "' not found (--tasks-dir)");
  }
  for (const std::string& d : include_path) {
    if (!fs::is_directory(d)) throw InputError("--include-path '" + d + "': no such directory");
    dirs.include.push_back(fs::absolute(d).lexically_normal());
  }
  return dirs;
}

std::string cli_data_dir(const std::string& flag) { return data_dir_resolve(flag).path.string(); }

void cli_apply_common_flags(const CommonFlags& f, RunOptions* o) {
  const TaskDirs dirs = cli_task_dirs(f);
  o->source.tasks_dir = dirs.main;
  o->source.include_dirs = dirs.include;
  o->source.samples = f.samples;
  o->source.data_dir = cli_data_dir(f.data_dir);
  o->suites.clear();
  std::string cur;
  for (char c : f.suites + ",") {
    if (c == ',') {
      if (!cur.empty()) o->suites.push_back(cur);
      cur.clear();
    } else if (c != ' ') {
      cur += c;
    }
  }
  if (!f.profile.empty()) o->profile = f.profile;
  if (f.limit > 0) o->limit = f.limit;
  o->results_dir = f.results_dir;
  o->sandbox.allow_rlimits_only = f.sandbox_rlimits_only;
  o->sandbox.workers = f.sandbox_workers;
  o->progress = !f.no_progress;
  o->progress_interval_s = f.progress_interval_s;
  o->max_error_rate = f.max_error_rate;
}

int cli_report_error(const std::exception& error, const std::string& context) {
  int code = kExitInternal;
  if (dynamic_cast<const InputError*>(&error)) code = kExitBadInput;
  if (dynamic_cast<const EnvironmentError*>(&error)) code = kExitEnvironment;
  std::fprintf(stderr, "moebench: %s: %s%s\n", code == kExitInternal ? "internal error" : "error",
               context.c_str(), error.what());
  return code;
}

void cli_print_table_header() {
  std::printf("%-22s %-30s %10s %10s %7s %7s\n", "suite", "metric", "value", "stderr", "n",
              "errors");
}

void cli_print_table_row(const std::string& suite, const std::string& metric, const MetricStat& m,
                         const std::string& errors) {
  char err[32] = "N/A";  // below two documents, as lm-eval prints it
  if (m.has_stderr()) std::snprintf(err, sizeof err, "%.4f", m.stderr_);
  std::printf("%-22s %-30s %10.4f %10s %7ld %7s\n", suite.c_str(), metric.c_str(), m.mean, err, m.n,
              errors.c_str());
}

void cli_print_summary(const RunOutcome& o) {
  cli_print_table_header();
  for (const SuiteRun& run : o.suites) {
    long errors = 0;
    for (const auto& [type, n] : run.errors) errors += n;
    bool first = true;
    for (const MetricKey& k : run.scorer->keys()) {
      cli_print_table_row(first ? run.instance->spec().key() : "", k.id(), run.metrics.at(k.id()),
                          first ? std::to_string(errors) : "");
      first = false;
    }
  }
}

void cli_warn_token_limit(const std::string& suite,
                          const std::map<std::string, long>& finish_reasons) {
  long answers = 0;  // those whose finish reason the API told
  for (const auto& [why, n] : finish_reasons) answers += n;
  if (auto cut = finish_reasons.find("length"); cut != finish_reasons.end()) {
    std::fprintf(stderr,
                 "moebench: warning: %s: %ld of %ld answers stopped at the token limit "
                 "(finish_reason length), cut off and scored as they are; give them more "
                 "room: --gen-kwargs max_tokens=N\n",
                 suite.c_str(), cut->second, answers);
  }
}

void CliFailures::add(const std::string& type, const std::string& where, const std::string& message,
                      long count) {
  failed += count;
  Kind& k = kinds[type];
  if (k.count == 0) {
    k.first = where + ": " + message;
    if (k.first.size() > 300) k.first = k.first.substr(0, 300) + "...";
  }
  k.count += count;
}

double CliFailures::print(long docs) const {
  const double share = docs > 0 ? static_cast<double>(failed) / docs : 0.0;
  if (failed == 0) return share;
  std::fprintf(stderr, "moebench: %ld of %ld samples failed (%.1f%%); they count 0:\n", failed,
               docs, 100 * share);
  for (const auto& [type, k] : kinds) {
    std::fprintf(stderr, "  %-12s %6ld  first: %s\n", type.c_str(), k.count, k.first.c_str());
  }
  return share;
}

void cli_warn_truncated_thinking(const std::string& suite, long truncated, long documents) {
  if (truncated <= 0) return;
  std::fprintf(stderr,
               "moebench: warning: %s: %ld of %ld documents stopped while thinking "
               "(truncated_thinking: an answer cut off inside its thinking, scored 0); give "
               "the reasoning more room: --gen-kwargs max_tokens=N or thinking_budget=N\n",
               suite.c_str(), truncated, documents);
}

double cli_print_errors(const RunOutcome& o) {
  CliFailures failures;
  for (const SuiteRun& run : o.suites) {
    const std::string suite = run.instance->spec().key();
    const long per = std::max(1, run.repeats);  // --repeats: a document's consecutive samples
    cli_warn_truncated_thinking(suite, run.truncated_thinking,
                                static_cast<long>(run.docs.size()) / per);
    cli_warn_token_limit(suite, run.finish_reasons);
    for (size_t d = 0; d < run.responses.size(); ++d) {
      const auto& e = run.responses[d].error;
      if (e) failures.add(error_type_name(e->type), suite + "/" + run.docs[d]->id, e->message);
    }
  }
  return failures.print(o.docs);
}

std::string cli_shell_word(const std::string& s) {
  const bool plain = !s.empty() && std::all_of(s.begin(), s.end(), [](char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) || (ch && std::strchr("%+,-./:=@_", ch));
  });
  if (plain) return s;
  std::string out = "'";
  for (char ch : s) out += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
  return out + "'";
}

void cli_check_suite_names(const RunOptions& o, bool profile_flag) {
  // Only "unknown ..." is the flag's; a spec or profile file's own error names that file.
  auto named = [](const std::string& flag, const auto& find) {
    try {
      find();
    } catch (const InputError& e) {
      const std::string what = e.what();
      if (what.rfind("unknown ", 0) != 0) throw;
      throw InputError(flag + ": " + what);
    }
  };
  const TaskDirs dirs = o.source.task_dirs();
  if (profile_flag) named("--profile", [&] { profile_find(dirs, o.profile); });
  for (const std::string& s : o.suites) {
    const std::string profile = profile_split_name(s).second;  // its own error for "@x", "x@"
    named("--suites", [&] { suite_find_spec(dirs, s.substr(0, s.find_first_of(":@"))); });
    if (!profile.empty()) named("--suites", [&] { profile_find(dirs, profile); });
  }
}

std::string cli_models_file(const std::string& flag) {
  if (!flag.empty()) return flag;
  if (const char* env = std::getenv("MOEBENCH_MODELS"); env && *env) return env;
  return MOEBENCH_SOURCE_DIR "/backends/models.json";
}

}  // namespace moebench
