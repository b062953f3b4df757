// The cost figures of index.html's "Runs" table and of a run page: what each figure is (billed by
// the run's own API requests, or an estimate for every sample), and the suites answered from the
// response cache.
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "reports/report_site.h"
#include "tests/catch.h"
#include "tests/reports/report_fixtures.h"

using namespace moebench;
using nlohmann::json;

namespace {

// An API run of gsm8k (3 answers, every one from the response cache: nothing billed) and mmlu
// (2 answers billed $0.000136), as run.json records them.
void write_api_run(const std::filesystem::path& results) {
  test::FixtureRun run = test::fixture_run("api1", "api:deepseek-chat");
  run.family = "api";
  for (int i = 0; i < 3; ++i) {
    run.samples.push_back({"gsm8k", "gsm8k/" + std::to_string(i), "42", 1.0, 0.5, ""});
  }
  for (int i = 0; i < 2; ++i) {
    run.samples.push_back({"mmlu", "mmlu/" + std::to_string(i), "42", 1.0, 0.5, ""});
  }
  const std::filesystem::path dir = test::fixture_write_run(results, run);
  json j = json::parse(test::fixture_read_text(dir / "run.json"));
  const json prices = {{"input", 0.27},
                       {"cached_input", 0.07},
                       {"output", 1.10},
                       {"currency", "USD"},
                       {"effective_from", "2025-02-26T16:30Z"}};
  json& gsm8k = j["suites"]["gsm8k"];
  gsm8k["cache_hits"] = 3;
  gsm8k["tokens"] = {
      {"billed", {{"prompt", 0}, {"cached_prompt", 0}, {"completion", 0}, {"reasoning", 0}}},
      {"all", {{"prompt", 300}, {"cached_prompt", 0}, {"completion", 60}, {"reasoning", 0}}}};
  gsm8k["cost"] = {{"usd", 0}, {"prices", prices}};
  j["suites"]["mmlu"]["cost"] = {{"usd", 0.000136}, {"prices", prices}};
  std::ofstream(dir / "run.json") << j.dump(1);
}

}  // namespace

// The "Runs" table put an API run's billed $0.000136 and a built-in run's every-sample estimate in
// one unexplained "cost" column, and the run page showed gsm8k as "tokens 0, cost $0" with nothing
// saying its 3 answers came from the response cache.
TEST_CASE("the runs table and the run page say what each cost is and which answers were cached") {
  const auto results = test::fixture_temp_dir("site-run-costs");
  write_api_run(results);
  test::FixtureRun builtin = test::suites_run("b1", "builtin:tiny", {"gsm8k"}, 2);
  test::fixture_write_run(results, builtin);
  ReportOptions options;
  options.machine_usd_per_hour = 3.6;
  report_write_site(results, results / "site", options);

  const std::string index = test::fixture_read_text(results / "site" / "index.html");
  const size_t runs = index.find("id=\"runs\"");
  REQUIRE(runs != std::string::npos);
  const std::string table = index.substr(runs);
  INFO(table);
  CHECK(table.find("$0.000136 <small>billed</small>") != std::string::npos);
  CHECK(table.find("<small>est.</small>") != std::string::npos);
  CHECK(table.find("billed: what the run's own API requests were billed") != std::string::npos);
  CHECK(table.find("est.: backend time at --machine-usd-per-hour for every sample") !=
        std::string::npos);

  const std::string page =
      test::fixture_read_text(results / "site" / "runs" / "api1" / "index.html");
  INFO(page);
  CHECK(page.find("$0.000136 billed for this run's API requests; 3 answers from the response "
                  "cache, not billed") != std::string::npos);
  // gsm8k's row says where its answers came from; mmlu's, billed, says nothing of the cache.
  const size_t gsm8k = page.find("<tr><td data-value=\"gsm8k\">");
  const size_t mmlu = page.find("<tr><td data-value=\"mmlu\">");
  REQUIRE(gsm8k != std::string::npos);
  REQUIRE(mmlu != std::string::npos);
  const std::string gsm8k_row = page.substr(gsm8k, page.find("</tr>", gsm8k) - gsm8k);
  const std::string mmlu_row = page.substr(mmlu, page.find("</tr>", mmlu) - mmlu);
  CHECK(gsm8k_row.find("3 answers from the cache") != std::string::npos);
  CHECK(mmlu_row.find("from the cache") == std::string::npos);
  // The provider's prompt cache is not the response cache.
  CHECK(page.find("from the provider's prompt cache") != std::string::npos);
  std::filesystem::remove_all(results);
}
