// The leaderboard ranks like with like: rows are ranked on one common suite set (default rule or
// --rank-suites) and rows that lack a ranking suite follow unranked with what they miss; shards of
// one model pool into one row; a rescore keeps the original model and data scope.
#include <cmath>
#include <fstream>
#include <sstream>

#include "common/error.h"
#include "reports/report_site.h"
#include "tests/catch.h"
#include "tests/input_error_of.h"
#include "tests/reports/report_fixtures.h"
#include "tests/runner/cli_harness.h"

using namespace moebench;
using test::FixtureRun;
using test::row_of;
using test::suites_run;

namespace {

const std::vector<std::string> kEleven = {"agieval_gaokao",
                                          "agieval_gaokao_mathcloze",
                                          "arc_challenge",
                                          "ceval",
                                          "cmmlu",
                                          "gaokao",
                                          "gsm8k",
                                          "humaneval",
                                          "math500",
                                          "mbpp",
                                          "mmlu"};

// One gsm8k sample per value, the first one failed with a backend error.
FixtureRun shard_run(const std::string& id, const std::string& model, const std::string& shard,
                     const std::vector<double>& values, const std::string& created) {
  FixtureRun r = test::fixture_run(id, model);
  r.created = created;
  r.shard = shard;
  for (size_t i = 0; i < values.size(); ++i) {
    r.samples.push_back({"gsm8k", id + "/" + std::to_string(i), "42", values[i], 0.5,
                         i == 0 ? "backend_error" : ""});
  }
  return r;
}

}  // namespace

TEST_CASE("a 2-suite row at 100% is not ranked above an 11-suite row and is listed as missing") {
  const auto results = test::fixture_temp_dir("rank-common");
  test::fixture_write_run(results, suites_run("eleven", "model-eleven", kEleven, 3));
  test::fixture_write_run(results, suites_run("two", "oracle-two", {"gsm8k", "mmlu"}, 4));
  const ReportData data = report_load(results);
  const Leaderboard board = leaderboard_build(data.runs, data.latency, ReportOptions{});

  CHECK(board.rank_suites == kEleven);  // 1 row x 11 suites beats 2 rows x 2 suites
  CHECK_FALSE(board.rank_suites_given);
  REQUIRE(board.rows.size() == 2);
  CHECK(board.rows[0].model == "model-eleven");
  CHECK(board.rows[0].rank == 1);
  CHECK(*board.rows[0].rank_score == 0.75);
  const LeaderboardRow& two = board.rows[1];
  CHECK(two.model == "oracle-two");
  CHECK_FALSE(two.rank.has_value());
  CHECK_FALSE(two.rank_score.has_value());
  CHECK(*two.mean_score == 1.0);  // its own mean is kept, and does not rank
  CHECK(two.missing == std::vector<std::string>{"agieval_gaokao", "agieval_gaokao_mathcloze",
                                                "arc_challenge", "ceval", "cmmlu", "gaokao",
                                                "humaneval", "math500", "mbpp"});
  const std::string sentence = leaderboard_rank_sentence(board);
  CHECK(sentence.find("Ranked on the 11 suites every ranked model ran: agieval_gaokao, "
                      "agieval_gaokao_mathcloze, arc_challenge,") == 0);
  CHECK(sentence.find("1 of 2 models ran them all") != std::string::npos);

  report_write_site(results, results / "site", ReportOptions{});
  const std::string index = test::fixture_read_text(results / "site" / "index.html");
  CHECK(index.find("<p class=\"ranking\" id=\"ranking\">Ranked on the 11 suites") !=
        std::string::npos);
  CHECK(index.find("unranked · missing: agieval_gaokao, agieval_gaokao_mathcloze, "
                   "arc_challenge, ceval, cmmlu, gaokao, humaneval, math500, mbpp") !=
        std::string::npos);
  CHECK(index.find(">model-eleven<") < index.find(">oracle-two<"));
  const std::string md = report_markdown(data, ReportOptions{});
  CHECK(md.find("| 1 | model-eleven | full | **75.0** |") != std::string::npos);
  CHECK(md.find("| — | oracle-two | full | unranked (missing: agieval_gaokao, ") !=
        std::string::npos);
  CHECK(md.find("mbpp), own 100.0 |") != std::string::npos);
  std::filesystem::remove_all(results);
}

