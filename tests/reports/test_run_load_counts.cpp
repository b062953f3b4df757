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
