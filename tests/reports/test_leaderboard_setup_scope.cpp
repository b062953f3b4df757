// Rows whose cells were set up differently do not rank in one column (reviewer 93, F1): an API
// model without prompt log-probs scores MMLU by its generated letter (acc,answer-letter), which
// `compare` refuses against a log-likelihood score (acc,none), yet the leaderboard ranked the two
// in one column of one data scope with no mark on the row.
#include <fstream>
#include <map>

#include "reports/report_site.h"
#include "tests/catch.h"
#include "tests/reports/report_fixtures.h"

using namespace moebench;
using test::FixtureRun;

namespace {

FixtureRun mmlu_run(const std::string& id, const std::string& model, const std::string& metric,
                    int correct, const std::string& created) {
  FixtureRun r = test::suites_run(id, model, {"gsm8k", "mmlu"}, correct, created);
  r.metric = metric;
  return r;
}

}  // namespace

TEST_CASE("leaderboard: a suite scored by another metric ranks in a scope of its own") {
  const auto results = test::fixture_temp_dir("rank-setup-metric");
  test::fixture_write_run(results, mmlu_run("ll-a", "a", "acc,none", 4, "2026-11-01T00:00:00Z"));
  test::fixture_write_run(results, mmlu_run("ll-b", "b", "acc,none", 2, "2026-11-02T00:00:00Z"));
  test::fixture_write_run(results,
                          mmlu_run("gen", "api:x", "acc,answer-letter", 3, "2026-11-03T00:00:00Z"));
  const ReportData data = report_load(results);
  const Leaderboard board = leaderboard_build(data.runs, data.latency, ReportOptions{});
  REQUIRE(board.rows.size() == 3);
  std::map<std::string, const LeaderboardRow*> by_model;
  for (const LeaderboardRow& r : board.rows) by_model[r.model] = &r;
  // The setup most rows share keeps the plain scope; the other is named for what differs (compare:
  // "primary metric acc,none -> acc,answer-letter").
  CHECK(by_model.at("a")->scope == "full");
  CHECK(by_model.at("b")->scope == "full");
  CHECK(by_model.at("api:x")->scope == "full, gsm8k acc,answer-letter, mmlu acc,answer-letter");
  CHECK(by_model.at("a")->rank == 1);
  CHECK(by_model.at("b")->rank == 2);
  CHECK(by_model.at("api:x")->rank == 1);  // first of its own scope, not 2nd among the others
  const std::string sentence = leaderboard_rank_sentence(board);
  INFO(sentence);
  CHECK(sentence.find("scored differently") != std::string::npos);
  // Sampling does not split a scope (da3c59d), and the sentence says so (reviewer 94, F6).
  CHECK(sentence.find("or sampling") == std::string::npos);
  CHECK(sentence.find("sampling a model was sent does not split") != std::string::npos);
  const std::string md = report_markdown(data, ReportOptions{});
  CHECK(md.find("| 1 | api:x | full, gsm8k acc,answer-letter, mmlu acc,answer-letter |") !=
        std::string::npos);
  std::filesystem::remove_all(results);
}

// The same rule as compare's (suite_setup_change): scoring by generation where the others used
// log-likelihood is not comparable either.
TEST_CASE("leaderboard: a suite scored by generation ranks apart from log-likelihood scores") {
  const auto results = test::fixture_temp_dir("rank-setup-scored-by");
  test::fixture_write_run(results, mmlu_run("ll-a", "a", "acc,none", 4, "2026-11-01T00:00:00Z"));
  test::fixture_write_run(results, mmlu_run("ll-b", "b", "acc,none", 2, "2026-11-02T00:00:00Z"));
  test::fixture_write_run(results, mmlu_run("gen", "c", "acc,none", 3, "2026-11-03T00:00:00Z"));
  for (const std::string id : {"ll-a", "ll-b"}) {
    nlohmann::json j = nlohmann::json::parse(test::fixture_read_text(results / id / "run.json"));
    j["suites"]["mmlu"]["scored_by"] = "loglikelihood";
    std::ofstream(results / id / "run.json", std::ios::trunc) << j.dump(1);
  }
  const ReportData data = report_load(results);
  const Leaderboard board = leaderboard_build(data.runs, data.latency, ReportOptions{});
  REQUIRE(board.rows.size() == 3);
  const LeaderboardRow& c = test::row_of(board, "c");
  CHECK(c.scope == "full, mmlu scored by generation");
  CHECK(c.rank == 1);
  CHECK(test::row_of(board, "b").rank == 2);
  std::filesystem::remove_all(results);
}

