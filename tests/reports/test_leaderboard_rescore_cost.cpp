// A rescore measures no cost or tokens: its row keeps the original run's cost, and the $/1M tok
// that cost is divided by counts the original run's tokens too. The rescore's own (zero) tokens
// were summed instead: the row's $/1M was too high, or none when every suite was rescored.
#include <fstream>
#include <nlohmann/json.hpp>

#include "reports/report_site.h"
#include "tests/catch.h"
#include "tests/reports/report_fixtures.h"

using namespace moebench;
using test::FixtureRun;

namespace {

FixtureRun two_docs_each(const std::string& id, const std::vector<std::string>& suites,
                         const std::string& created) {
  FixtureRun r = test::fixture_run(id, "m");
  r.created = created;
  for (const std::string& s : suites) {
    for (int i = 0; i < 2; ++i) {
      r.samples.push_back({s, s + "/" + std::to_string(i), "42", 1.0, 0.5, ""});
    }
  }
  return r;
}

// Turns dir/run.json into a rescore of run `of_run` (backend "m"), as `moebench rescore` writes
// one: a replay backend, no tokens and no time.
void make_rescore(const std::filesystem::path& dir, const std::string& of_run) {
  nlohmann::json j = nlohmann::json::parse(std::ifstream(dir / "run.json"));
  j["backend"] = {{"id", "replay:abc"}, {"family", "replay"}};
  j["rescore"] = {{"source", of_run + "/samples.jsonl"},
                  {"of_run", of_run},
                  {"backend", "m"},
                  {"backend_family", "builtin"}};
  for (auto& [name, s] : j["suites"].items()) {
    s["tokens"]["billed"] = {
        {"prompt", 0}, {"cached_prompt", 0}, {"completion", 0}, {"reasoning", 0}};
  }
  j["timings"]["dispatch_s"] = 0;
  std::ofstream(dir / "run.json") << j.dump(1);
}

}  // namespace

TEST_CASE("leaderboard: a rescored cell's tokens for $/1M are its original run's") {
  const auto results = test::fixture_temp_dir("rescore-cost");
  // 10 s of machine time at $3.60/h: $0.01 for 4 documents x 120 tokens.
  test::fixture_write_run(results, two_docs_each("a1", {"gsm8k", "ceval"}, "2026-11-01T00:00:00Z"));
  make_rescore(
      test::fixture_write_run(results, two_docs_each("r1", {"gsm8k"}, "2026-11-02T00:00:00Z")),
      "a1");
  ReportOptions options;
  options.machine_usd_per_hour = 3.6;
  ReportData data = report_load(results);
  Leaderboard board = leaderboard_build(data.runs, data.latency, options);
  REQUIRE(board.rows.size() == 1);
  CHECK(board.rows[0].rescored);
  CHECK(board.rows[0].cells.at("gsm8k").run->run_id == "r1");
  REQUIRE(board.rows[0].cost_usd.has_value());
  CHECK(*board.rows[0].cost_usd == Approx(0.01));
  CHECK(board.rows[0].tokens == 480);
  REQUIRE(board.rows[0].usd_per_million().has_value());
  CHECK(*board.rows[0].usd_per_million() == Approx(0.01 / 480 * 1e6));

  // Every suite rescored: the same cost over the same tokens.
  make_rescore(test::fixture_write_run(
                   results, two_docs_each("r2", {"gsm8k", "ceval"}, "2026-11-03T00:00:00Z")),
               "a1");
  data = report_load(results);
  board = leaderboard_build(data.runs, data.latency, options);
  REQUIRE(board.rows.size() == 1);
  CHECK(board.rows[0].cells.at("ceval").run->run_id == "r2");
  CHECK(board.rows[0].tokens == 480);
  REQUIRE(board.rows[0].usd_per_million().has_value());
  CHECK(*board.rows[0].usd_per_million() == Approx(0.01 / 480 * 1e6));
  std::filesystem::remove_all(results);
}