TEST_CASE("the default ranking set maximises rows x suites, ties to the larger set") {
  const auto results = test::fixture_temp_dir("rank-rule");
  const std::vector<std::string> four = {"ceval", "cmmlu", "gsm8k", "mmlu"};
  test::fixture_write_run(results, suites_run("a", "a", four, 2));
  test::fixture_write_run(results, suites_run("b", "b", four, 3));
  test::fixture_write_run(results, suites_run("c", "c", {"gsm8k", "mmlu"}, 4));
  test::fixture_write_run(results, suites_run("d", "d", {"gsm8k", "mmlu"}, 1));
  ReportData data = report_load(results);
  // 2 rows x 4 suites = 8 = 4 rows x 2 suites: the larger set.
  Leaderboard board = leaderboard_build(data.runs, data.latency, ReportOptions{});
  CHECK(board.rank_suites == four);
  CHECK(row_of(board, "b").rank == 1);
  CHECK(row_of(board, "a").rank == 2);
  CHECK_FALSE(row_of(board, "c").rank.has_value());
  CHECK(board.rows[2].model == "c");  // unranked rows follow, by their own mean
  // One more 2-suite row: 5 x 2 = 10 > 8, every row ranks on gsm8k and mmlu.
  test::fixture_write_run(results, suites_run("e", "e", {"gsm8k", "mmlu"}, 2));
  data = report_load(results);
  board = leaderboard_build(data.runs, data.latency, ReportOptions{});
  CHECK(board.rank_suites == std::vector<std::string>{"gsm8k", "mmlu"});
  CHECK(row_of(board, "c").rank == 1);
  CHECK(row_of(board, "b").rank == 2);
  CHECK(*row_of(board, "a").rank_score == 0.5);
  CHECK(row_of(board, "a").rank == 3);
  CHECK(row_of(board, "e").rank == 3);  // ties share a rank
  CHECK(row_of(board, "d").rank == 5);
  std::filesystem::remove_all(results);
}

// Means are sums of doubles: 0.1 + 0.2 + 0.3 != 0.3 + 0.2 + 0.1 in the last bit, and the rows
// ranked 1 and 2 on one mean.
TEST_CASE("equal means in another suite order share a rank") {
  const auto results = test::fixture_temp_dir("rank-tie");
  const std::vector<std::string> three = {"arc_challenge", "gsm8k", "humaneval"};
  const auto tenths = [&](const std::string& id, const std::vector<int>& correct) {
    FixtureRun r = test::fixture_run(id, id);
    for (size_t s = 0; s < three.size(); ++s) {
      for (int i = 0; i < 10; ++i) {
        r.samples.push_back({three[s], three[s] + "/" + std::to_string(i), "42",
                             i < correct[s] ? 1.0 : 0.0, 0.5, ""});
      }
    }
    test::fixture_write_run(results, r);
  };
  tenths("t1", {1, 2, 3});
  tenths("t2", {3, 2, 1});
  tenths("t3", {1, 1, 1});
  const ReportData data = report_load(results);
  const Leaderboard board = leaderboard_build(data.runs, data.latency, ReportOptions{});
  CHECK(row_of(board, "t1").rank == 1);
  CHECK(row_of(board, "t2").rank == 1);
  CHECK(row_of(board, "t3").rank == 3);
  CHECK(board.rows[0].model == "t1");  // tied rows by their own mean, then by label
  CHECK(board.rows[1].model == "t2");
  std::filesystem::remove_all(results);
}