// Two rows that ran the same other setup rank together in its scope; a row of the plain setup in
// another data scope is not touched (each data scope is judged on its own).
TEST_CASE("leaderboard: rows of the same other setup share its scope") {
  const auto results = test::fixture_temp_dir("rank-setup-shared");
  test::fixture_write_run(results, mmlu_run("ll-a", "a", "acc,none", 4, "2026-11-01T00:00:00Z"));
  test::fixture_write_run(results, mmlu_run("ll-b", "b", "acc,none", 1, "2026-11-01T00:00:00Z"));
  test::fixture_write_run(results, mmlu_run("ll-c", "c", "acc,none", 1, "2026-11-01T00:00:00Z"));
  test::fixture_write_run(results,
                          mmlu_run("gx", "api:x", "acc,answer-letter", 3, "2026-11-02T00:00:00Z"));
  test::fixture_write_run(results,
                          mmlu_run("gy", "api:y", "acc,answer-letter", 2, "2026-11-02T00:00:00Z"));
  FixtureRun samples = mmlu_run("gs", "api:s", "acc,answer-letter", 1, "2026-11-02T00:00:00Z");
  samples.samples_scope = true;
  test::fixture_write_run(results, samples);
  const ReportData data = report_load(results);
  const Leaderboard board = leaderboard_build(data.runs, data.latency, ReportOptions{});
  REQUIRE(board.rows.size() == 6);
  const LeaderboardRow& x = test::row_of(board, "api:x");
  const LeaderboardRow& y = test::row_of(board, "api:y");
  CHECK(x.base_scope == y.base_scope);
  CHECK(x.rank == 1);
  CHECK(y.rank == 2);
  CHECK(test::row_of(board, "api:s").scope == "samples");
  CHECK(test::row_of(board, "a").scope == "full");
  std::filesystem::remove_all(results);
}

// The sampling sent is a model's own setting, not the suite's: an o1-style entry that omits
// temperature (spec.generation.temperature null) or a reasoning model given more max_tokens ranks
// with the others. `compare` of two runs of one model refuses such a change (it is a confound
// there); the leaderboard compares models, each run as its entry sends.
TEST_CASE("leaderboard: rows that sent other sampling settings rank in one scope") {
  const auto results = test::fixture_temp_dir("rank-setup-sampling");
  test::fixture_write_run(results, mmlu_run("t0", "a", "acc,none", 4, "2026-11-01T00:00:00Z"));
  test::fixture_write_run(results, mmlu_run("t1", "b", "acc,none", 2, "2026-11-02T00:00:00Z"));
  test::fixture_write_run(results, mmlu_run("t2", "o1", "acc,none", 3, "2026-11-03T00:00:00Z"));
  auto set_spec = [&](const std::string& id, const nlohmann::json& generation, int fewshot) {
    nlohmann::json j = nlohmann::json::parse(test::fixture_read_text(results / id / "run.json"));
    for (auto& [name, suite] : j["suites"].items()) {
      suite["spec"]["generation"] = generation;
      suite["spec"]["prompt"]["num_fewshot"] = fewshot;
    }
    std::ofstream(results / id / "run.json", std::ios::trunc) << j.dump(1);
  };
  set_spec("t0", {{"temperature", 0.0}, {"top_p", 1.0}, {"max_tokens", 256}}, 5);
  set_spec("t1", {{"temperature", 0.0}, {"top_p", 1.0}, {"max_tokens", 256}}, 5);
  set_spec("t2", {{"temperature", nullptr}, {"top_p", nullptr}, {"max_tokens", 4096}}, 5);
  {
    const ReportData data = report_load(results);
    const Leaderboard board = leaderboard_build(data.runs, data.latency, ReportOptions{});
    REQUIRE(board.rows.size() == 3);
    CHECK(test::row_of(board, "o1").scope == "full");
    CHECK(test::row_of(board, "a").rank == 1);
    CHECK(test::row_of(board, "o1").rank == 2);
    CHECK(test::row_of(board, "b").rank == 3);
  }
  // Another few-shot count is another prompt: that one still ranks apart.
  set_spec("t2", {{"temperature", nullptr}, {"top_p", nullptr}, {"max_tokens", 4096}}, 0);
  const ReportData data = report_load(results);
  const Leaderboard board = leaderboard_build(data.runs, data.latency, ReportOptions{});
  CHECK(test::row_of(board, "o1").scope == "full, gsm8k num_fewshot 0, mmlu num_fewshot 0");
  CHECK(test::row_of(board, "o1").rank == 1);
  std::filesystem::remove_all(results);
}
