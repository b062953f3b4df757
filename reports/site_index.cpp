// index.html of the report site: the leaderboard (models x suites, sortable, filterable), the
// charts (score vs cost with its Pareto front, score by suite, kernel benchmark history with
// regressions marked), the latest benchmark comparison and the list of runs.
#include <cmath>

#include "reports/html_escape.h"
#include "reports/report_site.h"
#include "reports/site_html.h"
#include "reports/stat_tests.h"
#include "reports/svg_chart.h"

namespace moebench {
namespace {

std::string esc(const std::string& s) { return html_escape(s); }

std::string th_num(const std::string& label, const std::string& title = "") {
  return "<th data-sort=\"num\"" + (title.empty() ? "" : " title=\"" + esc(title) + "\"") + ">" +
         esc(label) + "</th>";
}

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
      series.values.push_back(m ? 100 * m->mean : NAN);
      series.err.push_back(m ? 100 * m->ci95_half() : NAN);
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

std::string bench_section(const ReportData& data, const ReportOptions& options) {
  std::string h = "<h2 id=\"kernels\">Kernel benchmarks</h2>\n";
  if (data.bench.empty()) {
    return h + "<p class=\"muted\">No Google Benchmark JSON under " +
           esc((data.results_dir / "bench").string()) + ".</p>\n";
  }
  // History: each benchmark's median relative to its first run, regressions marked.
  std::vector<std::string> labels;
  for (const BenchRun& r : data.bench)
    labels.push_back(r.date.empty() ? r.file.stem().string() : r.date.substr(0, 10));
  std::map<std::string, LineSeries> series;
  std::vector<BenchDelta> deltas;
  for (size_t i = 0; i < data.bench.size(); ++i) {
    // Kept: the last pair's deltas are also the comparison table below.
    if (i > 0) {
      deltas =
          bench_compare(data.bench[i - 1], data.bench[i], options.bench_threshold, options.alpha);
    }
    for (const auto& [name, times] : data.bench[i].times_ns) {
      LineSeries& s = series[name];
      if (s.name.empty()) {  // first seen: a gap (NaN) in every earlier run
        s.name = name;
        s.values.assign(data.bench.size(), NAN);
        s.marked.assign(data.bench.size(), false);
        s.notes.assign(data.bench.size(), "");
      }
      s.values[i] = stats_median(times);
    }
    for (const BenchDelta& d : deltas) {
      if (!d.regression) continue;
      series[d.name].marked[i] = true;
      series[d.name].notes[i] =
          d.name + ": " + fmt_fixed(100 * d.change, 1) + "% slower, p=" + fmt_fixed(d.p_value, 4);
    }
  }
  std::vector<LineSeries> lines;
  for (auto& [name, s] : series) {
    double first = NAN;
    for (double v : s.values) {
      if (std::isfinite(v)) {
        first = v;
        break;
      }
    }
    for (double& v : s.values) v = std::isfinite(v) && first > 0 ? v / first : NAN;
    lines.push_back(std::move(s));
  }
  h += "<div class=\"charts\"><figure id=\"chart-bench\">" +
       svg_line_chart("Kernel time relative to the first run", labels, lines,
                      {"median time / first run's", false, "x"}) +
       "<figcaption>Red triangles: a significant slowdown (two-sided Mann–Whitney U, p &lt; " +
       fmt_fixed(options.alpha, 2) + ") beyond " + fmt_fixed(100 * options.bench_threshold, 1) +
       "% against the previous run.</figcaption></figure></div>\n";
  if (data.bench.size() < 2) return h;
  const BenchRun& base = data.bench[data.bench.size() - 2];
  const BenchRun& next = data.bench.back();
  h += "<h2>Latest benchmark comparison</h2><p class=\"meta\">" +
       esc(base.file.filename().string()) + " → " + esc(next.file.filename().string()) +
       "</p>\n<div class=\"table-wrap\"><table id=\"bench\" class=\"sortable\"><thead><tr>"
       "<th data-sort=\"text\">benchmark</th>" +
       th_num("base median") + th_num("new median") + th_num("change %") + th_num("p (U test)") +
       th_num("reps") + "<th data-sort=\"text\">verdict</th></tr></thead><tbody>\n";
  for (const BenchDelta& d : deltas) {
    const std::string verdict = d.regression ? "<span class=\"down\">regression</span>"
                                : d.improvement
                                    ? "<span class=\"up\">faster</span>"
                                    : esc(d.note.empty() ? "no significant change" : d.note);
    h += "<tr><td>" + esc(d.name) + "</td><td data-value=\"" + data_value(d.base_median_ns) +
         "\">" + (d.base_median_ns ? bench_format_ns(*d.base_median_ns) : "—") +
         "</td><td data-value=\"" + data_value(d.new_median_ns) + "\">" +
         (d.new_median_ns ? bench_format_ns(*d.new_median_ns) : "—") + "</td><td data-value=\"" +
         data_value(100 * d.change) + "\">" + fmt_fixed(100 * d.change, 1) +
         "</td><td data-value=\"" + data_value(d.p_value) + "\">" + fmt_fixed(d.p_value, 4) +
         "</td><td>" + std::to_string(d.base_reps) + " / " + std::to_string(d.new_reps) +
         "</td><td class=\"text\">" + verdict + "</td></tr>\n";
  }
  return h + "</tbody></table></div>\n";
}

std::string runs_table(const ReportData& data, const ReportOptions& options) {
  std::string h =
      "<h2 id=\"all-runs\">Runs</h2>\n<div class=\"table-wrap\"><table id=\"runs\" "
      "class=\"sortable\"><thead><tr><th data-sort=\"text\">run</th><th "
      "data-sort=\"text\">created</th><th data-sort=\"text\">model</th><th "
      "data-sort=\"text\">data</th>" +
      th_num("suites") + th_num("time") + th_num("out tok/s") + th_num("cost") +
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
         fmt_usd(cost) + (estimated ? " <small>est.</small>" : "") + "</td></tr>\n";
  }
  return h + "</tbody></table></div>\n";
}

}  // namespace

std::string site_index_page(const ReportData& data, const Leaderboard& board,
                            const ReportOptions& options) {
  std::string h = "<h1>" + esc(options.title) + "</h1>\n<p class=\"meta\">" +
                  std::to_string(board.rows.size()) + " models · " +
                  std::to_string(data.runs.size()) + " runs · " +
                  std::to_string(board.suites.size()) + " suites · from " +
                  esc(data.results_dir.string()) +
                  " · scores in % (primary metric, ±95% CI = 1.96·stderr)</p>\n";
  for (const std::string& p : data.problems) {
    h += "<div class=\"warn\">left out: " + esc(p) + "</div>\n";
  }
  h += "<h2>Leaderboard</h2>\n" + site_leaderboard_table(board) + charts(board) +
       site_cost_section(data.costs) + bench_section(data, options) + runs_table(data, options);
  return site_page(options.title, "", h);
}

}  // namespace moebench