TEST_CASE("the --rank-suites option overrides the ranking set and rejects an unknown suite") {
  const auto results = test::fixture_temp_dir("rank-given");
  test::fixture_write_run(results, suites_run("eleven", "model-eleven", kEleven, 3));
  test::fixture_write_run(results, suites_run("two", "oracle-two", {"gsm8k", "mmlu"}, 4));
  const ReportData data = report_load(results);
  ReportOptions options;
  options.rank_suites = {"mmlu", "gsm8k"};
  const Leaderboard board = leaderboard_build(data.runs, data.latency, options);
  CHECK(board.rank_suites_given);
  CHECK(board.rank_suites == std::vector<std::string>{"gsm8k", "mmlu"});
  CHECK(board.rows[0].model == "oracle-two");
  CHECK(board.rows[0].rank == 1);
  CHECK(board.rows[1].rank == 2);
  CHECK(leaderboard_rank_sentence(board).find(
            "Ranked on the 2 suites given by --rank-suites: gsm8k, mmlu.") == 0);

  options.rank_suites = {"gsm8k", "nosuch"};
  CHECK(testing::input_error_of([&] { leaderboard_build(data.runs, data.latency, options); }) ==
        "--rank-suites: no run has suite 'nosuch' (suites: agieval_gaokao, "
        "agieval_gaokao_mathcloze, arc_challenge, ceval, cmmlu, gaokao, gsm8k, humaneval, math500, "
        "mbpp, mmlu)");
  // Through the CLI: one line, exit 2, no page written.
  const std::string bin = testing::moebench_bin();
  const auto r =
      testing::run_command(bin + " report '" + results.string() + "' -o '" +
                               (results / "site").string() + "' --rank-suites gsm8k,nosuch",
                           results);
  INFO(r.output);
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("--rank-suites: no run has suite 'nosuch'") != std::string::npos);
  CHECK(std::count(r.output.begin(), r.output.end(), '\n') == 1);
  CHECK_FALSE(std::filesystem::exists(results / "site"));
  const auto ok = testing::run_command(
      bin + " report '" + results.string() + "' --format md --rank-suites gsm8k,mmlu", results);
  CHECK(ok.exit_code == 0);
  CHECK(ok.output.find("| 1 | oracle-two | full | **100.0** |") != std::string::npos);
  std::filesystem::remove_all(results);
}

TEST_CASE("a suite whose primary metric is lower-is-better is in no mean, and the page says so") {
  const auto results = test::fixture_temp_dir("rank-lower");
  test::fixture_write_run(results, suites_run("a", "a", {"gsm8k", "mmlu"}, 3));
  FixtureRun loss = suites_run("a-loss", "a", {"wikitext"}, 1, "2026-11-02T00:00:00Z");
  loss.metric = "word_perplexity,none";
  loss.higher_is_better = false;
  test::fixture_write_run(results, loss);
  test::fixture_write_run(results, suites_run("b", "b", {"gsm8k", "mmlu", "wikitext"}, 2));
  const ReportData data = report_load(results);
  const Leaderboard board = leaderboard_build(data.runs, data.latency, ReportOptions{});
  CHECK(board.lower_is_better == std::vector<std::string>{"wikitext"});
  CHECK(board.rank_suites == std::vector<std::string>{"gsm8k", "mmlu"});
  CHECK(*row_of(board, "a").rank_score == 0.75);
  CHECK(*row_of(board, "a").mean_score == 0.75);  // wikitext's 0.25 is not in it
  CHECK(row_of(board, "a").mean_suites == 2);
  CHECK(leaderboard_rank_sentence(board).find("Not in any mean (lower is better): wikitext.") !=
        std::string::npos);
  ReportOptions options;
  options.rank_suites = {"gsm8k", "wikitext"};
  CHECK(testing::input_error_of([&] {
          leaderboard_build(data.runs, data.latency, options);
        }).find("--rank-suites: 'wikitext' has a lower-is-better primary metric") !=
        std::string::npos);
  std::filesystem::remove_all(results);
}

