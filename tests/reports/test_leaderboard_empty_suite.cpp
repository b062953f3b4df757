// A suite that scored no documents (n_docs 0: a shard past a small suite's end, a rescore asked
// for a suite its file has no answers of) is no score: the leaderboard showed it as 0.0 and
// ranked the model on it, and it displaced the model's earlier real result of that suite.
#include <fstream>
#include <nlohmann/json.hpp>

#include "reports/report_site.h"
#include "tests/catch.h"
#include "tests/reports/report_fixtures.h"

using namespace moebench;
using test::FixtureRun;

namespace {

FixtureRun all_right(const std::string& id, const std::string& model,
                     const std::vector<std::string>& suites, const std::string& created,
                     const std::string& shard = "0/1") {
  FixtureRun r = test::fixture_run(id, model);
  r.created = created;
  r.shard = shard;
  for (const std::string& s : suites) {
    for (int i = 0; i < 2; ++i) {
      r.samples.push_back({s, s + "/" + id + "/" + std::to_string(i), "42", 1.0, 0.5, ""});
    }
  }
  return r;
}

// Adds to dir/run.json a suite `suite` that scored nothing, as the runner writes one.
void add_empty_suite(const std::filesystem::path& dir, const std::string& suite) {
  nlohmann::json j = nlohmann::json::parse(std::ifstream(dir / "run.json"));
  nlohmann::json s = j["suites"].begin().value();
  s["n_docs"] = 0;
  for (auto& [name, m] : s["metrics"].items())
    m = {{"mean", 0.0}, {"stderr", 0.0}, {"n", 0}, {"higher_is_better", true}};
  s["tokens"]["billed"] = {
      {"prompt", 0}, {"cached_prompt", 0}, {"completion", 0}, {"reasoning", 0}};
  j["suites"][suite] = s;
  std::ofstream(dir / "run.json") << j.dump(1);
}

const LeaderboardRow& row_of(const Leaderboard& board, const std::string& label) {
  for (const LeaderboardRow& r : board.rows) {
    if (r.label() == label) return r;
  }
  FAIL("no row " << label);
  return board.rows.front();
}

}  // namespace

TEST_CASE("leaderboard: a suite with no documents scored is no score") {
  const auto results = test::fixture_temp_dir("rank-empty-suite");
  test::fixture_write_run(results,
                          all_right("old", "m", {"gsm8k", "ceval"}, "2026-11-01T00:00:00Z"));
  add_empty_suite(
      test::fixture_write_run(results, all_right("new", "m", {"gsm8k"}, "2026-11-02T00:00:00Z")),
      "ceval");
  add_empty_suite(
      test::fixture_write_run(results, all_right("z", "z", {"gsm8k"}, "2026-11-01T00:00:00Z")),
      "ceval");
  // Shards: the second scored no ceval document; the row pools the first's.
  test::fixture_write_run(results,
                          all_right("s0", "s", {"gsm8k", "ceval"}, "2026-11-01T00:00:00Z", "0/2"));
  add_empty_suite(test::fixture_write_run(
                      results, all_right("s1", "s", {"gsm8k"}, "2026-11-01T00:00:00Z", "1/2")),
                  "ceval");
  const ReportData data = report_load(results);
  const Leaderboard board = leaderboard_build(data.runs, data.latency, ReportOptions{});

  const LeaderboardRow& m = row_of(board, "m (full)");
  REQUIRE(m.cells.count("ceval") == 1);
  CHECK(m.cells.at("ceval").run->run_id == "old");
  CHECK(m.cells.at("ceval").suite.primary()->mean == 1.0);
  CHECK(*m.mean_score == 1.0);
  const LeaderboardRow& z = row_of(board, "z (full)");
  CHECK(z.cells.count("ceval") == 0);
  CHECK(*z.mean_score == 1.0);
  const LeaderboardRow& s = row_of(board, "s (full, 2/2 shards)");
  CHECK_FALSE(s.incomplete);
  REQUIRE(s.cells.count("ceval") == 1);
  CHECK(s.cells.at("ceval").suite.n_docs == 2);
  CHECK(s.cells.at("ceval").suite.primary()->mean == 1.0);
  std::filesystem::remove_all(results);
}
