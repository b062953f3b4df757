// index.html of the report site: the leaderboard (models x suites, sortable, filterable), the
// charts (score vs cost with its Pareto front, score by suite), the cost and kernel benchmark
// sections (site_cost.cpp, site_bench.cpp) and the list of runs.
#include <cmath>
#include <map>

#include "reports/html_escape.h"
#include "reports/report_site.h"
#include "reports/site_html.h"
#include "reports/stat_tests.h"
#include "reports/svg_chart.h"

namespace moebench {
namespace {

std::string esc(const std::string& s) { return html_escape(s); }

// What a row's rank averages costs: the sum over the ranking suites' cells, when each is costed.
std::optional<double> ranking_cost(const Leaderboard& board, const LeaderboardRow& row) {
  double usd = 0;
  for (const std::string& s : board.rank_suites) {
    auto it = row.cells.find(s);
    if (it == row.cells.end() || !it->second.cost_usd) return std::nullopt;
    usd += *it->second.cost_usd;
  }
  return usd;
}

// Score vs cost, one chart per data scope (rows of two scopes are not comparable, as the table
// ranks them apart): a point per ranked row with a cost, its mean over the ranking suites against
// the cost of those same suites.
std::string pareto_charts(const Leaderboard& board) {
  std::map<std::string, std::vector<ChartPoint>> by_scope;
  for (const LeaderboardRow& row : board.rows) {
    const std::optional<double> cost = ranking_cost(board, row);
    if (!row.rank_score || !cost) continue;
    const std::string href = url_escape_path(site_run_dir_name(row.latest->run_id) + "index.html");
    by_scope[row.base_scope].push_back({*cost, 100 * *row.rank_score, row.model, href});
  }
  const ChartAxis x{"cost of the ranking suites", false, "$"};
  const ChartAxis y{"mean over the ranking suites", false, "%"};
  if (by_scope.empty()) {
    return "<figure id=\"chart-pareto\">" + svg_scatter_pareto("Score vs cost", {}, x, y) +
           "<figcaption>No ranked model has a cost of the ranking suites (API price tables, or "
           "--machine-usd-per-hour for built-in runs).</figcaption></figure>\n";
  }
  std::string h;
  size_t i = 0;
  for (const auto& [scope, points] : by_scope) {
    h += "<figure id=\"chart-pareto" + (i++ ? "-" + std::to_string(i) : std::string()) + "\">" +
         svg_scatter_pareto("Score vs cost · " + scope, points, x, y) + "<figcaption>Data scope " +
         esc(scope) +
         " (each scope is a chart of its own, as it ranks apart): one point per ranked model "
         "with a cost of the ranking suites, the same suites its score averages (API price "
         "tables, or machine time at --machine-usd-per-hour for built-in runs); the line joins "
         "the Pareto front: no other model of this scope is both cheaper and better."
         "</figcaption></figure>\n";
  }
  return h;
}

std::string charts(const Leaderboard& board) {
  std::vector<BarSeries> bars;
  for (const LeaderboardRow& row : board.rows) {
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
  return "<div class=\"charts\">\n" + pareto_charts(board) + "<figure id=\"chart-suites\">" +
         svg_grouped_bars("Score by suite", board.suites, bars,
                          {"primary metric", false, "%", 0, 100}) +
         "<figcaption>Primary metric per suite with its 95% confidence interval."
         "</figcaption></figure>\n</div>\n";
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
                  leaderboard_rows_text(board) + " · " + std::to_string(data.runs.size()) +
                  " runs · " + std::to_string(board.suites.size()) + " suites · from " +
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