TEST_CASE("shards of one model pool into one row with the exact mean and stderr") {
  const auto results = test::fixture_temp_dir("rank-shards");
  // Superseded by the later run of shard 0.
  test::fixture_write_run(
      results, shard_run("s0-old", "sharded", "0/2", {0, 0, 0, 0}, "2026-11-01T00:00:00Z"));
  test::fixture_write_run(results,
                          shard_run("s0", "sharded", "0/2", {1, 0, 1, 1}, "2026-11-02T00:00:00Z"));
  test::fixture_write_run(results,
                          shard_run("s1", "sharded", "1/2", {0, 0, 1}, "2026-11-02T01:00:00Z"));
  for (int i = 0; i < 3; ++i) {
    test::fixture_write_run(
        results, shard_run("p" + std::to_string(i), "partial", std::to_string(i) + "/4", {1, 1},
                           "2026-11-03T00:00:00Z"));
  }
  const ReportData data = report_load(results);
  ReportOptions options;
  options.machine_usd_per_hour = 3.6;  // 10 s of dispatch per run: $0.01 each
  const Leaderboard board = leaderboard_build(data.runs, data.latency, options);
  REQUIRE(board.rows.size() == 2);

  const LeaderboardRow& row = row_of(board, "sharded");
  CHECK(row.scope == "full, 2/2 shards");
  CHECK(row.runs == 3);
  CHECK_FALSE(row.incomplete);
  const LeaderboardCell& cell = row.cells.at("gsm8k");
  CHECK(cell.runs.size() == 2);
  CHECK(cell.run->run_id == "s1");
  const MetricStat& m = *cell.suite.primary();
  // The 7 values 1,0,1,1,0,0,1: mean 4/7; sample variance (4 (3/7)^2 + 3 (4/7)^2) / 6 = 2/7,
  // stderr sqrt(2/7 / 7) = sqrt(2)/7. From the shards: 0.75 ± 0.25 (n 4), 1/3 ± 1/3 (n 3).
  CHECK(m.n == 7);
  CHECK(std::abs(m.mean - 4.0 / 7) < 1e-12);
  CHECK(std::abs(m.stderr_ - std::sqrt(2.0) / 7) < 1e-12);
  CHECK(cell.suite.n_docs == 7);
  CHECK(cell.suite.error_count() == 2);
  CHECK(cell.suite.tokens.total() == 7 * 120);
  CHECK(std::abs(*cell.cost_usd - 0.02) < 1e-12);
  CHECK(cell.cost_estimated);
  CHECK(row.rank == 1);
  CHECK(std::abs(*row.rank_score - 4.0 / 7) < 1e-12);

  const LeaderboardRow& partial = row_of(board, "partial");
  CHECK(partial.scope == "full, 3/4 shards (incomplete)");
  CHECK(partial.incomplete);
  CHECK_FALSE(partial.rank.has_value());  // 100% on 3 of 4 shards, never ranked
  CHECK(board.rows.back().model == "partial");
  CHECK(leaderboard_rank_sentence(board).find("incomplete set of shards is never ranked") !=
        std::string::npos);

  // The pooling alone, from the shards' summaries.
  SuiteResult a, b;
  a.primary_metric = b.primary_metric = "acc";
  a.metrics["acc"] = {0.75, 0.25, 4, true};
  b.metrics["acc"] = {1.0 / 3, 1.0 / 3, 3, true};
  const SuiteResult pooled = leaderboard_pool_shards({&a, &b});
  CHECK(std::abs(pooled.metrics.at("acc").mean - 4.0 / 7) < 1e-12);
  CHECK(std::abs(pooled.metrics.at("acc").stderr_ - std::sqrt(2.0) / 7) < 1e-12);
  std::filesystem::remove_all(results);
}

