// A run with `--backend-opt model=X` sent another model than its entry's (reviewer 83, F2): it
// was the entry's row, superseded the entry's own runs and pooled with its shards. It is now a
// row of its own, named for the model sent.
#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>

#include "reports/report_site.h"
#include "tests/catch.h"
#include "tests/reports/report_fixtures.h"

using namespace moebench;
using test::FixtureRun;

namespace {

// An api:ds run of gsm8k; `sent` the model it sent, `entry` the entry's ("" = no override
// recorded), `command` the recorded command line ("" = the fixture's).
void write_api_run(const std::filesystem::path& results, const std::string& id,
                   const std::string& shard, const std::string& created, const std::string& sent,
                   const std::string& entry, const std::string& command = "") {
  FixtureRun r = test::fixture_run(id, "api:ds");
  r.family = "deepseek";
  r.created = created;
  r.shard = shard;
  for (int i = 0; i < 2; ++i)
    r.samples.push_back({"gsm8k", "g/" + std::to_string(i), "42", 1.0, 0.5, ""});
  const auto dir = test::fixture_write_run(results, r);
  nlohmann::json j = nlohmann::json::parse(std::ifstream(dir / "run.json"));
  j["backend"]["details"] = {{"model", sent}, {"name", "ds"}};
  if (!entry.empty()) j["backend"]["details"]["entry_model"] = entry;
  if (!command.empty()) j["command"] = command;
  std::ofstream(dir / "run.json") << j.dump(1) << "\n";
}

std::vector<std::string> labels(const Leaderboard& board) {
  std::vector<std::string> out;
  for (const LeaderboardRow& r : board.rows) out.push_back(r.label());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("leaderboard: a model override is a row of its own named for the model sent") {
  const auto results = test::fixture_temp_dir("model-override");
  write_api_run(results, "base", "0/1", "2026-11-01T00:00:00Z", "m", "");
  write_api_run(results, "other", "0/1", "2026-11-02T00:00:00Z", "other-model", "m");
  const ReportData data = report_load(results);
  const Leaderboard board = leaderboard_build(data.runs, data.latency, ReportOptions{});
  CHECK(labels(board) ==
        std::vector<std::string>{"api:ds (full)", "api:ds model=other-model (full)"});
  for (const LeaderboardRow& r : board.rows) {
    CHECK_FALSE(r.superseded);
    CHECK(r.rank == 1);
  }
  std::filesystem::remove_all(results);
}

TEST_CASE("leaderboard: shards of two models never pool into one row") {
  const auto results = test::fixture_temp_dir("model-override-shards");
  write_api_run(results, "s0", "0/2", "2026-11-01T00:00:00Z", "m", "");
  write_api_run(results, "s1", "1/2", "2026-11-01T00:00:00Z", "other-model", "m");
  const ReportData data = report_load(results);
  const Leaderboard board = leaderboard_build(data.runs, data.latency, ReportOptions{});
  REQUIRE(board.rows.size() == 2);
  for (const LeaderboardRow& r : board.rows) {
    CHECK(r.incomplete);
    CHECK_FALSE(r.rank.has_value());
  }
  std::filesystem::remove_all(results);
}

// Written before run.json recorded the entry's model: the command line says the override.
TEST_CASE("leaderboard: an override found on an older run's command line is its own row") {
  const auto results = test::fixture_temp_dir("model-override-command");
  write_api_run(results, "base", "0/1", "2026-11-01T00:00:00Z", "m", "");
  write_api_run(results, "other", "0/1", "2026-11-02T00:00:00Z", "other-model", "",
                "moebench run --backend api:ds --models models.json --backend-opt "
                "max_in_flight=2 --backend-opt model=other-model --samples");
  const ReportData data = report_load(results);
  const Leaderboard board = leaderboard_build(data.runs, data.latency, ReportOptions{});
  CHECK(labels(board) ==
        std::vector<std::string>{"api:ds (full)", "api:ds model=other-model (full)"});
  std::filesystem::remove_all(results);
}
