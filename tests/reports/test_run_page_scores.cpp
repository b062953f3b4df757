// The run page's suites table: a suite of one document has no 95% CI (it showed "0.00" beside
// "n 1: no stderr" in the same row), and one that scored no document (a shard past a small
// suite's end) has no score (it showed 0.00 %); the "score by suite" chart has no bar for it.
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "reports/report_site.h"
#include "tests/catch.h"
#include "tests/reports/report_fixtures.h"

using namespace moebench;

namespace {

// The suites table's row of `suite`.
std::string suite_row(const std::string& page, const std::string& suite) {
  const size_t at = page.find("<tr><td data-value=\"" + suite + "\">");
  if (at == std::string::npos) return "";
  return page.substr(at, page.find("</tr>", at) - at);
}

}  // namespace

TEST_CASE("run page: no CI below two documents and no score for none") {
  const auto results = test::fixture_temp_dir("run-page-scores");
  test::FixtureRun r = test::fixture_run("r", "m");
  r.samples = {{"gsm8k", "g/0", "42", 1.0, 0.5, ""},
               {"gsm8k", "g/1", "42", 0.0, 0.5, ""},
               {"arc_challenge", "a/0", "42", 1.0, 0.5, ""},
               {"ceval", "c/0", "42", 0.0, 0.5, ""}};
  const auto dir = test::fixture_write_run(results, r);
  {  // ceval as the runner writes a suite that scored no document
    nlohmann::json j = nlohmann::json::parse(std::ifstream(dir / "run.json"));
    j["suites"]["ceval"]["n_docs"] = 0;
    j["suites"]["ceval"]["metrics"]["exact_match,strict-match"]["n"] = 0;
    std::ofstream(dir / "run.json") << j.dump(1);
    // and no sample of it (a samples.jsonl at odds with run.json leaves the run out)
    std::string kept, line;
    std::ifstream in(dir / "samples.jsonl");
    while (std::getline(in, line)) {
      if (line.find("\"suite\":\"ceval\"") == std::string::npos) kept += line + "\n";
    }
    in.close();
    std::ofstream(dir / "samples.jsonl", std::ios::trunc) << kept;
  }
  report_write_site(results, results / "site", ReportOptions{});
  const std::string page = test::fixture_read_text(results / "site" / "runs" / "r" / "index.html");
  const std::string gsm8k = suite_row(page, "gsm8k");
  INFO(gsm8k);
  CHECK(gsm8k.find("<td data-value=\"0.5\">50.00</td><td>98.00</td><td>2</td>") !=
        std::string::npos);
  const std::string arc = suite_row(page, "arc_challenge");
  INFO(arc);
  CHECK(arc.find("<td data-value=\"1\">100.00</td><td>—</td><td>1</td>") != std::string::npos);
  CHECK(arc.find("(n 1: no stderr)") != std::string::npos);
  const std::string ceval = suite_row(page, "ceval");
  INFO(ceval);
  CHECK(ceval.find("<td data-value=\"\">—</td><td>—</td><td>0</td>") != std::string::npos);
  CHECK(ceval.find("0.00") == std::string::npos);
  const std::string index = test::fixture_read_text(results / "site" / "index.html");
  CHECK(index.find("/ ceval: 0") == std::string::npos);
  std::filesystem::remove_all(results);
}