TEST_CASE("a rescore of a --limit 10 run keeps its model and data scope, labelled rescored") {
  using testing::run_command;
  const auto dir = testing::temp_dir("rescore-scope");
  const std::string bin = testing::moebench_bin();
  const auto run = run_command(bin + " run --backend oracle --no-progress --no-cache --samples " +
                                   "--suites gsm8k,gaokao --limit 10 --results-dir '" +
                                   (dir / "orig").string() + "'",
                               dir);
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  const auto orig = testing::run_dirs(dir / "orig");
  REQUIRE(orig.size() == 1);
  const auto again = run_command(bin + " rescore --no-progress --samples --results-dir '" +
                                     (dir / "rescored").string() + "' '" +
                                     (orig[0] / "samples.jsonl").string() + "'",
                                 dir);
  INFO(again.output);
  REQUIRE(again.exit_code == 0);
  const auto rescored = testing::run_dirs(dir / "rescored");
  REQUIRE(rescored.size() == 1);
  const auto j = nlohmann::json::parse(testing::read_file(rescored[0] / "run.json"));
  CHECK(j["backend"]["id"].get<std::string>().rfind("replay:", 0) == 0);
  CHECK(j["rescore"]["backend"] == "oracle");
  CHECK(j["rescore"]["of_run"] == orig[0].filename().string());
  CHECK(j["rescore"]["options"]["limit"] == 10);
  // The bundled samples have fewer than 10 documents: the rescore scores exactly the run's ones.
  const auto o = nlohmann::json::parse(testing::read_file(orig[0] / "run.json"));
  CHECK(j["suites"]["gaokao"]["n_docs"] == o["suites"]["gaokao"]["n_docs"]);

  const RunSummary s = run_load_summary(rescored[0]);
  CHECK(s.backend_id == "oracle");
  CHECK(s.data_scope == "samples, limit 10");
  REQUIRE(s.rescore.has_value());
  CHECK(s.rescore->replay_id == j["backend"]["id"].get<std::string>());
  const auto md =
      run_command(bin + " report '" + (dir / "rescored").string() + "' --format md", dir);
  INFO(md.output);
  CHECK(md.output.find("| 1 | oracle | samples, limit 10, rescored | **100.0** |") !=
        std::string::npos);
  // Beside the original run: one row, two runs.
  std::filesystem::copy(orig[0], dir / "rescored" / orig[0].filename(),
                        std::filesystem::copy_options::recursive);
  const ReportData both = report_load(dir / "rescored");
  const Leaderboard board = leaderboard_build(both.runs, both.latency, ReportOptions{});
  REQUIRE(board.rows.size() == 1);
  CHECK(board.rows[0].runs == 2);
  CHECK(board.rows[0].rescored);
  report_write_site(dir / "rescored", dir / "site", ReportOptions{});
  CHECK(test::fixture_read_text(dir / "site" / "index.html").find(">rescored</small>") !=
        std::string::npos);
  CHECK(test::fixture_read_text(dir / "site" / site_run_dir_name(rescored[0].filename().string()) /
                                "index.html")
            .find("<dt>rescored</dt>") != std::string::npos);

  // Plain {id, response} lines with no run.json beside them: the replay id stays.
  {
    std::ofstream plain_file(dir / "plain.jsonl");
    for (const std::string& line : testing::read_lines(orig[0] / "samples.jsonl")) {
      const auto sample = nlohmann::json::parse(line);
      if (sample["suite"] != "gsm8k") continue;
      plain_file << nlohmann::json{{"id", sample["doc_id"]}, {"response", "#### 1"}}.dump() << "\n";
    }
  }
  const auto plain =
      run_command(bin + " rescore --no-progress --samples --suites gsm8k " + "--results-dir '" +
                      (dir / "plain").string() + "' '" + (dir / "plain.jsonl").string() + "'",
                  dir);
  INFO(plain.output);
  REQUIRE(plain.exit_code == 0);
  const auto p = testing::run_dirs(dir / "plain");
  REQUIRE(p.size() == 1);
  const RunSummary ps = run_load_summary(p[0]);
  CHECK(ps.backend_id.rfind("replay:", 0) == 0);
  CHECK_FALSE(ps.rescore.has_value());
  CHECK_FALSE(nlohmann::json::parse(testing::read_file(p[0] / "run.json")).contains("rescore"));
  std::filesystem::remove_all(dir);
}

