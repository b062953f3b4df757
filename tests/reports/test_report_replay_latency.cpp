// A replay answers from a file and measures no latency (reviewer 93, F5): a plain
// `run --backend replay:FILE` showed p50/p95 "0 ms" on the leaderboard (sorting as the fastest
// model) and "0 ms" per suite on its run page, where a rescore (also a replay) showed "—".
#include "reports/report_site.h"
#include "tests/catch.h"
#include "tests/reports/report_fixtures.h"

using namespace moebench;
using test::FixtureRun;
using test::suites_run;

TEST_CASE("report: a replay run shows no latency on the leaderboard and its run page") {
  const auto results = test::fixture_temp_dir("report-replay-latency");
  test::fixture_write_run(results, suites_run("o", "model-a", {"gsm8k"}, 2));
  FixtureRun replay = suites_run("rp", "replay:0426f514", {"gsm8k"}, 2, "2026-11-02T00:00:00Z");
  replay.family = "validation";
  for (test::FixtureSample& s : replay.samples) s.latency_s = 0;
  test::fixture_write_run(results, replay);

  const SiteResult r = report_write_site(results, results / "site", ReportOptions{});
  CHECK(r.problems.empty());
  const Leaderboard board = leaderboard_build(r.data.runs, r.data.latency, ReportOptions{});
  const LeaderboardRow& rp = test::row_of(board, "replay:0426f514");
  CHECK_FALSE(rp.latency_p50.has_value());
  CHECK_FALSE(rp.latency_p95.has_value());
  REQUIRE(test::row_of(board, "model-a").latency_p50.has_value());  // a measured run keeps its own
  CHECK(*test::row_of(board, "model-a").latency_p50 == 0.5);
  const std::string index = test::fixture_read_text(results / "site" / "index.html");
  CHECK(index.find(">0 ms<") == std::string::npos);
  CHECK(index.find(">500 ms<") != std::string::npos);  // model-a's p50 and p95
  const std::string page = test::fixture_read_text(results / "site" / "runs" / "rp" / "index.html");
  INFO(page.substr(page.find("<h2>Suites</h2>")));
  CHECK(page.find(">0 ms<") == std::string::npos);
  std::filesystem::remove_all(results);
}
