// moebench report (the static site or the Markdown summary) and moebench compare (two runs with
// paired significance tests, or two Google Benchmark JSON files with U tests; exit 1 on a
// significant regression beyond the threshold).
#include <cstdio>
#include <fstream>

#include "common/error.h"
#include "harness/cli/cli_checks.h"
#include "harness/cli/cli_common.h"
#include "reports/bench_history.h"
#include "reports/compare_runs.h"
#include "reports/report_site.h"

namespace moebench {

CLI::App* cli_add_report(CLI::App* app, ReportFlags* f) {
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
  return cmd;
}

int cli_report(const ReportFlags& f) {
  ReportOptions options;
  options.machine_usd_per_hour = f.machine_usd_per_hour;
  options.bench_threshold = f.bench_threshold;
  options.alpha = f.alpha;
  options.title = f.title;
  options.rank_suites = f.rank_suites;
  options.validate();
  std::vector<std::string> problems;
  if (f.format == "md") {
    ReportData data = report_load(f.results_dir);
    const std::string md = report_markdown(data, options);
    if (f.out.empty()) {
      std::fputs(md.c_str(), stdout);
    } else {
      std::ofstream out(f.out, std::ios::binary | std::ios::trunc);
      out << md;
      if (!out) throw input_error(f.out, "cannot write");
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

CLI::App* cli_add_compare(CLI::App* app, CompareFlags* f) {
  CLI::App* cmd = app->add_subcommand(
      "compare",
      "Compare two eval runs suite by suite (paired McNemar / bootstrap tests), or two Google "
      "Benchmark JSON files (median change, Mann-Whitney U); exit 1 on a significant regression "
      "beyond --threshold");
  cmd->add_option("run_a", f->run_a, "Baseline: run directory (or its run.json), or BASE.json")
      ->required();
  cmd->add_option("run_b", f->run_b, "New: run directory (or its run.json), or NEW.json")
      ->required();
  cmd->add_option("--format", f->format, "text | md | json")
      ->check(CLI::IsMember({"text", "md", "json"}))
      ->capture_default_str();
  cmd->add_option("-o,--out", f->out, "Also write the JSON comparison to this file");
  cmd->add_option("--alpha", f->alpha, "Significance level of the two-sided tests")
      ->check(cli_number_above(0, true, 0.5))
      ->capture_default_str();
  cmd->add_option("--threshold", f->threshold,
                  "A drop must also exceed this: metric units for runs (default 0.01 = 1 point), "
                  "a relative slowdown for benchmarks (default 0.05 = 5%)")
      ->check(cli_number_above(0, false));
  cmd->add_flag("--all-metrics", f->all_metrics, "Test every metric, not only the primary one");
  cmd->add_option("--suites", f->suites,
                  "Compare only these suites (each must be in both runs); default: every suite of "
                  "either run, and one missing from a run is an error")
      ->delimiter(',');
  return cmd;
}

namespace {

// Two Google Benchmark JSON files: per benchmark the median change and a U test.
int compare_bench(CompareFlags f) {
  if (f.threshold < 0 && f.threshold != -1) throw InputError("--threshold: must be >= 0");
  if (f.threshold == -1) f.threshold = 0.05;
  if (!(f.alpha > 0 && f.alpha < 1)) throw InputError("--alpha: must be in (0, 1)");
  if (!(f.threshold >= 0)) throw InputError("--threshold: must be >= 0");
  const BenchRun base = bench_load_run(f.run_a);
  const BenchRun next = bench_load_run(f.run_b);
  const std::vector<BenchDelta> deltas = bench_compare(base, next, f.threshold, f.alpha);
  bool regression = false;
  size_t few = 0;
  nlohmann::json rows = nlohmann::json::array();
  for (const BenchDelta& d : deltas) {
    regression |= d.regression;
    few += d.base_reps < kBenchMinRepetitions || d.new_reps < kBenchMinRepetitions;
    rows.push_back(
        {{"name", d.name},
         {"base_median_ns", d.base_median_ns ? nlohmann::json(*d.base_median_ns) : nullptr},
         {"new_median_ns", d.new_median_ns ? nlohmann::json(*d.new_median_ns) : nullptr},
         {"change", d.change},
         {"p_value", d.p_value ? nlohmann::json(*d.p_value) : nullptr},
         {"base_reps", d.base_reps},
         {"new_reps", d.new_reps},
         {"regression", d.regression},
         {"improvement", d.improvement},
         {"note", d.note}});
  }
  const nlohmann::json j = {{"base", f.run_a},    {"new", f.run_b},
                            {"alpha", f.alpha},   {"threshold", f.threshold},
                            {"benchmarks", rows}, {"regression", regression}};
  if (f.format == "json") {
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::fputs(bench_compare_markdown(base, next, deltas, f.threshold, f.alpha).c_str(), stdout);
  }
  if (few > 0) {
    std::fprintf(stderr,
                 "moebench: warning: %zu benchmarks have fewer than %zu repetitions; the U test "
                 "needs --benchmark_repetitions=9 or more to mean much\n",
                 few, kBenchMinRepetitions);
  }
  if (!f.out.empty()) {
    std::ofstream out(f.out, std::ios::binary | std::ios::trunc);
    out << j.dump(2) << "\n";
    if (!out) throw input_error(f.out, "cannot write");
  }
  return regression ? kExitRegression : kExitOk;
}

}  // namespace

int cli_compare(const CompareFlags& f) {
  if (bench_is_json_file(f.run_a) || bench_is_json_file(f.run_b)) return compare_bench(f);
  CompareOptions options;
  options.alpha = f.alpha;
  if (f.threshold != -1) options.threshold = f.threshold;
  options.all_metrics = f.all_metrics;
  options.suites = f.suites;
  const RunComparison c = compare_runs(f.run_a, f.run_b, options);
  if (f.format == "json") {
    std::printf("%s\n", compare_to_json(c).dump(2).c_str());
  } else if (f.format == "md") {
    std::fputs(compare_format_markdown(c).c_str(), stdout);
  } else {
    std::fputs(compare_format_text(c).c_str(), stdout);
  }
  if (!f.out.empty()) {
    std::ofstream out(f.out, std::ios::binary | std::ios::trunc);
    out << compare_to_json(c).dump(2) << "\n";
    if (!out) throw input_error(f.out, "cannot write");
  }
  return c.any_regression() ? kExitRegression : kExitOk;
}

}  // namespace moebench