// `moebench merge` refuses shards of different suite versions or metrics; the leaderboard pools
// only the shards that ran the newest shard's setup and calls the row incomplete.
TEST_CASE("shards of another suite version or primary metric are not pooled") {
  const auto results = test::fixture_temp_dir("rank-shards-mixed");
  FixtureRun old = shard_run("s0", "mixed", "0/2", {1, 1, 1, 1}, "2026-11-01T00:00:00Z");
  test::fixture_write_run(results, old);
  FixtureRun newer = shard_run("s1", "mixed", "1/2", {0, 0, 1}, "2026-11-02T00:00:00Z");
  newer.suite_version = "1.1";
  test::fixture_write_run(results, newer);
  // The version "mixed" pooled, so that the row is not one of an older version (its own scope).
  FixtureRun other = shard_run("t0", "metric", "0/2", {1, 1}, "2026-11-01T00:00:00Z");
  other.suite_version = "1.1";
  test::fixture_write_run(results, other);
  other = shard_run("t1", "metric", "1/2", {0, 1}, "2026-11-02T00:00:00Z");
  other.suite_version = "1.1";
  other.metric = "exact_match,flexible-extract";
  test::fixture_write_run(results, other);
  const ReportData data = report_load(results);
  const Leaderboard board = leaderboard_build(data.runs, data.latency, ReportOptions{});
  for (const char* model : {"mixed", "metric"}) {
    INFO(model);
    const LeaderboardRow& row = row_of(board, model);
    CHECK(row.incomplete);
    CHECK_FALSE(row.rank.has_value());
    // "metric" pools its newest shard's exact_match,flexible-extract where "mixed" has
    // strict-match: not comparable, so a scope of its own (reviewer 93, F1). The reason a shard
    // was left out is named as compare names it (reviewer 94, F8: it said "another suite
    // version or metric" whatever differed).
    const bool metric = std::string(model) == "metric";
    const std::string own = metric ? ", gsm8k exact_match,flexible-extract" : "";
    const std::string why = metric ? "gsm8k primary metric exact_match,strict-match -> "
                                     "exact_match,flexible-extract"
                                   : "gsm8k suite version 1.0 -> 1.1";
    CHECK(row.scope ==
          "full" + own + ", 2/2 shards (incomplete: a shard ran another setup, " + why + ")");
    const LeaderboardCell& cell = row.cells.at("gsm8k");
    REQUIRE(cell.runs.size() == 1);
    CHECK(cell.runs[0] == cell.run);
    REQUIRE(cell.left_out.size() == 1);
    CHECK(cell.left_out[0]->shard_index == 0);
  }
  // Only the newest shard's documents: 1/3 of "mixed".
  const MetricStat& m = *row_of(board, "mixed").cells.at("gsm8k").suite.primary();
  CHECK(m.n == 3);
  CHECK(std::abs(m.mean - 1.0 / 3) < 1e-12);
  std::filesystem::remove_all(results);
}

