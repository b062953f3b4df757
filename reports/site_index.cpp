// index.html of the report site: the leaderboard (models x suites, sortable, filterable), the
// charts (score vs cost with its Pareto front, score by suite), the cost and kernel benchmark
// sections (site_cost.cpp, site_bench.cpp) and the list of runs.
#include <cmath>

#include "reports/html_escape.h"
#include "reports/report_site.h"
#include "reports/site_html.h"
#include "reports/stat_tests.h"
#include "reports/svg_chart.h"

namespace moebench {
namespace {

std::string esc(const std::string& s) { return html_escape(s); }

std::string charts(const Leaderboard& board) {
  std::vector<ChartPoint> cost_points;
  std::vector<BarSeries> bars;
  for (const LeaderboardRow& row : board.rows) {
    const std::string href = url_escape_path(site_run_dir_name(row.latest->run_id) + "index.html");
    // Only ranked rows: their scores are means over the same suites.
    if (row.cost_usd && row.rank_score) {
      cost_points.push_back({*row.cost_usd, 100 * *row.rank_score, row.label(), href});
    }
    BarSeries series{row.label(), {}, {}};
    for (const auto& s : board.suites) {
      auto it = row.cells.find(s);
      const MetricStat* m = it == row.cells.end() ? nullptr : it->second.suite.primary();
      // No bar for no document scored, no error bar below two (no stderr).
      series.values.push_back(m && m->score() ? 100 * *m->score() : NAN);
      series.err.push_back(m && m->has_stderr() ? 100 * m->ci95_half() : NAN);
    }
    bars.push_back(std::move(series));
  }
  std::string h =
      "<div class=\"charts\">\n<figure id=\"chart-pareto\">" +
      svg_scatter_pareto("Score vs cost", cost_points, {"cost of the suites", false, "$"},
                         {"mean over the ranking suites", false, "%"}) +
      "<figcaption>One point per ranked model with a cost (API price tables, or machine time "
      "at --machine-usd-per-hour for built-in runs); the line joins the Pareto front: "
      "no other model is both cheaper and better.</figcaption></figure>\n"
      "<figure id=\"chart-suites\">" +
      svg_grouped_bars("Score by suite", board.suites, bars,
                       {"primary metric", false, "%", 0, 100}) +
      "<figcaption>Primary metric per suite with its 95% confidence interval."
      "</figcaption></figure>\n</div>\n";
  return h;
}

std::string runs_table(const ReportData& data, const ReportOptions& options) {
  std::string h =
      "<h2 id=\"all-runs\">Runs</h2>\n<div class=\"table-wrap\"><table id=\"runs\" "
      "class=\"sortable\"><thead><tr><th data-sort=\"text\">run</th><th "
      "data-sort=\"text\">created</th><th data-sort=\"text\">model</th><th "
      "data-sort=\"text\">data</th>" +
      site_th_num("suites") + site_th_num("time") + site_th_num("out tok/s") +
      site_th_num("cost", "billed: this run's API requests; est.: backend time, every sample") +
      "</tr></thead><tbody>\n";
  for (auto it = data.runs.rbegin(); it != data.runs.rend(); ++it) {
    const RunSummary& r = *it;
    bool estimated = false;
    const std::optional<double> cost = leaderboard_run_cost(r, options, &estimated);
    h += "<tr><td><a class=\"run-link\" href=\"" +
         url_escape_path(site_run_dir_name(r.run_id) + "index.html") + "\">" + esc(r.run_id) +
         "</a></td><td>" + esc(r.created) + "</td><td class=\"text\">" + esc(r.backend_id) +
         (r.rescore ? " <small class=\"tag\">rescored</small>" : "") + "</td><td class=\"text\">" +
         esc(r.data_scope) + "</td><td>" + std::to_string(r.suites.size()) +
         "</td><td data-value=\"" + data_value(r.total_s) + "\">" + fmt_seconds(r.total_s) +
         "</td><td data-value=\"" + data_value(r.output_tokens_per_s) + "\">" +
         fmt_fixed(r.output_tokens_per_s, 1) + "</td><td data-value=\"" + data_value(cost) + "\">" +
         fmt_usd(cost) +
         (estimated ? " <small>est.</small>"
          : cost    ? " <small>billed</small>"
                    : "") +
         "</td></tr>\n";
  }
  // NOTE: the two differ in kind: the leaderboard prices every sample of an API run, answers from
  // the response cache included; the runs table shows what the run itself paid.
  return h +
         "</tbody></table></div>\n<p class=\"meta\">cost, billed: what the run's own API requests "
         "were billed (answers from the response cache are not billed again, so it can be less "
         "than the leaderboard's cost of every sample); est.: backend time at "
         "--machine-usd-per-hour for every sample, answers from the cache included.</p>\n";
}

}  // namespace

std::string site_index_page(const ReportData& data, const Leaderboard& board,
                            const ReportOptions& options) {
  std::string h = "<h1>" + esc(options.title) + "</h1>\n<p class=\"meta\">" +
                  leaderboard_rows_text(board) + " · " +
                  std::to_string(data.runs.size()) + " runs · " +
                  std::to_string(board.suites.size()) + " suites · from " +
                  esc(data.results_dir.string()) +
                  " · scores in % (primary metric, ±95% CI = 1.96·stderr)</p>\n";
  for (const std::string& p : data.problems) {
    h += "<div class=\"warn\">left out: " + esc(p) + "</div>\n";
  }
  h += "<h2>Leaderboard</h2>\n" + site_leaderboard_table(board) + charts(board) +
       site_cost_section(data.costs) + site_bench_section(data, options) +
       runs_table(data, options);
  return site_page(options.title, "", h);
}

}  // namespace moebench
