// The leaderboard table of index.html: the ranking sentence, then one row per model and data
// scope (rank, model, scope, mean over the ranking suites, a column per suite, cost, speed,
// latency), sized to fit a 1400 px window with 11 suites: CI and n on lines of their own, suite
// headers abbreviated (full name in the title), model ids wrapping.
#include <algorithm>

#include "reports/html_escape.h"
#include "reports/report_site.h"
#include "reports/site_html.h"
#include "reports/text_fit.h"

namespace moebench {
namespace {

// NOTE: 7 characters of 12 px header text are about as wide as a "n=1,319" line of a score cell,
// so the headers do not widen the 11 suite columns of a full run.
constexpr size_t kSuiteHeaderChars = 7;

std::string esc(const std::string& s) { return html_escape(s); }

std::string th_num(const std::string& label, const std::string& title = "",
                   const std::string& attrs = "") {
  return "<th data-sort=\"num\"" + (title.empty() ? "" : " title=\"" + esc(title) + "\"") + attrs +
         ">" + esc(label) + "</th>";
}

std::string td_num(std::optional<double> value, const std::string& html,
                   const std::string& attrs = "") {
  return "<td data-value=\"" + data_value(value) + "\"" + attrs + ">" + html + "</td>";
}

std::string suite_headers(const Leaderboard& board) {
  const std::vector<std::string> shown = text_fit_distinct(board.suites, kSuiteHeaderChars);
  std::string h;
  for (size_t i = 0; i < board.suites.size(); ++i) {
    const std::string& s = board.suites[i];
    const bool ranked =
        std::find(board.rank_suites.begin(), board.rank_suites.end(), s) != board.rank_suites.end();
    // The cut name does not wrap at its "…"; the sort arrow may go to a line of its own.
    h += "<th data-sort=\"num\" title=\"" +
         esc(s + (ranked ? " (a ranking suite)" : " (not in the ranking)")) + "\" data-suite=\"" +
         esc(s) + "\" class=\"suite" + (ranked ? "" : " unranked") + "\"><span class=\"nw\">" +
         esc(shown[i]) + "</span></th>";
  }
  return h;
}

std::string suite_cell(const std::string& name, const LeaderboardCell* cell) {
  if (!cell) return "<td class=\"suite\" data-value=\"\">—</td>";
  const MetricStat* m = cell->suite.primary();
  const std::optional<double> mean = m ? m->score() : std::nullopt;
  const long errors = cell->suite.error_count();
  std::string title = cell->suite.primary_metric + " · n=" + std::to_string(m ? m->n : 0) +
                      " · run " + cell->run->run_id;
  if (cell->runs.size() > 1) title += " · " + std::to_string(cell->runs.size()) + " shards pooled";
  std::string h =
      "<td class=\"suite\" data-value=\"" + data_value(mean) + "\" title=\"" + esc(title) +
      "\"><a href=\"" +
      url_escape_path(site_run_dir_name(cell->run->run_id) + site_suite_page_name(name, 0)) +
      "\">" + fmt_percent(mean) + "</a>";
  if (m && m->has_stderr()) h += "<small>±" + fmt_percent(m->ci95_half()) + "</small>";
  h += "<small>n=" + fmt_count(m ? m->n : 0) + "</small>";
  if (errors) h += "<small class=\"err\">" + fmt_count(errors) + " err</small>";
  if (cell->failed) {
    h += "<small class=\"err\" title=\"more than --max-error-rate of the samples "
         "failed\">failed</small>";
  }
  return h + "</td>";
}

std::string model_cell(const LeaderboardRow& row) {
  std::string h = "<td class=\"model\" data-value=\"" + esc(row.model) + "\" title=\"" +
                  esc(row.model) + "\"><a class=\"model-link\" href=\"" +
                  url_escape_path(site_run_dir_name(row.latest->run_id) + "index.html") + "\">" +
                  esc(row.model) + "</a><small>" + esc(row.family) +
                  (row.device.empty() ? "" : " · " + esc(row.device)) + "</small>";
  if (row.rank) return h + "</td>";
  const std::string why = leaderboard_unranked_why(row);
  return h + "<small class=\"missing\">unranked" + (why.empty() ? "" : " · " + esc(why)) +
         "</small></td>";
}

// The score column: the mean over the ranking suites; the row's own mean, when it differs, small.
std::string mean_cell(const LeaderboardRow& row, size_t rank_suites) {
  std::string h = row.rank_score ? "<strong>" + fmt_percent(row.rank_score) + "</strong>" : "—";
  const bool own_differs = !row.rank_score || row.mean_suites != static_cast<int>(rank_suites);
  if (row.mean_score && own_differs) {
    h += "<small title=\"own mean over its " + std::to_string(row.mean_suites) +
         " suites; does not rank\">own " + fmt_percent(row.mean_score) + "</small>";
  }
  return td_num(row.rank_score, h, " class=\"mean\"");
}

// A measured value's text; "n/m", saying why, for a rescore whose original run is not here.
std::string measured(std::optional<double> value, const std::string& html,
                     const LeaderboardRow& row) {
  if (value || row.not_measured.empty()) return html;
  return "<span class=\"muted\" title=\"not measured: " + esc(row.not_measured) + "\">n/m</span>";
}

std::string row_html(const Leaderboard& board, const LeaderboardRow& row) {
  std::string h = std::string("<tr") + (row.rank ? "" : " class=\"unranked\"") + ">" +
                  td_num(row.rank ? std::optional<double>(*row.rank) : std::nullopt,
                         row.rank ? std::to_string(*row.rank) : "—", " class=\"rank\"") +
                  model_cell(row) + "<td class=\"text scope\">" + esc(row.scope) +
                  (row.rescored ? "<small class=\"tag\" title=\"scored again by moebench rescore "
                                  "from the model's recorded responses\">rescored</small>"
                                : "") +
                  "</td>" + mean_cell(row, board.rank_suites.size());
  for (const auto& s : board.suites) {
    auto it = row.cells.find(s);
    h += suite_cell(s, it == row.cells.end() ? nullptr : &it->second);
  }
  const std::string est = row.cost_usd && row.cost_estimated ? "<small>est.</small>" : "";
  h += td_num(row.cost_usd, measured(row.cost_usd, fmt_usd(row.cost_usd) + est, row)) +
       td_num(row.usd_per_million(),
              measured(row.usd_per_million(), fmt_usd(row.usd_per_million()), row)) +
       td_num(row.output_tokens_per_s,
              measured(row.output_tokens_per_s, fmt_fixed(row.output_tokens_per_s, 1), row)) +
       td_num(row.latency_p50, measured(row.latency_p50, fmt_seconds(row.latency_p50), row)) +
       td_num(row.latency_p95, measured(row.latency_p95, fmt_seconds(row.latency_p95), row)) +
       td_num(static_cast<double>(row.errors), fmt_count(row.errors),
              row.errors ? " class=\"err\"" : "") +
       td_num(row.runs, std::to_string(row.runs));
  return h + "</tr>\n";
}

}  // namespace

std::string site_leaderboard_table(const Leaderboard& board) {
  std::string h =
      "<p class=\"ranking\" id=\"ranking\">" + esc(leaderboard_rank_sentence(board)) +
      "</p>\n<div class=\"filter\"><input id=\"filter\" type=\"search\" "
      "data-filter=\"leaderboard\" placeholder=\"filter models…\" aria-label=\"filter "
      "models\"></div>\n<div class=\"table-wrap\"><table id=\"leaderboard\" "
      "class=\"sortable\"><thead><tr>" +
      th_num("#", "rank by the mean over the ranking suites", " class=\"rank\"") +
      "<th data-sort=\"text\" class=\"model\">model</th><th data-sort=\"text\" "
      "class=\"text\">data</th>" +
      th_num("mean %", "unweighted mean of the primary metrics over the ranking suites");
  h += suite_headers(board);
  h += th_num("cost",
              "total over the suites shown, every sample at its run's prices, answers from "
              "the cache included (est. = machine time x price)") +
       th_num("$/1M tok", "cost per million prompt + completion tokens") +
       th_num("out tok/s", "output tokens per second of the latest run") +
       th_num("p50", "p50 latency") + th_num("p95", "p95 latency") + th_num("errors") +
       th_num("runs") + "</tr></thead><tbody>\n";
  for (const LeaderboardRow& row : board.rows) h += row_html(board, row);
  return h + "</tbody></table></div>\n";
}

}  // namespace moebench
