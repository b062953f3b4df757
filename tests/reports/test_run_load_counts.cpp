// A count of another type in run.json was refused as "unexpected JSON (type must be number, but
// is string)", naming no field (reviewer 83, F11): count_of read the value as a number before
// its own check. It now names the field, as it does for a count out of range.
#include <filesystem>
#include <fstream>
#include <string>

#include "reports/run_load.h"
#include "tests/catch.h"
#include "tests/input_error_of.h"
#include "tests/reports/report_fixtures.h"

using namespace moebench;
using moebench::testing::input_error_of;

TEST_CASE("run.json: a finish reason count that is not a number names its field") {
  const auto dir = test::fixture_temp_dir("run-load-counts");
  std::ofstream(dir / "run.json")
      << R"({"run_id":"r","backend":{"id":"oracle"},"suites":{"gsm8k":{"metrics":{"m":{"mean":1}},)"
      << R"("finish_reasons":{"stop":"x"}}}})";
  const std::string got = input_error_of([&] { run_load_summary(dir); });
  INFO(got);
  CHECK(got ==
        (dir / "run.json").string() + ": field 'suites.gsm8k.finish_reasons.stop' is not a count");
  std::filesystem::remove_all(dir);
}

// finish_reasons of another shape (a list, a string, a number, null) was read as "no finish
// reasons", so a run whose answers were cut at the token limit looked clean. It is now refused
// naming the field, and the report leaves the run out as it does other malformed run.json files.
TEST_CASE("run.json: finish_reasons that is not an object of counts is refused naming the field") {
  const auto dir = test::fixture_temp_dir("run-load-finish-reasons");
  for (const char* value : {R"(["length","stop"])", R"("length")", "3", "null"}) {
    std::filesystem::create_directories(dir / "r");
    std::ofstream(dir / "r" / "run.json")
        << R"({"run_id":"r","backend":{"id":"oracle"},"suites":{"gsm8k":{"metrics":{"m":{"mean":1}},)"
        << R"("finish_reasons":)" << value << "}}}";
    const std::string got = input_error_of([&] { run_load_summary(dir / "r"); });
    INFO(value << " -> " << got);
    CHECK(got == (dir / "r" / "run.json").string() +
                     ": field 'suites.gsm8k.finish_reasons' is not an object of counts");
    const ReportData data = report_load(dir);
    CHECK(data.runs.empty());
    REQUIRE(data.problems.size() == 1);
    CHECK(data.problems[0] == got);
  }
  std::filesystem::remove_all(dir);
}