// A run that took most answers from the cache paid for the rest only: the leaderboard set its cost
// beside fresh runs of other models (1% of the real cost at 99% cache hits). Every cell is costed
// for all its samples: an API suite at its run's prices, a built-in one's machine time scaled.
TEST_CASE("rows rank only against rows of the same data scope") {
  const auto results = test::fixture_temp_dir("rank-scope");
  FixtureRun oracle = suites_run("oracle", "oracle", {"gsm8k"}, 4);
  oracle.samples_scope = true;
  FixtureRun a20 = suites_run("a20", "model-a", {"gsm8k"}, 3);
  FixtureRun b2 = suites_run("b2", "model-b", {"gsm8k"}, 4);
  FixtureRun b20 = suites_run("b20", "model-b", {"gsm8k"}, 1);
  a20.limit = b20.limit = 20;
  b2.limit = 2;
  for (const FixtureRun& r : {oracle, a20, b2, b20}) test::fixture_write_run(results, r);
  const ReportData data = report_load(results);
  const Leaderboard board = leaderboard_build(data.runs, data.latency, ReportOptions{});
  REQUIRE(board.rows.size() == 4);
  // By data scope, each ranked on its own.
  CHECK(board.rows[0].label() == "model-b (full, limit 2)");
  CHECK(board.rows[0].rank == 1);
  CHECK(board.rows[1].label() == "model-a (full, limit 20)");
  CHECK(board.rows[1].rank == 1);
  CHECK(board.rows[2].label() == "model-b (full, limit 20)");
  CHECK(board.rows[2].rank == 2);
  CHECK(board.rows[3].label() == "oracle (samples)");
  CHECK(board.rows[3].rank == 1);
  const std::string sentence = leaderboard_rank_sentence(board);
  INFO(sentence);
  CHECK(sentence.find("all 4 rows (3 models) ran them.") != std::string::npos);
  CHECK(sentence.find("A row ranks only against rows of the same data scope (3 scopes)") !=
        std::string::npos);
  const std::string md = report_markdown(data, ReportOptions{});
  CHECK(md.find("4 rows (3 models), 4 runs.") != std::string::npos);
  CHECK(md.find("| 1 | model-b | full, limit 2 | **100.0** |") != std::string::npos);
  CHECK(md.find("| 2 | model-b | full, limit 20 | **25.0** |") != std::string::npos);
  std::filesystem::remove_all(results);
}

// `moebench run` exits 4 when more than --max-error-rate of the samples failed: "the run is
// written but its scores are not to be trusted". Such a run became its row's latest and ranked.
TEST_CASE("a run over its error gate does not replace a good run and never ranks") {
  const auto results = test::fixture_temp_dir("rank-error-gate");
  const auto failed = [](FixtureRun r) {
    for (test::FixtureSample& s : r.samples) s.error = "not_found";
    return r;
  };
  std::vector<FixtureRun> runs = {
      suites_run("good", "model-a", {"gsm8k"}, 3, "2026-11-01T00:00:00Z"),
      failed(suites_run("broken", "model-a", {"gsm8k"}, 0, "2026-11-02T00:00:00Z")),
      failed(suites_run("only-broken", "model-b", {"gsm8k"}, 0, "2026-11-02T00:00:00Z")),
      suites_run("c", "model-c", {"gsm8k"}, 2, "2026-11-01T00:00:00Z")};
  for (FixtureRun& r : runs) {
    r.max_error_rate = 0.05;
    test::fixture_write_run(results, r);
  }
  const ReportData data = report_load(results);
  const Leaderboard board = leaderboard_build(data.runs, data.latency, ReportOptions{});
  REQUIRE(board.rows.size() == 3);
  const LeaderboardRow& a = row_of(board, "model-a");
  CHECK(a.cells.at("gsm8k").run->run_id == "good");
  CHECK(a.latest->run_id == "good");
  CHECK(a.errors == 0);
  CHECK(a.rank == 1);
  CHECK(a.runs == 2);
  CHECK(row_of(board, "model-c").rank == 2);
  const LeaderboardRow& b = row_of(board, "model-b");
  CHECK(b.cells.at("gsm8k").run->run_id == "only-broken");  // shown, not dropped
  CHECK_FALSE(b.rank.has_value());
  CHECK(board.rows.back().model == "model-b");
  CHECK(leaderboard_rank_sentence(board).find(
            "A row whose run failed its error gate (more than --max-error-rate of the samples "
            "failed) is never ranked.") != std::string::npos);
  const std::string md = report_markdown(data, ReportOptions{});
  CHECK(md.find("| — | model-b | full | unranked (failed: errors over --max-error-rate), own "
                "0.0 |") != std::string::npos);
  report_write_site(results, results / "site", ReportOptions{});
  const std::string index = test::fixture_read_text(results / "site" / "index.html");
  CHECK(index.find("unranked · failed: errors over --max-error-rate") != std::string::npos);
  CHECK(index.find("<small class=\"err\" title=\"more than --max-error-rate of the samples "
                   "failed\">failed</small>") != std::string::npos);
  std::filesystem::remove_all(results);
}

