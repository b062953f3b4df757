// `moebench nightly` per suite: a suite is compared with the latest passing night that ran it (a
// night without it does not end a regression), one no passing night ran is a new baseline, one
// gone from tonight's run is listed, and an entry moved between the bundled samples and the
// datasets starts a new baseline instead of failing every night.
#include "tests/catch.h"
#include "tests/runner/cli_harness.h"
#include "tests/runner/nightly_fixtures.h"

using namespace moebench::testing;
using nlohmann::json;

namespace {

// Night `night` of entry "u" on `suites`, answered from `answers`.
CommandResult suite_night(const fs::path& dir, const fs::path& answers, const json& suites,
                          const std::string& night) {
  const std::string nightly = write_nightly_config(dir, {{{"name", "u"},
                                                          {"backend", "replay:" + answers.string()},
                                                          {"suites", suites},
                                                          {"limit", 40}}});
  auto r = run_command(nightly + " --night " + night, dir);
  INFO(r.output);
  return r;
}

json gate_entry(const fs::path& dir, const std::string& night) {
  return json::parse(read_file(dir / "out" / "nights" / night / "gate.json"))["entries"][0];
}

}  // namespace

// Night 2 regressed gsm8k and failed; night 3 did not run gsm8k and passed; night 4 ran it with
// night 2's answers and passed, compared only on mmlu with night 3: the regression was accepted.
TEST_CASE("nightly: a suite is compared with the latest passing night that ran it",
          "[runner][nightly]") {
  const fs::path dir = temp_dir("nightly-suite-gap");
  const fs::path good = dir / "good.jsonl", bad = dir / "bad.jsonl";
  write_answers(dir, good, false);
  write_answers(dir, bad, true);
  REQUIRE(suite_night(dir, good, {"gsm8k", "mmlu"}, "2026-12-01").exit_code == 0);
  REQUIRE(suite_night(dir, bad, {"gsm8k", "mmlu"}, "2026-12-02").exit_code == 1);
  auto third = suite_night(dir, good, {"mmlu"}, "2026-12-03");
  CHECK(third.exit_code == 0);
  CHECK(gate_entry(dir, "2026-12-03")["dropped"] ==
        json::array({{{"suite", "gsm8k"}, {"previous", "u-2026-12-01"}}}));
  const std::string summary = read_file(dir / "out" / "nights" / "2026-12-03" / "summary.md");
  CHECK(summary.find("| u | gsm8k | | (u-2026-12-01) | | | | not run tonight |") !=
        std::string::npos);
  auto fourth = suite_night(dir, bad, {"gsm8k", "mmlu", "arc_challenge"}, "2026-12-04");
  INFO(fourth.output);
  CHECK(fourth.exit_code == 1);
  // Holm over both suites compared tonight, whichever night each was compared with.
  CHECK(lines_with(fourth.output, "moebench: nightly: regression:") ==
        std::vector<std::string>{
            "moebench: nightly: regression: u gsm8k exact_match,strict-match 100.0% -> 50.0% "
            "(-50.0 points, p=1.91e-06, Holm p=3.81e-06, mcnemar) vs u-2026-12-01"});
  const json gate = gate_entry(dir, "2026-12-04");
  CHECK(gate["new_baseline"] ==
        json::array({{{"suite", "arc_challenge"}, {"change", "no passing night ran it"}}}));
  // Night 4 failed: night 5 compares gsm8k with night 1 again.
  auto fifth = suite_night(dir, bad, {"gsm8k"}, "2026-12-05");
  CHECK(fifth.exit_code == 1);
  CHECK(fifth.output.find("vs u-2026-12-01") != std::string::npos);
  fs::remove_all(dir);
}

// The comparison threw "A ran the bundled sample documents and B the datasets", the entry failed,
// and since a failed night is never a baseline it failed the same way every night after.
TEST_CASE("nightly: an entry moved from the samples to the datasets starts a new baseline",
          "[runner][nightly]") {
  const fs::path dir = temp_dir("nightly-samples-switch");
  const json sampled = {
      {{"name", "o"}, {"backend", "oracle"}, {"samples", true}, {"suites", {"gsm8k", "mmlu"}}}};
  json datasets = sampled;
  datasets[0]["samples"] = false;
  datasets[0]["limit"] = 10;
  const std::string first = write_nightly_config(dir, sampled);
  REQUIRE(run_command(first + " --night 2026-12-01", dir).exit_code == 0);
  const std::string next = write_nightly_config(dir, datasets);
  for (const char* night : {"2026-12-02", "2026-12-03"}) {
    auto r = run_command(next + " --night " + night, dir);
    INFO(r.output);
    CHECK(r.exit_code == 0);
  }
  const json switched = gate_entry(dir, "2026-12-02");
  CHECK(switched["error"] == "");
  CHECK(switched["new_baseline"] ==
        json::array({{{"suite", "gsm8k"}, {"change", "samples -> datasets"}},
                     {{"suite", "mmlu"}, {"change", "samples -> datasets"}}}));
  const json after = gate_entry(dir, "2026-12-03");
  CHECK(after["previous"] == "o-2026-12-02");
  CHECK(after["comparison"]["suites"].size() == 2);
  fs::remove_all(dir);
}

// With fewer documents than the baseline night (limit 40 -> 20) the "previous night" cell is the
// mean over the 20 both ran, and nothing said the other 20 were left unpaired.
TEST_CASE("nightly: the summary names the documents one night ran alone", "[runner][nightly]") {
  const fs::path dir = temp_dir("nightly-unpaired");
  const fs::path good = dir / "good.jsonl";
  write_answers(dir, good, false);
  REQUIRE(suite_night(dir, good, {"gsm8k"}, "2026-12-01").exit_code == 0);
  const std::string nightly = write_nightly_config(dir, {{{"name", "u"},
                                                          {"backend", "replay:" + good.string()},
                                                          {"suites", {"gsm8k"}},
                                                          {"limit", 20}}});
  auto second = run_command(nightly + " --night 2026-12-02", dir);
  REQUIRE(second.exit_code == 0);
  const std::string summary = read_file(dir / "out" / "nights" / "2026-12-02" / "summary.md");
  INFO(summary);
  CHECK(summary.find("no significant change (on the 20 documents both ran; 20 only in "
                     "u-2026-12-01, 0 only tonight: not paired) |") != std::string::npos);
  // And on stderr, beside the regression lines, as `compare`'s text says it under its table.
  CHECK(lines_with(second.output, "moebench: nightly: warning: u gsm8k") ==
        std::vector<std::string>{"moebench: nightly: warning: u gsm8k exact_match,strict-match: 20 "
                                 "documents only in u-2026-12-01, 0 only tonight: not paired, not "
                                 "tested (the means are over the 20 both ran)"});
  fs::remove_all(dir);
}
