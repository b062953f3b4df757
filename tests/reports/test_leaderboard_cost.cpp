// The leaderboard's cost column: every sample of a suite is priced, answers from the cache
// included, at the table (or tables) the run was billed at.
#include <fstream>

#include "reports/report_site.h"
#include "tests/catch.h"
#include "tests/reports/report_fixtures.h"
#include "tests/runner/cli_harness.h"

using namespace moebench;
using test::FixtureRun;
using test::row_of;
using test::suites_run;
using testing::read_file;

TEST_CASE("the leaderboard costs every sample of a suite, answers from the cache included") {
  const auto results = test::fixture_temp_dir("leaderboard-cached-cost");
  FixtureRun api = suites_run("api", "api-model", {"gsm8k"}, 2);
  api.family = "openai";
  const auto api_dir = test::fixture_write_run(results, api);
  const auto builtin_dir =
      test::fixture_write_run(results, suites_run("b", "b-model", {"gsm8k"}, 2));
  // Half of each run's 4 samples came from the cache: billed 200 prompt + 40 output tokens, all
  // 400 + 80. At $1 / $2 per 1M the billed cost is $0.00028 and the whole suite's $0.00056.
  for (const auto& dir : {api_dir, builtin_dir}) {
    nlohmann::json run = nlohmann::json::parse(read_file(dir / "run.json"));
    auto& s = run["suites"]["gsm8k"];
    s["tokens"]["billed"] = {{"prompt", 200}, {"cached_prompt", 0}, {"completion", 40}};
    s["tokens"]["all"] = {{"prompt", 400}, {"cached_prompt", 0}, {"completion", 80}};
    s["cache_hits"] = 2;
    if (dir == api_dir) {
      s["cost"] = {{"usd", 0.00028}, {"prices", {{"input", 1.0}, {"output", 2.0}}}};
    }
    std::ofstream(dir / "run.json", std::ios::trunc) << run.dump(1);
  }
  const ReportData data = report_load(results);
  ReportOptions options;
  options.machine_usd_per_hour = 3.6;  // 10 s of dispatch: $0.01 for the two billed samples
  const Leaderboard board = leaderboard_build(data.runs, data.latency, options);
  const LeaderboardRow& a = row_of(board, "api-model");
  REQUIRE(a.cost_usd.has_value());
  CHECK(std::abs(*a.cost_usd - 0.00056) < 1e-12);
  CHECK(a.tokens == 480);
  CHECK(std::abs(*a.usd_per_million() - 0.00056 / 480 * 1e6) < 1e-9);
  const LeaderboardRow& b = row_of(board, "b-model");
  REQUIRE(b.cost_usd.has_value());
  CHECK(std::abs(*b.cost_usd - 0.02) < 1e-12);
  CHECK(b.cost_estimated);
  std::filesystem::remove_all(results);
}

// A run that crossed a price change lists the tables it was billed at: its cached answers are
// costed at the latest of them, as a single table's run is at its one (the cell had no cost).
TEST_CASE("the leaderboard costs the cached answers of a run priced at several tables") {
  const auto results = test::fixture_temp_dir("leaderboard-two-tables");
  FixtureRun api = suites_run("api", "api-model", {"gsm8k"}, 2);
  api.family = "openai";
  const auto dir = test::fixture_write_run(results, api);
  nlohmann::json run = nlohmann::json::parse(read_file(dir / "run.json"));
  auto& s = run["suites"]["gsm8k"];
  // Billed 200 prompt + 40 output: 100 + 20 at $0.5/$1 ($0.00007), 100 + 20 at $1/$2 ($0.00014);
  // the 200 + 40 from the cache at the later table: $0.00028.
  s["tokens"]["billed"] = {{"prompt", 200}, {"cached_prompt", 0}, {"completion", 40}};
  s["tokens"]["all"] = {{"prompt", 400}, {"cached_prompt", 0}, {"completion", 80}};
  s["cache_hits"] = 2;
  const nlohmann::json half = {{"prompt", 100}, {"cached_prompt", 0}, {"completion", 20}};
  s["cost"] = {{"usd", 0.00021},
               {"prices",
                {{{"input", 0.5},
                  {"output", 1.0},
                  {"effective_from", "2026-01-01"},
                  {"tokens", half},
                  {"usd", 0.00007}},
                 {{"input", 1.0},
                  {"output", 2.0},
                  {"effective_from", "2026-01-01T00:03Z"},
                  {"tokens", half},
                  {"usd", 0.00014}}}}};
  std::ofstream(dir / "run.json", std::ios::trunc) << run.dump(1);
  const ReportData data = report_load(results);
  const Leaderboard board = leaderboard_build(data.runs, data.latency, ReportOptions{});
  const LeaderboardRow& a = row_of(board, "api-model");
  REQUIRE(a.cost_usd.has_value());
  CHECK(std::abs(*a.cost_usd - 0.00049) < 1e-12);
  std::filesystem::remove_all(results);
}

// An oracle on the bundled samples, or a model on 2 documents, is not comparable with models on
// 20: they were ranked 1-4 together (the same model against itself), "all 4 models ran them".
