// `moebench cost --date`: the API prices in effect at a UTC minute (off-peak inside a model's
// window), and a date on which no model is priced said in words, in text, Markdown and JSON, and
// on the report's cost table.
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "reports/report_site.h"
#include "tests/catch.h"
#include "tests/runner/cli_harness.h"

using namespace moebench;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

testing::CommandResult cost_at(const fs::path& dir, const std::string& date,
                               const std::string& extra) {
  return testing::run_command(testing::moebench_bin() +
                                  " cost --decode-tps 1480 --gpu-hour-usd 2 --date " + date + " " +
                                  extra,
                              dir);
}

bool near(const json& v, double want) {
  return v.is_number() && std::abs(v.get<double>() - want) < 1e-12;
}

}  // namespace

// At 17:00 UTC on 2025-03-01 DeepSeek billed its off-peak prices ($0.035 / $0.135 / $0.55), as
// `moebench run` does for a request sent then; cost showed the standard $0.27 / $1.10 and their
// blend 0.4775 as "in effect", the off-peak line under the table not saying it applied.
TEST_CASE("moebench cost at a minute inside the off-peak window shows and blends its prices") {
  const fs::path dir = testing::temp_dir("cost-off-peak");
  fs::create_directories(dir / "cost");
  testing::CommandResult r = cost_at(dir, "2025-03-01T17:00Z", "--compare deepseek-chat");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK(r.output.find(" 0.035     0.135      0.55    0.2388  2025-02-26T16:30Z to "
                      "2025-09-05T16:00Z, off-peak (UTC 16:30-00:30)\n") != std::string::npos);
  CHECK(r.output.find("deepseek-chat standard prices (outside UTC 16:30-00:30): cache hit 0.07, "
                      "input 0.27, output 1.10\n") != std::string::npos);
  CHECK(r.output.find("0.4775") == std::string::npos);

  r = cost_at(dir, "2025-03-01T17:00Z", "--compare deepseek-chat --format md");
  CHECK(r.output.find("| deepseek-chat | deepseek | 0.035 | 0.135 | 0.55 | 0.2388 | "
                      "2025-02-26T16:30Z to 2025-09-05T16:00Z, off-peak (UTC 16:30-00:30) |") !=
        std::string::npos);

  r = cost_at(
      dir, "2025-03-01T17:00Z",
      "--compare deepseek-chat --format json -o '" + (dir / "cost" / "op.json").string() + "'");
  REQUIRE(r.exit_code == 0);
  const json m = json::parse(r.output)["api"]["models"][0];
  CHECK(m["off_peak_in_effect"] == true);
  CHECK(near(m["input_cache_hit_usd_per_million"], 0.035));
  CHECK(near(m["input_usd_per_million"], 0.135));
  CHECK(near(m["output_usd_per_million"], 0.55));
  CHECK(near(m["blended_usd_per_million"], 0.23875));
  CHECK(near(m["standard"]["input_usd_per_million"], 0.27));
  CHECK(near(m["standard"]["output_usd_per_million"], 1.10));
  CHECK(m["off_peak"]["utc"] == "16:30-00:30");

  // The report's cost table, read from that JSON, says the same.
  const ReportData data = report_load(dir);
  const std::string md = report_markdown(data, ReportOptions{});
  CHECK(md.find("| API: deepseek-chat (deepseek, in effect 2025-02-26T16:30Z to 2025-09-05T16:00Z, "
                "off-peak (UTC 16:30-00:30)) | $0.1350 | $0.5500 |") != std::string::npos);
  CHECK(md.find("deepseek-chat standard prices (outside UTC 16:30-00:30): cache hit 0.07, input "
                "0.27, output 1.10") != std::string::npos);
  fs::remove_all(dir);
}

// The window's edges (16:30 in, 00:30 out) and a minute outside it keep the standard prices; a day
// (its 00:00 UTC) is the day's table at its standard prices, the off-peak ones beside it.
TEST_CASE("moebench cost outside the off-peak window or on a day keeps the standard prices") {
  const fs::path dir = testing::temp_dir("cost-standard");
  for (const char* date : {"2025-03-01T16:29Z", "2025-03-01T00:30Z", "2025-03-01"}) {
    const testing::CommandResult r = cost_at(dir, date, "--compare deepseek-chat --format json");
    INFO(date << "\n" << r.output);
    REQUIRE(r.exit_code == 0);
    const json m = json::parse(r.output)["api"]["models"][0];
    CHECK(m["off_peak_in_effect"] == false);
    CHECK(near(m["input_usd_per_million"], 0.27));
    CHECK(near(m["blended_usd_per_million"], 0.4775));
    CHECK(m["standard"].is_null());
  }
  for (const char* date : {"2025-03-01T16:30Z", "2025-03-01T00:29Z"}) {
    const testing::CommandResult r = cost_at(dir, date, "--compare deepseek-chat --format json");
    INFO(date << "\n" << r.output);
    CHECK(json::parse(r.output)["api"]["models"][0]["off_peak_in_effect"] == true);
  }
  const testing::CommandResult r = cost_at(dir, "2025-03-01", "--compare deepseek-chat");
  CHECK(r.output.find("0.27      1.10    0.4775  2025-02-26T16:30Z to 2025-09-05T16:00Z\n") !=
        std::string::npos);
  CHECK(r.output.find("deepseek-chat off-peak (UTC 16:30-00:30): cache hit 0.035, input 0.135, "
                      "output 0.55\n") != std::string::npos);
  fs::remove_all(dir);
}

// On 2024-01-01 no model of the shipped file has a price: the API section was silently dropped
// (text and Markdown) and the JSON had `api.models: []` with nothing saying why.
TEST_CASE("moebench cost on a date no model is priced says so in text and Markdown and JSON") {
  const fs::path dir = testing::temp_dir("cost-unpriced");
  fs::create_directories(dir / "cost");
  testing::CommandResult r = cost_at(dir, "2024-01-01", "");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  const std::string said = "is priced on 2024-01-01";
  CHECK(r.output.find("\nno API model of ") != std::string::npos);
  CHECK(r.output.find(said + "\n") != std::string::npos);
  r = cost_at(dir, "2024-01-01", "--format md");
  CHECK(r.output.find(said) != std::string::npos);
  r = cost_at(dir, "2024-01-01",
              "--format json -o '" + (dir / "cost" / "none.json").string() + "'");
  REQUIRE(r.exit_code == 0);
  const json api = json::parse(r.output)["api"];
  CHECK(api["models"].empty());
  REQUIRE(api["note"].is_string());
  CHECK(api["note"].get<std::string>().find("no API model of ") == 0);
  CHECK(api["note"].get<std::string>().find(said) != std::string::npos);
  const std::string md = report_markdown(report_load(dir), ReportOptions{});
  CHECK(md.find(said) != std::string::npos);
  // A day with prices has no note.
  r = cost_at(dir, "2025-03-01", "--format json");
  CHECK(json::parse(r.output)["api"]["note"].is_null());
  fs::remove_all(dir);
}
