// `moebench report`: the static leaderboard site, or the Markdown summary, of a results directory.
#include <cstdio>
#include <filesystem>
#include <memory>

#include "common/error.h"
#include "common/file_write.h"
#include "harness/cli/cli_checks.h"
#include "harness/cli/cli_common.h"
#include "harness/cli/command.h"
#include "reports/published_scores.h"
#include "reports/report_site.h"

namespace moebench {
namespace {

struct ReportFlags {
  std::string results_dir = "results", out, format = "html", title = "moebench leaderboard";
  double machine_usd_per_hour = 0, bench_threshold = 0.05, alpha = 0.05;
  std::vector<std::string> rank_suites;     // --rank-suites a,b,c
  std::string tasks_dir, published_scores;  // "": the default (cli_tasks_dir)/published_scores.json
};

CLI::App* add_report_flags(CLI::App* app, ReportFlags* f) {
  CLI::App* cmd = app->add_subcommand(
      "report", "Write the leaderboard site (or a Markdown summary) from a results directory");
  cmd->add_option("results_dir", f->results_dir, "Runs to report (each a dir with run.json)")
      ->capture_default_str();
  cmd->add_option("-o,--out", f->out,
                  "Output directory for html (default: RESULTS_DIR/site); a file for md "
                  "(default: stdout)");
  cmd->add_option("--format", f->format, "html | md")
      ->check(CLI::IsMember({"html", "md"}))
      ->capture_default_str();
  cmd->add_option("--title", f->title, "Page title")->capture_default_str();
  cmd->add_option("--machine-usd-per-hour", f->machine_usd_per_hour,
                  "Price per GPU-hour (or machine-hour) to cost built-in model runs")
      ->check(cli_number_above(0, false));
  cmd->add_option("--bench-threshold", f->bench_threshold,
                  "Kernel benchmarks: relative slowdown that counts as a regression")
      ->check(cli_number_above(0, false))
      ->capture_default_str();
  cmd->add_option("--alpha", f->alpha, "Significance level")
      ->check(cli_number_above(0, true, 0.5))
      ->capture_default_str();
  cmd->add_option("--rank-suites", f->rank_suites,
                  "Rank on these suites (comma-separated); default: the suite set that most "
                  "models x suites share")
      ->delimiter(',');
  cmd->add_option("--tasks-dir", f->tasks_dir,
                  "Suite specs and the published scores table (default: $MOEBENCH_TASKS, tasks/)");
  cmd->add_option("--published-scores", f->published_scores,
                  "Published scores to set beside runs that name a published model (default: "
                  "TASKS_DIR/published_scores.json, left out when absent)");
  return cmd;
}

int report(const ReportFlags& f) {
  ReportOptions options;
  options.machine_usd_per_hour = f.machine_usd_per_hour;
  options.bench_threshold = f.bench_threshold;
  options.alpha = f.alpha;
  options.title = f.title;
  options.rank_suites = f.rank_suites;
  if (f.published_scores.empty()) {
    options.published_scores = published_scores_default_file(cli_tasks_dir(f.tasks_dir));
  } else {
    // NOTE: a table named on the command line must exist; only the default may be absent.
    std::error_code ec;
    if (!std::filesystem::is_regular_file(f.published_scores, ec)) {
      throw input_error(f.published_scores, "not found (--published-scores)");
    }
    options.published_scores = f.published_scores;
  }
  options.validate();
  std::vector<std::string> problems;
  if (f.format == "md") {
    ReportData data = report_load(f.results_dir);
    const std::string md = report_markdown(data, options);
    if (f.out.empty()) {
      std::fputs(md.c_str(), stdout);
    } else {
      write_file_atomic(f.out, md);
      std::printf("summary: %s\n", f.out.c_str());
    }
    problems = data.problems;
  } else {
    const std::string out = f.out.empty() ? f.results_dir + "/site" : f.out;
    SiteResult r = report_write_site(f.results_dir, out, options);
    std::printf("%zu runs, %zu pages\nleaderboard: %s\n", r.runs, r.pages, r.index.c_str());
    problems = r.problems;
  }
  // Everything readable was reported; what was left out is named, and the exit code says so.
  for (const std::string& p : problems) std::fprintf(stderr, "moebench: left out: %s\n", p.c_str());
  return problems.empty() ? kExitOk : kExitBadInput;
}

}  // namespace

Command cmd_report(CLI::App& app, const CliContext&) {
  auto f = std::make_shared<ReportFlags>();
  return {add_report_flags(&app, f.get()), [f] { return report(*f); }};
}

}  // namespace moebench
