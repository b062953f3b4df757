// The summary table `run` and `merge` print: a metric of fewer than two documents has no standard
// error (lm-eval prints "N/A"), never 0.0000, which reads as a certain score.
#include <regex>

#include "tests/catch.h"
#include "tests/runner/cli_harness.h"

using namespace moebench::testing;

namespace {

// The stderr column of the table row of `metric` in `output`.
std::string stderr_column(const std::string& output, const std::string& metric) {
  const std::regex row(metric + R"(\s+(\S+)\s+(\S+)\s+(\d+))");
  std::smatch m;
  REQUIRE(std::regex_search(output, m, row));
  return m[2];
}

std::string run_args(const fs::path& dir, const std::string& extra) {
  return moebench_bin() + " run --backend oracle --samples --suites gsm8k --no-progress" +
         " --results-dir '" + (dir / "results").string() + "' " + extra;
}

}  // namespace

TEST_CASE("run's summary table gives no stderr below two documents", "[cli][summary]") {
  auto dir = temp_dir("summary-run");
  auto one = run_command(run_args(dir, "--limit 1 --run-id one"), dir);
  REQUIRE(one.exit_code == 0);
  CHECK(stderr_column(one.output, "exact_match,strict-match") == "N/A");
  auto two = run_command(run_args(dir, "--limit 2 --run-id two"), dir);
  REQUIRE(two.exit_code == 0);
  CHECK(stderr_column(two.output, "exact_match,strict-match") == "0.0000");
}

TEST_CASE("merge's summary table gives no stderr below two documents", "[cli][summary]") {
  auto dir = temp_dir("summary-merge");
  for (const char* shard : {"0/2", "1/2"}) {
    auto r = run_command(
        run_args(dir, "--limit 1 --run-id s" + std::string(shard, 1) + " --shard " + shard), dir);
    REQUIRE(r.exit_code == 0);
  }
  const fs::path results = dir / "results";
  auto merged =
      run_command(moebench_bin() + " merge '" + (results / "s0").string() + "' '" +
                      (results / "s1").string() + "' -o '" + (dir / "merged").string() + "'",
                  dir);
  REQUIRE(merged.exit_code == 0);
  CHECK(stderr_column(merged.output, "exact_match,strict-match") == "N/A");
}
