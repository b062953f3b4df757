// report_markdown: the leaderboard, published vs measured and the latest kernel benchmark
// comparison as GitHub-flavoured Markdown for CI job pages (e.g. appended to $GITHUB_STEP_SUMMARY).
#include "reports/bench_history.h"
#include "reports/report_site.h"
#include "reports/site_html.h"

namespace moebench {
namespace {

// Why a row is not ranked (leaderboard_unranked_why).
std::string unranked_note(const LeaderboardRow& row) {
  const std::string why = leaderboard_unranked_why(row);
  return "unranked" + (why.empty() ? "" : " (" + why + ")");
}

std::string leaderboard_md(const Leaderboard& board) {
  std::string h = leaderboard_rank_sentence(board) + "\n\n| # | model | data | mean % |";
  std::string rule = "|---:|---|---|---:|";
  for (const auto& s : board.suites) {
    h += " " + md_cell(s) + " |";
    rule += "---:|";
  }
  h += " cost | $/1M tok | out tok/s | errors |\n" + rule + "---:|---:|---:|---:|\n";
  for (const LeaderboardRow& row : board.rows) {
    const std::string rank = row.rank ? std::to_string(*row.rank) : "—";
    const std::string scope = row.scope + (row.rescored ? ", rescored" : "");
    const std::string mean = row.rank_score
                                 ? "**" + fmt_percent(row.rank_score) + "**"
                                 : unranked_note(row) + ", own " + fmt_percent(row.mean_score);
    h += "| " + rank + " | " + md_cell(row.model) + " | " + md_cell(scope) + " | " + md_cell(mean) +
         " |";
    for (const auto& s : board.suites) {
      auto it = row.cells.find(s);
      const MetricStat* m = it == row.cells.end() ? nullptr : it->second.suite.primary();
      h += !m || !m->score() ? " — |"
           : !m->has_stderr()
               ? " " + fmt_percent(m->mean) + " |"
               : " " + fmt_percent(m->mean) + " ± " + fmt_percent(m->ci95_half()) + " |";
    }
    // A rescore without its original run: "n/m", not measured.
    const auto measured = [&](std::optional<double> v, const std::string& text) {
      return v || row.not_measured.empty() ? text : std::string("n/m");
    };
    h += " " + measured(row.cost_usd, fmt_usd(row.cost_usd)) +
         (row.cost_estimated ? " (est.)" : "") + " | " +
         measured(row.usd_per_million(), fmt_usd(row.usd_per_million())) + " | " +
         measured(row.output_tokens_per_s, fmt_fixed(row.output_tokens_per_s, 1)) + " | " +
         fmt_count(row.errors) + " |\n";
  }
  return h;
}

std::string bench_md(const ReportData& data, const ReportOptions& options) {
  if (data.bench.empty()) return "";
  const BenchRun* previous = bench_previous_comparable(data.bench, data.bench.size() - 1);
  if (!previous) return "";
  const auto deltas =
      bench_compare(*previous, data.bench.back(), options.bench_threshold, options.alpha);
  std::string rows;
  long regressions = 0, failed = 0, absent = 0, untestable = 0;
  for (const BenchDelta& d : deltas) {
    // A benchmark the base run measured and the new file lacks (not an error in it): a kernel
    // dropped from the nightly.
    const bool gone = d.base_median_ns && !d.new_median_ns && !d.failed;
    regressions += d.regression;
    failed += d.failed;
    absent += gone;
    untestable += d.untestable;
    if (!d.regression && !d.improvement && !d.failed && !d.untestable && !gone) continue;
    const std::optional<double> change =
        d.change ? std::optional<double>(100 * *d.change) : std::nullopt;
    rows += "| " + md_cell(d.name) + " | " +
            (d.base_median_ns ? bench_format_ns(*d.base_median_ns) : "—") + " | " +
            (d.new_median_ns ? bench_format_ns(*d.new_median_ns) : "—") + " | " +
            fmt_fixed(change, 2) + " | " + fmt_fixed(d.p_value, 4) + " | " +
            (d.regression    ? "🔻 regression"
             : d.improvement ? "🔺 faster"
                             : md_cell(d.note)) +
            " |\n";
  }
  std::string h =
      "\n### Kernel benchmarks: " + md_cell(data.bench.back().file.filename().string()) + " vs " +
      md_cell(previous->file.filename().string()) + "\n\n" + std::to_string(deltas.size()) +
      " benchmarks, " + std::to_string(regressions) + " significant regressions (U test, α " +
      fmt_fixed(options.alpha, 2) + ", threshold " + bench_threshold_text(options.bench_threshold) +
      "), " + std::to_string(failed) + " failing (an error the base run did not have), " +
      std::to_string(absent) + " absent from the new run, " + std::to_string(untestable) +
      " slower with too few repetitions to test.\n";
  if (!rows.empty()) {
    h += "\n| benchmark | base | new | change % | p | verdict |\n|---|---:|---:|---:|---:|---|\n" +
         rows;
  }
  return h;
}

// Per row, the suites whose answers were cut at the token limit or withheld (the pooled runs'
// finish reasons summed), as the run's end-of-run warning said them; "" when none were.
std::string finish_reasons_md(const Leaderboard& board) {
  std::string h;
  for (const LeaderboardRow& row : board.rows) {
    for (const auto& [name, cell] : row.cells) {
      std::map<std::string, long> counts;
      for (const RunSummary* run : cell.runs) {
        if (const SuiteResult* s = run->suite(name)) {
          for (const auto& [why, n] : s->finish_reasons) counts[why] += n;
        }
      }
      const std::string note = finish_reasons_note(name, counts);
      if (!note.empty()) h += "- " + md_cell(row.label()) + ": " + md_cell(note) + "\n";
    }
  }
  return h.empty() ? ""
                   : "\n**Answers cut or withheld** (the finish reasons the API gave):\n\n" + h;
}

}  // namespace

std::string report_markdown(const ReportData& data, const ReportOptions& options) {
  const Leaderboard board = leaderboard_build(data.runs, data.latency, options);
  std::string h = "## " + md_cell(options.title) + "\n\n" + leaderboard_rows_text(board) + ", " +
                  std::to_string(data.runs.size()) +
                  " runs. Scores in % of the primary metric, ± 95% CI (1.96·stderr).\n\n";
  h += board.rows.empty() ? "No runs found.\n" : leaderboard_md(board);
  h += finish_reasons_md(board);
  h += report_published_markdown(data.runs, published_scores_load(options.published_scores));
  h += report_cost_markdown(data.costs);
  h += bench_md(data, options);
  if (!data.problems.empty()) {
    h += "\n**Left out:**\n\n";
    for (const std::string& p : data.problems) h += "- " + md_cell(p) + "\n";
  }
  return h;
}

}  // namespace moebench
