// index.html's header and its Score vs cost chart (reviewer 93, F2 and F3): the header counted
// rows as models; the chart set rows of different data scopes against each other (a 3-document
// --samples run formed the whole front) and priced every suite of a row while its score was the
// mean over the ranking suites only.
#include <vector>

#include "reports/report_site.h"
#include "tests/catch.h"
#include "tests/reports/report_fixtures.h"

using namespace moebench;
using test::FixtureRun;
using test::suites_run;

namespace {

// The Score vs cost figures of a page, in order.
std::vector<std::string> pareto_figures(const std::string& page) {
  std::vector<std::string> out;
  for (size_t at = page.find("<figure id=\"chart-pareto"); at != std::string::npos;
       at = page.find("<figure id=\"chart-pareto", at + 1)) {
    out.push_back(page.substr(at, page.find("</figure>", at) - at));
  }
  return out;
}

bool on_front(const std::string& figure, const std::string& label) {
  return figure.find("stroke=\"#000\"><title>" + label + " (") != std::string::npos;
}

bool drawn(const std::string& figure, const std::string& label) {
  return figure.find("<title>" + label + " (") != std::string::npos;
}

}  // namespace

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

TEST_CASE("site: the Score vs cost chart draws one data scope at a time over the ranking suites") {
  const auto results = test::fixture_temp_dir("site-pareto-scopes");
  // x and z score 75% on the two ranking suites; x's cost $0.01 of them, z's $0.015, but x also
  // ran cmmlu, which no other row ran (not in the score), for another $0.10.
  FixtureRun x = suites_run("x1", "x", {"gsm8k", "mmlu"}, 3);
  test::fixture_write_run(results, x);
  FixtureRun x_extra = suites_run("x2", "x", {"cmmlu"}, 0, "2026-11-02T00:00:00Z");
  x_extra.dispatch_s = 100;
  test::fixture_write_run(results, x_extra);
  FixtureRun z = suites_run("z1", "z", {"gsm8k", "mmlu"}, 3);
  z.dispatch_s = 15;
  test::fixture_write_run(results, z);
  // y: four bundled sample documents per suite, all right, for $0.001.
  FixtureRun y = suites_run("y1", "y", {"gsm8k", "mmlu"}, 4);
  y.samples_scope = true;
  y.dispatch_s = 1;
  test::fixture_write_run(results, y);
  ReportOptions options;
  options.machine_usd_per_hour = 3.6;  // $0.001 per second of dispatch
  report_write_site(results, results / "site", options);
  const std::string index = test::fixture_read_text(results / "site" / "index.html");
  const std::vector<std::string> figures = pareto_figures(index);
  REQUIRE(figures.size() == 2);  // one per data scope, by scope name
  INFO(figures[0]);
  INFO(figures[1]);
  CHECK(figures[0].find("Score vs cost · full") != std::string::npos);
  CHECK(on_front(figures[0], "x"));  // cheaper on the suites it is scored on, same score
  CHECK(drawn(figures[0], "z"));
  CHECK_FALSE(on_front(figures[0], "z"));
  CHECK_FALSE(drawn(figures[0], "y"));
  CHECK(figures[0].find("<title>x (cost of the ranking suites ($): $0.01,") != std::string::npos);
  CHECK(figures[1].find("Score vs cost · samples") != std::string::npos);
  CHECK(on_front(figures[1], "y"));
  CHECK_FALSE(drawn(figures[1], "x"));
  std::filesystem::remove_all(results);
}
