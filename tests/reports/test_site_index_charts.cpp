// index.html's header (reviewer 93, F2): it counted rows as models.
#include "reports/report_site.h"
#include "tests/catch.h"
#include "tests/reports/report_fixtures.h"

using namespace moebench;
using test::FixtureRun;
using test::suites_run;

TEST_CASE("site: the header counts a model with two rows once") {
  const auto results = test::fixture_temp_dir("site-header-models");
  FixtureRun limited = suites_run("a", "model-a", {"gsm8k"}, 2);
  limited.limit = 4;
  test::fixture_write_run(results, limited);
  FixtureRun sampled = suites_run("b", "model-a", {"gsm8k"}, 3, "2026-11-02T00:00:00Z");
  sampled.samples_scope = true;
  test::fixture_write_run(results, sampled);
  report_write_site(results, results / "site", ReportOptions{});
  const std::string index = test::fixture_read_text(results / "site" / "index.html");
  INFO(index.substr(0, index.find("<h2>")));
  CHECK(index.find("<p class=\"meta\">2 rows (1 model) · 2 runs · 1 suites") != std::string::npos);
  CHECK(index.find("models ·") == std::string::npos);
  std::filesystem::remove_all(results);
}
