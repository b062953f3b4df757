// A run whose samples.jsonl disagrees with run.json (a cut or edited file) is named "left out"
// by the report (reviewer 93, F4): it was still on the leaderboard, ranked on run.json's numbers,
// and its suite page said "0 samples". It is now left out of the leaderboard, the runs table and
// the pages, as the message says.
#include <fstream>

#include "reports/report_site.h"
#include "tests/catch.h"
#include "tests/reports/report_fixtures.h"

using namespace moebench;
using test::FixtureRun;
using test::suites_run;

TEST_CASE("report: a run with a cut samples.jsonl is left out of the leaderboard as it says") {
  const auto results = test::fixture_temp_dir("report-left-out");
  test::fixture_write_run(results, suites_run("old", "model-a", {"gsm8k", "humaneval"}, 1));
  const auto cut = test::fixture_write_run(
      results, suites_run("cut", "model-a", {"gsm8k", "humaneval"}, 4, "2026-11-02T00:00:00Z"));
  test::fixture_write_run(results, suites_run("b", "model-b", {"gsm8k", "humaneval"}, 2));
  // Keep gsm8k's four lines: humaneval's are gone.
  const std::string text = test::fixture_read_text(cut / "samples.jsonl");
  size_t at = 0;
  for (int i = 0; i < 4; ++i) at = text.find('\n', at) + 1;
  std::ofstream(cut / "samples.jsonl", std::ios::trunc) << text.substr(0, at);

  const SiteResult r = report_write_site(results, results / "site", ReportOptions{});
  REQUIRE(r.problems.size() == 1);
  INFO(r.problems[0]);
  CHECK(r.problems[0].find("cut/samples.jsonl has 0 samples of suite 'humaneval' but run.json "
                           "says 4") != std::string::npos);
  CHECK(r.problems[0].find("the run is left out") != std::string::npos);
  CHECK(r.runs == 2);
  // The model's row is its earlier whole run's; nothing links to the cut run.
  const Leaderboard board = leaderboard_build(r.data.runs, r.data.latency, ReportOptions{});
  const LeaderboardRow& a = test::row_of(board, "model-a");
  CHECK(a.latest->run_id == "old");
  CHECK(*a.mean_score == 0.25);
  const std::string index = test::fixture_read_text(results / "site" / "index.html");
  CHECK(index.find("runs/cut/") == std::string::npos);
  CHECK_FALSE(std::filesystem::exists(results / "site" / "runs" / "cut"));
  CHECK(index.find("left out: " + (cut / "samples.jsonl").string()) != std::string::npos);
  // The Markdown summary says and does the same.
  const ReportData data = report_load(results);
  CHECK(data.runs.size() == 2);
  const std::string md = report_markdown(data, ReportOptions{});
  INFO(md);
  CHECK(md.find("| model-a | full | **25.0** |") != std::string::npos);
  CHECK(md.find("the run is left out") != std::string::npos);
  std::filesystem::remove_all(results);
}
