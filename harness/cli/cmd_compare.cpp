// `moebench compare A B`: two eval runs suite by suite with paired significance tests, or two
// Google Benchmark JSON files with U tests; exit 1 on a significant regression beyond the
// threshold.
#include <algorithm>
#include <cstdio>
#include <memory>
#include <set>

#include "common/error.h"
#include "common/file_write.h"
#include "harness/cli/cli_checks.h"
#include "harness/cli/cli_common.h"
#include "harness/cli/command.h"
#include "reports/bench_history.h"
#include "reports/compare_runs.h"

namespace moebench {
namespace {

struct CompareFlags {
  std::string run_a, run_b, format = "text", out;
  double alpha = 0.05;
  double threshold = -1;  // unset: 0.01 (1 point) for runs, 0.05 (5%) for benchmarks
  bool all_metrics = false;
  std::vector<std::string> suites;  // empty: every suite of either run
};

CLI::App* add_compare_flags(CLI::App* app, CompareFlags* f) {
  CLI::App* cmd = app->add_subcommand(
      "compare",
      "Compare two eval runs suite by suite (paired McNemar / sign-flip tests), or two Google "
      "Benchmark JSON files (median change, Mann-Whitney U); exit 1 on a significant regression "
      "beyond --threshold (or, for benchmarks, an error the base run did not have)");
  cmd->add_option("run_a", f->run_a, "Baseline: run directory (or its run.json), or BASE.json")
      ->required();
  cmd->add_option("run_b", f->run_b, "New: run directory (or its run.json), or NEW.json")
      ->required();
  cmd->add_option("--format", f->format, "text | md | json")
      ->check(CLI::IsMember({"text", "md", "json"}))
      ->capture_default_str();
  cmd->add_option("-o,--out", f->out, "Also write the JSON comparison to this file")
      ->check(cli_output_file());
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

bool measured_in_both(const BenchDelta& d) { return d.base_median_ns && d.new_median_ns; }

// Why two benchmark files compared nothing: "NEW measures none of the N benchmarks of BASE".
std::string nothing_compared(const CompareFlags& f, const BenchRun& base, const BenchRun& next) {
  if (base.times_ns.empty()) return f.run_a + " measures no benchmark: nothing to compare with";
  std::string why = f.run_b + " measures none of the " + std::to_string(base.times_ns.size()) +
                    " benchmarks of " + f.run_a;
  if (next.times_ns.empty() && next.errors.empty()) return why + " (it holds no benchmark)";
  std::set<std::string> errors;
  for (const auto& [name, message] : next.errors) errors.insert(message);
  std::string text;
  for (const std::string& e : errors) text += (text.empty() ? "" : "; ") + e;
  return text.empty() ? why : why + " (errors: " + text + ")";
}

// The comparison as JSON (--format json, -o): a row per benchmark, and `note` the one-line reason
// when the files have no benchmark measured in both (null otherwise).
nlohmann::json bench_json(const CompareFlags& f, const BenchRun& base, const BenchRun& next,
                          const std::vector<BenchDelta>& deltas, bool regression,
                          const std::string& note) {
  nlohmann::json rows = nlohmann::json::array();
  const auto number = [](std::optional<double> v) { return v ? nlohmann::json(*v) : nullptr; };
  for (const BenchDelta& d : deltas) {
    rows.push_back({{"name", d.name},
                    {"base_median_ns", number(d.base_median_ns)},
                    {"new_median_ns", number(d.new_median_ns)},
                    {"change", number(d.change)},
                    {"p_value", number(d.p_value)},
                    {"base_reps", d.base_reps},
                    {"new_reps", d.new_reps},
                    {"regression", d.regression},
                    {"improvement", d.improvement},
                    {"failed", d.failed},
                    {"untestable", d.untestable},
                    {"note", d.note}});
  }
  return {{"base", f.run_a},
          {"new", f.run_b},
          {"base_gpu", base.gpu},
          {"new_gpu", next.gpu},
          {"alpha", f.alpha},
          {"threshold", f.threshold},
          {"benchmarks", rows},
          {"regression", regression},
          {"note", note.empty() ? nlohmann::json(nullptr) : nlohmann::json(note)}};
}

// The JSON to stdout (--format json) and to -o.
void bench_write_json(const CompareFlags& f, const nlohmann::json& j) {
  if (f.format == "json") std::printf("%s\n", j.dump(2).c_str());
  if (!f.out.empty()) write_file_atomic(f.out, j.dump(2) + "\n");
}

// Two Google Benchmark JSON files: per benchmark the median change and a U test.
int compare_bench(CompareFlags f) {
  if (f.threshold < 0 && f.threshold != -1) throw InputError("--threshold: must be >= 0");
  if (f.threshold == -1) f.threshold = 0.05;
  if (!(f.alpha > 0 && f.alpha < 1)) throw InputError("--alpha: must be in (0, 1)");
  if (!(f.threshold >= 0)) throw InputError("--threshold: must be >= 0");
  const BenchRun base = bench_load_run(f.run_a);
  const BenchRun next = bench_load_run(f.run_b);
  const std::vector<BenchDelta> deltas = bench_compare(base, next, f.threshold, f.alpha);
  if (std::none_of(deltas.begin(), deltas.end(), measured_in_both)) {
    // NOTE: as the nightly's kernel step: a file that measured nothing is a failed run. Its JSON
    // is written all the same, so that -o never keeps an earlier comparison's.
    const std::string why = nothing_compared(f, base, next);
    bench_write_json(f, bench_json(f, base, next, deltas, true, why));
    std::fprintf(stderr, "moebench: %s\n", why.c_str());
    return kExitRegression;
  }
  bool regression = false;
  size_t few = 0, aggregates = 0;
  size_t failed = 0, untestable = 0;
  for (const BenchDelta& d : deltas) {
    regression |= d.regression || d.failed;
    failed += d.failed;
    untestable += d.untestable;
    aggregates += d.aggregates_only;
    // Only a U test that was made can be weak: not one of a benchmark a run lacks or failed.
    few += measured_in_both(d) && !d.failed && !d.aggregates_only &&
           (d.base_reps < kBenchMinRepetitions || d.new_reps < kBenchMinRepetitions);
  }
  if (f.format != "json") {
    std::fputs(bench_compare_markdown(base, next, deltas, f.threshold, f.alpha, f.format == "text")
                   .c_str(),
               stdout);
  }
  if (failed > 0) {
    std::fprintf(stderr, "moebench: %zu benchmarks report an error the base run did not have\n",
                 failed);
  }
  if (untestable > 0) {
    std::fprintf(stderr,
                 "moebench: warning: %zu benchmarks are slower beyond the threshold with too few "
                 "repetitions for the U test to reach alpha (not counted as regressions)\n",
                 untestable);
  }
  if (aggregates > 0) {
    std::fprintf(stderr,
                 "moebench: warning: %zu benchmarks hold aggregates only (no repetition times): "
                 "drop --benchmark_report_aggregates_only for the U test\n",
                 aggregates);
  }
  if (few > 0) {
    std::fprintf(stderr,
                 "moebench: warning: %zu benchmarks have fewer than %zu repetitions; the U test "
                 "needs --benchmark_repetitions=9 or more to mean much\n",
                 few, kBenchMinRepetitions);
  }
  bench_write_json(f, bench_json(f, base, next, deltas, regression, ""));
  return regression ? kExitRegression : kExitOk;
}

int compare(const CompareFlags& f) {
  for (const std::string& path : {f.run_a, f.run_b}) {
    if (std::filesystem::path(path).filename() == "samples.jsonl") {
      throw input_error(path, "a run's samples: pass its run directory (or its run.json)");
    }
  }
  const bool bench_a = bench_is_json_file(f.run_a), bench_b = bench_is_json_file(f.run_b);
  if (bench_a != bench_b) {
    const std::string run = bench_a ? f.run_b : f.run_a;
    std::error_code ec;
    if (!std::filesystem::exists(run, ec)) throw input_error(run, "no such file or directory");
    throw InputError(std::string(bench_a ? f.run_b : f.run_a) + " is a run and " +
                     (bench_a ? f.run_a : f.run_b) +
                     " a file: pass two run directories (or run.json files) or two Google "
                     "Benchmark JSON files");
  }
  if (bench_a) return compare_bench(f);
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
    write_file_atomic(f.out, compare_to_json(c).dump(2) + "\n");
  }
  return c.any_regression() ? kExitRegression : kExitOk;
}

}  // namespace

Command cmd_compare(CLI::App& app, const CliContext&) {
  auto f = std::make_shared<CompareFlags>();
  return {add_compare_flags(&app, f.get()), [f] { return compare(*f); }};
}

}  // namespace moebench
