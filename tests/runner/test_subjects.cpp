// Subject selection: SUITE:SUBJECT with a name or a glob (mmlu:abstract_algebra, mmlu:high_*),
// with or without @PROFILE; the selection is part of the suite's key (its own leaderboard column),
// --limit counts within it, and a selection that matches nothing is a one-line error.
#include <set>

#include "tests/catch.h"
#include "tests/runner/cli_harness.h"

using namespace moebench::testing;
using nlohmann::json;

TEST_CASE("subjects: mmlu:SUBJECT and globs select documents and key the results",
          "[runner][cli]") {
  const fs::path dir = temp_dir("subjects");
  const std::string base = oracle_samples_run(dir / "results");
  auto r =
      run_command(base + " --suites 'mmlu,mmlu:abstract_algebra,mmlu:high_*@chat' --run-id s", dir);
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  const json rj = json::parse(read_file(dir / "results" / "s" / "run.json"));
  CHECK(rj["suites"]["mmlu"]["n_docs"] == 4);
  CHECK(rj["suites"]["mmlu:abstract_algebra"]["n_docs"] == 2);
  CHECK(rj["suites"]["mmlu:high_*@chat"]["n_docs"] == 2);
  for (const std::string& line : read_lines(dir / "results" / "s" / "samples.jsonl")) {
    const json s = json::parse(line);
    if (s["suite"] == "mmlu:abstract_algebra") CHECK(s["subject"] == "abstract_algebra");
    if (s["suite"] == "mmlu:high_*@chat") CHECK(s["subject"] == "high_school_geography");
  }
  auto limited =
      run_command(base + " --suites mmlu:high_school_geography --limit 1 --run-id l", dir);
  REQUIRE(limited.exit_code == 0);
  CHECK(json::parse(read_file(dir / "results" / "l" /
                              "run.json"))["suites"]["mmlu:high_school_geography"]["n_docs"] == 1);

  const std::vector<std::pair<std::string, std::string>> bad = {
      {"mmlu:anatomy",
       "moebench: error: suite 'mmlu:anatomy': no subject of mmlu matches 'anatomy' (subjects: "
       "abstract_algebra, high_school_geography)\n"},
      {"gsm8k:x", "moebench: error: suite 'gsm8k:x': gsm8k has no subjects to select\n"},
      {"mmlu:@chat",
       "moebench: error: suite 'mmlu:@chat': expected SUITE:SUBJECT (a subject name or glob, e.g. "
       "mmlu:anatomy, mmlu:high_school_*)\n"},
  };
  for (const auto& [suites, error] : bad) {
    check_refused(run_command(base + " --suites '" + suites + "' --run-id bad", dir), error);
  }
  CHECK(!fs::exists(dir / "results" / "bad"));
  fs::remove_all(dir);
}

// lm-eval's --limit is per task, and MMLU, C-Eval and CMMLU are groups of one task per subject:
// `--limit 1` took MMLU's first document (abstract algebra only), a score of one subject labelled
// MMLU and unlike lm-eval's. MATH-500 is one task (minerva_math500) whose subjects are a breakdown
// only: it took the first document of each subject. The shards still split exactly the unsharded
// run's documents.
TEST_CASE("subjects: --limit counts per subject as lm-eval's per-task limit", "[runner][cli]") {
  const fs::path dir = temp_dir("subjects-limit");
  const std::string base = oracle_samples_run(dir / "results");
  auto r = run_command(base + " --suites mmlu,cmmlu,gsm8k,math500 --limit 1 --run-id l", dir);
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  const json rj = json::parse(read_file(dir / "results" / "l" / "run.json"));
  CHECK(rj["suites"]["mmlu"]["n_docs"] == 2);
  CHECK(rj["suites"]["cmmlu"]["n_docs"] == 2);
  CHECK(rj["suites"]["gsm8k"]["n_docs"] == 1);
  CHECK(rj["suites"]["math500"]["n_docs"] == 1);
  // 1.1 and earlier took --limit per subject: another document set, so another version (r83 F5).
  CHECK(rj["suites"]["math500"]["version"] == "1.2");
  std::multiset<std::string> subjects, sharded;
  for (const std::string& line : read_lines(dir / "results" / "l" / "samples.jsonl")) {
    const json s = json::parse(line);
    if (s["suite"] == "mmlu") subjects.insert(s["doc_id"].get<std::string>());
  }
  CHECK(subjects.size() == 2);
  for (const char* shard : {"0/2", "1/2"}) {
    auto part = run_command(base + " --suites mmlu --limit 1 --shard " + shard + " --run-id p" +
                                std::string(1, shard[0]),
                            dir);
    REQUIRE(part.exit_code == 0);
    for (const std::string& line :
         read_lines(dir / "results" / ("p" + std::string(1, shard[0])) / "samples.jsonl")) {
      sharded.insert(json::parse(line)["doc_id"].get<std::string>());
    }
  }
  CHECK(sharded == subjects);
  fs::remove_all(dir);
}
