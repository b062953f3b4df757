// The report's cost tables (RESULTS_DIR/cost/*.json): a malformed file is left out, named with its
// field among the report's problems, and the rest of the report is still written.
#include <filesystem>
#include <fstream>
#include <string>

#include "reports/report_site.h"
#include "tests/catch.h"
#include "tests/reports/report_fixtures.h"

using namespace moebench;

namespace {

bool has_problem(const std::vector<std::string>& problems, const std::string& text) {
  for (const std::string& p : problems) {
    if (p.find(text) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

// A row that is not an object, or a field of another type, reached the page writers, whose
// nlohmann reads threw "internal error: [json.exception.type_error.306] cannot use value() with
// number" out of main: no file named, exit 1, and no index.html.
TEST_CASE("report names a malformed cost table with its field and writes the rest of the site") {
  const auto results = test::fixture_temp_dir("report-cost-malformed");
  test::FixtureRun run = test::fixture_run("r1", "builtin:tiny");
  run.samples.push_back({"gsm8k", "gsm8k/0", "The answer is 42", 1.0, 0.5, ""});
  test::fixture_write_run(results, run);
  const auto cost = results / "cost";
  std::filesystem::create_directories(cost);
  const std::string head = R"({"kind": "moebench-cost", )";
  std::ofstream(cost / "a_row.json") << head << R"("rows": [1]})";
  std::ofstream(cost / "b_shared.json")
      << head << R"("rows": [{"label": "x", "shared_time": "yes"}]})";
  std::ofstream(cost / "c_price.json") << head << R"("rows": [{"label": "x",
    "input_usd_per_million": "0.27"}]})";
  std::ofstream(cost / "d_models.json") << head << R"("rows": [], "api": {"models": 3}})";
  std::ofstream(cost / "e_priced.json") << head << R"("rows": [], "api": {"date": "2025-01-01",
    "models": [{"name": "o1", "priced": "yes"}]}})";
  std::ofstream(cost / "f_api.json") << head << R"("rows": [], "api": []})";
  std::ofstream(cost / "g_hour.json") << head << R"("rows": [], "usd_per_hour": "2"})";
  std::ofstream(cost / "h_good.json") << head << R"("rows": [{"label": "given",
    "input_usd_per_million": 0.5, "output_usd_per_million": 2.0, "blended_usd_per_million": 0.875,
    "shared_time": false}], "usd_per_hour": 3.6})";

  const ReportData data = report_load(results);
  REQUIRE(data.costs.size() == 1);
  CHECK(data.costs[0]["file"] == "h_good.json");
  CHECK(data.problems.size() == 7);
  CHECK(has_problem(data.problems, "a_row.json: rows[0]: expected an object"));
  CHECK(has_problem(data.problems, "b_shared.json: rows[0].shared_time: expected true or false"));
  CHECK(
      has_problem(data.problems, "c_price.json: rows[0].input_usd_per_million: expected a number"));
  CHECK(has_problem(data.problems, "d_models.json: api.models: expected an array"));
  CHECK(has_problem(data.problems, "e_priced.json: api.models[0].priced: expected true or false"));
  CHECK(has_problem(data.problems, "f_api.json: api: expected an object"));
  CHECK(has_problem(data.problems, "g_hour.json: usd_per_hour: expected a number"));
  CHECK(report_markdown(data, ReportOptions{}).find("| given | $0.5000 | $2.00 | $0.8750 |") !=
        std::string::npos);

  const SiteResult site = report_write_site(results, results / "site", ReportOptions{});
  REQUIRE(std::filesystem::exists(results / "site" / "index.html"));
  CHECK(site.problems.size() == 7);
  const std::string index = test::fixture_read_text(results / "site" / "index.html");
  CHECK(index.find("left out: " + (cost / "a_row.json").string() +
                   ": rows[0]: expected an object") != std::string::npos);
  CHECK(index.find("<td>$0.5000</td><td>$2.00</td><td>$0.8750</td>") != std::string::npos);
  std::filesystem::remove_all(results);
}
