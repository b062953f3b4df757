// The report's kernel benchmark comparison (site table and Markdown summary) for benchmarks not
// measured in both runs, a significant change within the threshold and an aggregates-only file
// (reviewer 92).
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/catch.h"
#include "tests/reports/report_fixtures.h"

using namespace moebench;
namespace fs = std::filesystem;

namespace {

// results/bench/NAME.json dated `date`: per benchmark nine repetitions around `median` ns (one
// ns apart), or an error entry when the median is negative; `aggregates` writes mean, median and
// stddev of 9 repetitions instead (--benchmark_report_aggregates_only).
void write_night(const fs::path& results, const std::string& name, const std::string& date,
                 const std::vector<std::pair<std::string, double>>& medians,
                 bool aggregates = false) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& [bench, median] : medians) {
    nlohmann::json b = {{"name", bench}, {"run_name", bench}, {"time_unit", "ns"}};
    if (median < 0) {
      b.update({{"run_type", "iteration"},
                {"error_occurred", true},
                {"error_message", "no CUDA device"}});
      list.push_back(b);
      continue;
    }
    for (int i = 0; i < 9 && !aggregates; ++i) {
      b.update({{"run_type", "iteration"}, {"real_time", median + i - 4}});
      list.push_back(b);
    }
    for (const char* agg : {"mean", "median", "stddev"}) {
      if (!aggregates) break;
      b.update({{"run_type", "aggregate"},
                {"aggregate_name", agg},
                {"repetitions", 9},
                {"real_time", std::string(agg) == "stddev" ? 3 : median}});
      list.push_back(b);
    }
  }
  fs::create_directories(results / "bench");
  std::ofstream(results / "bench" / (name + ".json"))
      << nlohmann::json{{"context", {{"date", date}, {"gpu", "none"}}}, {"benchmarks", list}};
}

// `moebench report RESULTS --format md` (its stdout), or the site's index.html with `html`.
std::string report_cli(const fs::path& results, bool html = false) {
  const char* bin = std::getenv("MOEBENCH_BIN");
  REQUIRE(bin != nullptr);
  const fs::path out = results / (html ? "site" : "summary.md");
  const std::string cmd = std::string(bin) + " report " + results.string() + " -o " + out.string() +
                          (html ? "" : " --format md") + " > /dev/null 2>&1";
  const int status = std::system(cmd.c_str());
  CHECK((WIFEXITED(status) && WEXITSTATUS(status) == 0));
  return test::fixture_read_text(html ? out / "index.html" : out);
}

// The line of `text` holding `needle` ("" when none).
std::string line_of(const std::string& text, const std::string& needle) {
  const size_t at = text.find(needle);
  if (at == std::string::npos) return "";
  const size_t begin = text.rfind('\n', at) + 1;
  return text.substr(begin, text.find('\n', at) - begin);
}

// The <tr> of the comparison table (id="bench") whose first cell is `name`.
std::string site_row(const std::string& html, const std::string& name) {
  const size_t table = html.find("<table id=\"bench\"");
  const size_t at = html.find("<tr><td>" + name + "</td>", table);
  if (table == std::string::npos || at == std::string::npos) return "";
  return html.substr(at, html.find("</tr>", at) - at);
}

}  // namespace

// A benchmark measured in one run only had "change 0.0" (data-value 0, sorted among the
// unchanged): BenchDelta::change defaulted to 0 and the site and summary printed it.
TEST_CASE("report shows no change for a benchmark not measured in both runs") {
  const auto results = test::fixture_temp_dir("bench-report-absent");
  write_night(results, "1", "2026-12-01T03:00:00+00:00", {{"cpu/a", 1000}, {"cpu/rope", 7000}});
  write_night(results, "2", "2026-12-03T03:00:00+00:00", {{"cpu/a", 1000}, {"gpu/x", -1}});
  const std::string md = report_cli(results);
  INFO(md);
  CHECK(line_of(md, "| gpu/x |") ==
        "| gpu/x | — | — | — | — | error in the new run: no CUDA device |");
  const std::string html = report_cli(results, true);
  for (const char* name : {"gpu/x", "cpu/rope"}) {
    const std::string row = site_row(html, name);
    INFO(row);
    REQUIRE_FALSE(row.empty());
    CHECK(row.find("data-value=\"0\"") == std::string::npos);
    CHECK(row.find("<td data-value=\"\">—</td><td data-value=\"\">—</td><td>") !=
          std::string::npos);  // change and p: none
  }
  CHECK(site_row(html, "cpu/a").find("<td data-value=\"0\">0.00</td>") != std::string::npos);
  fs::remove_all(results);
}

// The summary counted a benchmark new to the new file, failing, as "failing where the base run
// measured them", and neither counted nor listed one the base measured and the new file lacks.
TEST_CASE("report summary counts failing and vanished benchmarks as what they are") {
  const auto results = test::fixture_temp_dir("bench-report-counts");
  write_night(results, "1", "2026-12-01T03:00:00+00:00", {{"cpu/a", 1000}, {"cpu/rope", 7000}});
  write_night(results, "2", "2026-12-03T03:00:00+00:00", {{"cpu/a", 1000}, {"gpu/x", -1}});
  const std::string md = report_cli(results);
  INFO(md);
  CHECK(md.find("where the base run measured them") == std::string::npos);
  CHECK(md.find("3 benchmarks, 0 significant regressions (U test, α 0.05, threshold 5.0%), 1 "
                "failing (an error the base run did not have), 1 absent from the new run, 0 "
                "slower with too few repetitions to test.") != std::string::npos);
  CHECK(line_of(md, "| cpu/rope |") == "| cpu/rope | 7 us | — | — | — | absent from the new run |");
  fs::remove_all(results);
}

// The site's verdict of a significant change within the threshold was "no significant change".
TEST_CASE("report site names a significant change within the threshold") {
  const auto results = test::fixture_temp_dir("bench-report-within");
  write_night(results, "1", "2026-12-01T03:00:00+00:00", {{"cpu/a", 1000}, {"cpu/b", 1000}});
  write_night(results, "2", "2026-12-03T03:00:00+00:00", {{"cpu/a", 1030}, {"cpu/b", 1000}});
  const std::string html = report_cli(results, true);
  CHECK(site_row(html, "cpu/a").find("<td data-value=\"3\">3.00</td>") != std::string::npos);
  CHECK(site_row(html, "cpu/a").find(">slower, within the 5.0% threshold</td>") !=
        std::string::npos);
  CHECK(site_row(html, "cpu/b").find(">no significant change</td>") != std::string::npos);
  fs::remove_all(results);
}

// The latest run's table and the comparison's reps said 1 for a benchmark of an aggregates-only
// file of 9 repetitions.
TEST_CASE("report counts an aggregates-only file's benchmark by its recorded repetitions") {
  const auto results = test::fixture_temp_dir("bench-report-agg");
  write_night(results, "1", "2026-12-01T03:00:00+00:00", {{"cpu/a", 1000}});
  write_night(results, "2", "2026-12-03T03:00:00+00:00", {{"cpu/a", 1000}}, true);
  const std::string html = report_cli(results, true);
  const size_t latest = html.find("<table id=\"bench-latest\"");
  REQUIRE(latest != std::string::npos);
  const size_t at = html.find("<tr><td>", latest);
  const std::string row = html.substr(at, html.find("</tr>", at) - at);
  CHECK(row.find("<td data-value=\"1000\">1 us</td><td>9</td>") != std::string::npos);
  CHECK(site_row(html, "cpu/a").find("<td>9 / 9</td>") != std::string::npos);
  fs::remove_all(results);
}