// A rescore replays recorded responses: its latency is 0 ms, it has no throughput or cost. The
// leaderboard took them from it; it keeps the original run's, and without that run says
// "not measured".
TEST_CASE("a rescored row keeps the original run's latency cost and throughput") {
  const auto results = test::fixture_temp_dir("rank-rescore-timing");
  test::fixture_write_run(results, suites_run("orig", "model-a", {"gsm8k"}, 2));
  FixtureRun replay = suites_run("again", "replay:0426f514", {"gsm8k"}, 3, "2026-11-02T00:00:00Z");
  replay.family = "validation";
  for (test::FixtureSample& s : replay.samples) s.latency_s = 0;
  const auto dir = test::fixture_write_run(results, replay);
  nlohmann::json j = nlohmann::json::parse(test::fixture_read_text(dir / "run.json"));
  j["rescore"] = {{"source", "orig/samples.jsonl"},
                  {"of_run", "orig"},
                  {"backend", "model-a"},
                  {"backend_family", "builtin"},
                  {"options", j["options"]}};
  j["throughput"] = {{"prompt_tokens", 0}, {"output_tokens", 0}};
  j["timings"] = {{"total_s", 0.07}, {"dispatch_s", 0.0001}};
  std::ofstream(dir / "run.json", std::ios::trunc) << j.dump(1);
  ReportOptions options;
  options.machine_usd_per_hour = 3.6;  // the original's 10 s: $0.01
  const ReportData data = report_load(results);
  const Leaderboard board = leaderboard_build(data.runs, data.latency, options);
  REQUIRE(board.rows.size() == 1);
  const LeaderboardRow& row = board.rows[0];
  CHECK(row.rescored);
  CHECK(row.cells.at("gsm8k").run->run_id == "again");
  CHECK(*row.rank_score == 0.75);  // the rescore's scores
  REQUIRE(row.latency_p50.has_value());
  CHECK(*row.latency_p50 == 0.5);  // the original's, not the replay's 0 s
  REQUIRE(row.output_tokens_per_s.has_value());
  CHECK(*row.output_tokens_per_s == 8.0);  // 80 output tokens in 10 s
  REQUIRE(row.cost_usd.has_value());
  CHECK(std::abs(*row.cost_usd - 0.01) < 1e-12);

  // Without the original run: nothing measured, and the page says so.
  std::filesystem::remove_all(results / "orig");
  const ReportData alone = report_load(results);
  const Leaderboard b = leaderboard_build(alone.runs, alone.latency, options);
  REQUIRE(b.rows.size() == 1);
  CHECK_FALSE(b.rows[0].latency_p50.has_value());
  CHECK_FALSE(b.rows[0].output_tokens_per_s.has_value());
  CHECK_FALSE(b.rows[0].cost_usd.has_value());
  report_write_site(results, results / "site", options);
  CHECK(test::fixture_read_text(results / "site" / "index.html")
            .find("title=\"not measured: a rescore replays recorded responses; the original "
                  "run orig is not in this results directory\">n/m</span>") != std::string::npos);
  std::filesystem::remove_all(results);
}
