// A model evaluated in one data scope both unsharded and as shards has two rows (their cells pool
// differently); only the newer one ranks. Both ranked against each other before: the same model
// held two places of one ranking.
#include "reports/report_site.h"
#include "tests/catch.h"
#include "tests/reports/report_fixtures.h"

using namespace moebench;
using test::FixtureRun;

namespace {

FixtureRun gsm8k_run(const std::string& id, const std::string& model, const std::string& shard,
                     int first, int docs, int correct, const std::string& created) {
  FixtureRun r = test::fixture_run(id, model);
  r.created = created;
  r.shard = shard;
  for (int i = first; i < first + docs; ++i) {
    r.samples.push_back(
        {"gsm8k", "gsm8k/" + std::to_string(i), "42", i - first < correct ? 1.0 : 0.0, 0.5, ""});
  }
  return r;
}

}  // namespace

TEST_CASE("leaderboard: a model's older row in the same data scope is not ranked") {
  const auto results = test::fixture_temp_dir("rank-superseded");
  test::fixture_write_run(results, gsm8k_run("whole", "m", "0/1", 0, 4, 1, "2026-11-01T00:00:00Z"));
  test::fixture_write_run(results, gsm8k_run("s0", "m", "0/2", 0, 2, 2, "2026-11-02T00:00:00Z"));
  test::fixture_write_run(results, gsm8k_run("s1", "m", "1/2", 2, 2, 1, "2026-11-02T00:00:00Z"));
  test::fixture_write_run(results, gsm8k_run("other", "n", "0/1", 0, 4, 2, "2026-11-01T00:00:00Z"));
  const ReportData data = report_load(results);
  const Leaderboard board = leaderboard_build(data.runs, data.latency, ReportOptions{});
  REQUIRE(board.rows.size() == 3);
  CHECK(board.rows[0].label() == "m (full, 2/2 shards)");
  CHECK(board.rows[0].rank == 1);
  CHECK(board.rows[1].label() == "n (full)");
  CHECK(board.rows[1].rank == 2);
  CHECK(board.rows[2].label() == "m (full)");
  CHECK_FALSE(board.rows[2].rank.has_value());
  CHECK(board.rows[2].superseded);
  CHECK(leaderboard_unranked_why(board.rows[2]) == "superseded by a newer row of this model");
  const std::string sentence = leaderboard_rank_sentence(board);
  INFO(sentence);
  CHECK(sentence.find("An older row of a model in the same data scope is not ranked") !=
        std::string::npos);
  std::filesystem::remove_all(results);
}

// A newer row that cannot rank (a shard still missing, or over its error gate) does not take the
// model's complete result out of the ranking: it did, and the model had no rank at all.
TEST_CASE("leaderboard: a newer incomplete row does not supersede a complete one") {
  const auto results = test::fixture_temp_dir("rank-superseded-incomplete");
  test::fixture_write_run(results, gsm8k_run("whole", "m", "0/1", 0, 4, 3, "2026-11-01T00:00:00Z"));
  test::fixture_write_run(results, gsm8k_run("s0", "m", "0/2", 0, 2, 2, "2026-11-02T00:00:00Z"));
  test::fixture_write_run(results, gsm8k_run("other", "n", "0/1", 0, 4, 2, "2026-11-01T00:00:00Z"));
  const ReportData data = report_load(results);
  const Leaderboard board = leaderboard_build(data.runs, data.latency, ReportOptions{});
  const LeaderboardRow* whole = nullptr;
  const LeaderboardRow* shard = nullptr;
  for (const LeaderboardRow& r : board.rows) {
    if (r.label() == "m (full)") whole = &r;
    if (r.label() == "m (full, 1/2 shards (incomplete))") shard = &r;
  }
  REQUIRE(whole);
  REQUIRE(shard);
  CHECK_FALSE(whole->superseded);
  CHECK(whole->rank == 1);
  CHECK_FALSE(shard->rank.has_value());
  CHECK(leaderboard_unranked_why(*shard) == "incomplete shards");
  std::filesystem::remove_all(results);
}
