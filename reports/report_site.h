// `moebench report`: reads a results directory (runs and results/bench/*.json) and writes the
// static site (index.html with the leaderboard and charts, a page per run, sample pages per
// suite) or the Markdown summary for CI job pages.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "reports/bench_history.h"
#include "reports/leaderboard.h"
#include "reports/published_scores.h"
#include "reports/run_load.h"

namespace moebench {

struct ReportData {
  std::filesystem::path results_dir;
  std::vector<RunSummary> runs;                 // oldest first
  std::map<std::string, LatencyStats> latency;  // leaderboard_latency_key -> latencies
  std::vector<BenchRun> bench;                  // results_dir/bench/*.json, oldest first
  std::vector<nlohmann::json> costs;            // results_dir/cost/*.json (moebench cost --json)
  std::vector<std::string> problems;            // one line per run or file that was left out
};

// Latency of the samples each suite of one run sent, by suite name.
using SuiteLatency = std::map<std::string, LatencyStats>;

// Called with each run's samples while they are in memory (the site writes its pages there).
using RunSamplesVisitor =
    std::function<void(const RunSummary&, const std::vector<SampleRecord>&, const SuiteLatency&)>;

// Loads everything under RESULTS_DIR, one run's samples at a time.
ReportData report_load(const std::filesystem::path& results_dir,
                       const RunSamplesVisitor& visit = nullptr);

struct SiteResult {
  std::filesystem::path index;
  size_t runs = 0, pages = 0;
  std::vector<std::string> problems;
  ReportData data;  // what the site was written from (a summary can be made of it too)
};

SiteResult report_write_site(const std::filesystem::path& results_dir,
                             const std::filesystem::path& out_dir, const ReportOptions& options);

// The Markdown summary: leaderboard table, published vs measured (options.published_scores),
// latest kernel benchmark comparison, problems.
std::string report_markdown(const ReportData& data, const ReportOptions& options);

// Pages, written by report_write_site (exported for the tests).
std::string site_run_dir_name(const std::string& run_id);  // "runs/<slug>/" relative to the root
std::string site_suite_page_name(const std::string& suite,
                                 size_t page);  // "<slug>.html", ".p2.html"
// `published` (may be null): the published scores table, for the run page's "Published vs
// measured" section.
size_t site_write_run_pages(const std::filesystem::path& out_dir, const RunSummary& run,
                            const std::vector<SampleRecord>& samples, const SuiteLatency& latency,
                            const PublishedScores* published = nullptr);
std::string site_index_page(const ReportData& data, const Leaderboard& board,
                            const ReportOptions& options);
// The ranking sentence and the leaderboard table of index.html.
std::string site_leaderboard_table(const Leaderboard& board);

// "" when a `moebench cost --format json` file's fields are of the types the cost section reads,
// else the first that is not: "rows[0].shared_time: expected true or false".
std::string cost_table_problem(const nlohmann::json& cost);
// The `moebench cost` tables found under RESULTS_DIR/cost/, as an HTML section / Markdown.
std::string site_cost_section(const std::vector<nlohmann::json>& costs);
std::string report_cost_markdown(const std::vector<nlohmann::json>& costs);

// The kernel benchmark section of index.html (reports/site_bench.cpp): the newest file's medians
// beside their ceilings and its failures, the history chart, the latest two files compared.
std::string site_bench_section(const ReportData& data, const ReportOptions& options);

// Published vs measured (reports/site_published.cpp). run.json backend.published_as: the
// published model a run says it is, "" for none.
std::string run_published_as(const RunSummary& run);
// The run page's section: each suite of the run that the table has a score for under the model
// the run names, against it; "" when the run names no model of the table.
std::string site_published_section(const RunSummary& run, const PublishedScores& table);
// The summary's table: the newest run of each named model and suite key; "" when there is none.
std::string report_published_markdown(const std::vector<RunSummary>& runs,
                                      const PublishedScores& table);

constexpr size_t kSamplesPerPage = 200;

}  // namespace moebench
