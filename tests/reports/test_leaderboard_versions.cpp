// Rows whose cells ran different versions of a suite do not rank together (reviewer 83, F1):
// compare and the nightly gate call such scores not comparable, yet the leaderboard ranked a
// gaokao 1.4 cell against a 1.5 cell as one column.
#include <map>

#include "reports/report_site.h"
#include "tests/catch.h"
#include "tests/reports/report_fixtures.h"

using namespace moebench;
using test::FixtureRun;

namespace {

FixtureRun versioned_run(const std::string& id, const std::string& model,
                         const std::string& version, const std::string& created) {
  FixtureRun r = test::fixture_run(id, model);
  r.created = created;
  r.suite_version = version;
  for (int i = 0; i < 4; ++i)
    r.samples.push_back({"gsm8k", "gsm8k/" + std::to_string(i), "42", 1.0, 0.5, ""});
  return r;
}

}  // namespace

TEST_CASE("leaderboard: a cell of an older suite version ranks in a scope of its own") {
  const auto results = test::fixture_temp_dir("rank-versions");
  test::fixture_write_run(results, versioned_run("old", "a", "1.4", "2026-11-01T00:00:00Z"));
  test::fixture_write_run(results, versioned_run("new", "b", "1.5", "2026-11-02T00:00:00Z"));
  test::fixture_write_run(results, versioned_run("newer", "c", "1.10", "2026-11-03T00:00:00Z"));
  const ReportData data = report_load(results);
  const Leaderboard board = leaderboard_build(data.runs, data.latency, ReportOptions{});
  REQUIRE(board.rows.size() == 3);
  std::map<std::string, const LeaderboardRow*> by_model;
  for (const LeaderboardRow& r : board.rows) by_model[r.model] = &r;
  CHECK(by_model.at("c")->scope == "full");
  CHECK(by_model.at("b")->scope == "full, gsm8k v1.5");
  CHECK(by_model.at("a")->scope == "full, gsm8k v1.4");
  CHECK(by_model.at("a")->base_scope != by_model.at("b")->base_scope);
  CHECK(by_model.at("a")->rank == 1);
  CHECK(by_model.at("b")->rank == 1);
  const std::string sentence = leaderboard_rank_sentence(board);
  INFO(sentence);
  CHECK(sentence.find("older suite version") != std::string::npos);
  std::filesystem::remove_all(results);
}

TEST_CASE("leaderboard: a model that re-ran the newer version keeps one row") {
  const auto results = test::fixture_temp_dir("rank-versions-rerun");
  test::fixture_write_run(results, versioned_run("old", "a", "1.4", "2026-11-01T00:00:00Z"));
  test::fixture_write_run(results, versioned_run("new", "a", "1.5", "2026-11-02T00:00:00Z"));
  const ReportData data = report_load(results);
  const Leaderboard board = leaderboard_build(data.runs, data.latency, ReportOptions{});
  REQUIRE(board.rows.size() == 1);
  CHECK(board.rows[0].scope == "full");
  CHECK(board.rows[0].rank == 1);
  std::filesystem::remove_all(results);
}
