// Reports never showed finish reasons (reviewer 83, F8): a run whose answers were cut at the
// token limit or withheld by the provider looked clean on the site and in the Markdown summary;
// only the run's stderr said so. The run page and the summary now say it per suite.
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "reports/report_site.h"
#include "tests/catch.h"
#include "tests/reports/report_fixtures.h"

using namespace moebench;

TEST_CASE("reports: finish reasons length and content_filter are counted per suite") {
  const auto results = test::fixture_temp_dir("finish-reasons");
  test::FixtureRun r = test::fixture_run("len", "api:ds");
  for (int i = 0; i < 4; ++i)
    r.samples.push_back({"gsm8k", "g/" + std::to_string(i), "4", 0.0, 0.5, ""});
  for (int i = 0; i < 2; ++i)
    r.samples.push_back({"mmlu", "m/" + std::to_string(i), "A", 1.0, 0.5, ""});
  for (int i = 0; i < 2; ++i)
    r.samples.push_back({"math500", "x/" + std::to_string(i), "1", 1.0, 0.5, ""});
  const auto dir = test::fixture_write_run(results, r);
  {
    nlohmann::json j = nlohmann::json::parse(std::ifstream(dir / "run.json"));
    j["suites"]["gsm8k"]["finish_reasons"] = {{"length", 3}, {"stop", 1}};
    j["suites"]["mmlu"]["finish_reasons"] = {{"content_filter", 1}, {"stop", 1}};
    j["suites"]["math500"]["finish_reasons"] = {{"stop", 2}};
    std::ofstream(dir / "run.json") << j.dump(1);
  }
  const std::string gsm8k =
      "gsm8k: 3 of 4 answers stopped at the token limit (finish_reason length)";
  const std::string mmlu =
      "mmlu: 1 of 2 answers withheld by the provider (finish_reason content_filter)";
  report_write_site(results, results / "site", ReportOptions{});
  const std::string page =
      test::fixture_read_text(results / "site" / "runs" / "len" / "index.html");
  INFO(page);
  CHECK(page.find(gsm8k) != std::string::npos);
  CHECK(page.find(mmlu) != std::string::npos);
  CHECK(page.find("math500:") == std::string::npos);
  const std::string md = report_markdown(report_load(results), ReportOptions{});
  INFO(md);
  CHECK(md.find(gsm8k) != std::string::npos);
  CHECK(md.find(mmlu) != std::string::npos);
  std::filesystem::remove_all(results);
}
