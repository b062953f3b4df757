// report_load and report_write_site: one pass over the runs, samples of one run in memory at a
// time, then the index page from what was gathered.
#include "reports/report_site.h"

#include <algorithm>
#include <fstream>

#include "common/error.h"
#include "reports/site_html.h"

namespace moebench {
namespace fs = std::filesystem;

namespace {

// Every `moebench cost` JSON under DIR, by file name; anything else is named in `problems`.
std::vector<nlohmann::json> report_load_costs(const fs::path& dir,
                                              std::vector<std::string>* problems) {
  std::vector<fs::path> files;
  std::error_code ec;
  if (fs::is_directory(dir, ec)) {
    for (const auto& e : fs::directory_iterator(dir)) {
      if (e.is_regular_file() && e.path().extension() == ".json") files.push_back(e.path());
    }
  }
  std::sort(files.begin(), files.end());
  std::vector<nlohmann::json> out;
  for (const fs::path& f : files) {
    std::ifstream in(f);
    nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
    if (j.is_discarded() || !j.is_object() || j.value("kind", "") != "moebench-cost" ||
        !j.contains("rows") || !j["rows"].is_array()) {
      problems->push_back(f.string() + ": not a `moebench cost --format json` file");
      continue;
    }
    // A field the cost section reads, of another type: named here, not thrown by the page.
    if (const std::string problem = cost_table_problem(j); !problem.empty()) {
      problems->push_back(f.string() + ": " + problem + " (the cost table is not shown)");
      continue;
    }
    j["file"] = f.filename().string();
    out.push_back(std::move(j));
  }
  return out;
}

}  // namespace

ReportData report_load(const fs::path& results_dir, const RunSamplesVisitor& visit) {
  ReportData data;
  data.results_dir = results_dir;
  std::vector<RunSummary> runs = run_scan_dir(results_dir, &data.problems);
  for (RunSummary& run : runs) {
    std::vector<SampleRecord> samples;
    try {
      samples = run_load_samples(run.dir);
    } catch (const InputError& e) {
      data.problems.push_back(std::string(e.what()) + " (the run's samples are not shown)");
      data.runs.push_back(std::move(run));
      continue;
    }
    // A cut or edited file: run.json's numbers cannot be checked against it (compare and merge
    // refuse such a run), so the run is left out of every page, as the message says.
    const std::vector<std::string> mismatch = run_samples_mismatch(run, samples);
    for (const std::string& p : mismatch) data.problems.push_back(p + "; the run is left out");
    if (!mismatch.empty()) continue;
    SuiteLatency latency;
    // A replay (a rescore's, or `run --backend replay:FILE`) answers from a file: its latency
    // measures nothing.
    const bool replayed = run.rescore || run.backend_id.rfind("replay:", 0) == 0;
    for (const SampleRecord& s : samples) {
      if (!replayed && !s.cached && s.error_type.empty()) {
        latency[s.suite].seconds.push_back(s.latency_s);
      }
    }
    if (visit) visit(run, samples, latency);
    for (auto& [suite, stats] : latency) {
      data.latency[leaderboard_latency_key(run.run_id, suite)] = std::move(stats);
    }
    data.runs.push_back(std::move(run));
  }
  data.bench = bench_load_history(results_dir / "bench", &data.problems);
  data.costs = report_load_costs(results_dir / "cost", &data.problems);
  return data;
}

SiteResult report_write_site(const fs::path& results_dir, const fs::path& out_dir,
                             const ReportOptions& options) {
  options.validate();
  std::error_code ec;
  if (fs::exists(out_dir / "run.json", ec)) {
    throw input_error(out_dir.string(), "is a run directory; pick another output directory");
  }
  if (!options.rank_suites.empty()) {
    // NOTE: a bad --rank-suites must fail before any page is written; run.json files are small,
    // so they are read once more here rather than threading the check through report_load.
    std::vector<std::string> ignored;
    leaderboard_check_rank_suites(run_scan_dir(results_dir, &ignored), options);
  }
  // Read before any page is written: a malformed table fails the command, not half a site.
  const PublishedScores published = published_scores_load(options.published_scores);
  SiteResult result;
  ReportData data =
      report_load(results_dir, [&](const RunSummary& run, const std::vector<SampleRecord>& samples,
                                   const SuiteLatency& latency) {
        result.pages += site_write_run_pages(out_dir, run, samples, latency, &published);
      });
  const Leaderboard board = leaderboard_build(data.runs, data.latency, options);
  site_write_assets(out_dir);
  result.index = out_dir / "index.html";
  site_write_file(result.index, site_index_page(data, board, options));
  ++result.pages;
  result.runs = data.runs.size();
  result.problems = data.problems;
  result.data = std::move(data);
  return result;
}

}  // namespace moebench
