// moebench report's "Published vs measured": on the run page of a run whose backend.published_as
// names a model of the table (escaped like every other page), in the Markdown summary, nothing
// for other runs, and a malformed table refused before any page is written.
#include <fstream>
#include <functional>
#include <sstream>

#include "common/error.h"
#include "reports/report_site.h"
#include "tests/catch.h"
#include "tests/reports/report_fixtures.h"

using namespace moebench;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string read_file(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A gsm8k run of `items` documents, `correct` of them right, claiming to be `published_as`;
// `edit` sets its scope.
void write_run(const fs::path& results, const std::string& id, const std::string& published_as,
               int items, int correct,
               const std::function<void(test::FixtureRun*)>& edit = nullptr) {
  test::FixtureRun r = test::fixture_run(id, "api:local");
  for (int i = 0; i < items; ++i) {
    r.samples.push_back(
        {"gsm8k", "gsm8k/" + std::to_string(i), "42", i < correct ? 1.0 : 0.0, 0.5, ""});
  }
  if (edit) edit(&r);
  const fs::path dir = test::fixture_write_run(results, r);
  if (published_as.empty()) return;
  std::ifstream in(dir / "run.json");
  json j = json::parse(in);
  in.close();
  j["backend"]["published_as"] = published_as;
  std::ofstream(dir / "run.json") << j.dump(1);
}

json entry(const std::string& model, const std::string& profile, double score,
           const std::string& table = "Table 3") {
  return {{"model", model},
          {"suite", "gsm8k"},
          {"profile", profile},
          {"metric", "EM"},
          {"score", score},
          {"source",
           {{"document", "Report <b>X</b>"},
            {"url", "https://example.org/a?b=1&c=2"},
            {"table", table},
            {"row", "GSM8K (EM)"},
            {"column", model}}}};
}

fs::path write_table(const fs::path& dir, const json& entries) {
  const fs::path file = dir / "published_scores.json";
  std::ofstream(file) << json{{"schema", 1}, {"entries", entries}}.dump(1);
  return file;
}

const char* kHostile = "<script>window.__xss=1</script>";

}  // namespace

TEST_CASE("report: the run page sets a run naming a published model against the paper") {
  const fs::path root = test::fixture_temp_dir("published-view");
  const fs::path results = root / "results";
  // 80 of 100 right: 80.0 ± 1.96·0.0402 = ±7.88 points.
  write_run(results, "claims", "DeepSeek-V3-Base", 100, 80);
  write_run(results, "hostile", kHostile, 4, 2);
  write_run(results, "plain", "", 4, 2);
  write_run(results, "unknown", "Some-Other-Model", 4, 2);
  ReportOptions options;
  options.published_scores = write_table(
      root, json::array({entry("DeepSeek-V3-Base", "lm-eval", 82.0),
                         entry("DeepSeek-V3-Base", "deepseek-v3-base", 89.3, "Table <3>"),
                         entry(kHostile, "lm-eval", 10.0)}));
  report_write_site(results, root / "site", options);

  const std::string page = read_file(root / "site" / site_run_dir_name("claims") / "index.html");
  CHECK(page.find("<dt>published as</dt><dd>DeepSeek-V3-Base</dd>") != std::string::npos);
  CHECK(page.find("<h2>Published vs measured</h2>") != std::string::npos);
  // 80.00 measured against 82.0: -2.00 inside ±7.88.
  CHECK(page.find("80.00 ± 7.88") != std::string::npos);
  CHECK(page.find("-2.00 ± 7.88") != std::string::npos);
  CHECK(page.find(">within CI<") != std::string::npos);
  // How many documents the verdict rests on, as the Markdown says.
  CHECK(page.find("<th data-sort=\"num\">n</th>") != std::string::npos);
  CHECK(page.find("within CI</span></td><td data-value=\"100\">100</td>") != std::string::npos);
  // The gsm8k run is under lm-eval: the deepseek-v3-base number is shown, not compared.
  CHECK(page.find("not comparable (profile lm-eval vs deepseek-v3-base)") != std::string::npos);
  CHECK(page.find("89.3") != std::string::npos);
  // The table's text is escaped like every other page's.
  CHECK(page.find("Report &lt;b&gt;X&lt;/b&gt;") != std::string::npos);
  CHECK(page.find("Table &lt;3&gt;") != std::string::npos);
  CHECK(page.find("href=\"https://example.org/a?b=1&amp;c=2\"") != std::string::npos);
  CHECK(page.find("<b>X</b>") == std::string::npos);

  const std::string hostile =
      read_file(root / "site" / site_run_dir_name("hostile") / "index.html");
  CHECK(hostile.find("<script>window") == std::string::npos);
  CHECK(hostile.find("&lt;script&gt;window.__xss=1&lt;/script&gt;") != std::string::npos);
  CHECK(hostile.find("Published vs measured") != std::string::npos);

  const std::string plain = read_file(root / "site" / site_run_dir_name("plain") / "index.html");
  CHECK(plain.find("published as") == std::string::npos);
  CHECK(plain.find("Published vs measured") == std::string::npos);
  const std::string unknown =
      read_file(root / "site" / site_run_dir_name("unknown") / "index.html");
  CHECK(unknown.find("Some-Other-Model <span class=\"muted\">(no published scores for it)") !=
        std::string::npos);
  CHECK(unknown.find("Published vs measured") == std::string::npos);

  SECTION("the Markdown summary carries the same comparison") {
    const std::string md = report_markdown(report_load(results), options);
    CHECK(md.find("### Published vs measured") != std::string::npos);
    CHECK(md.find("| claims | DeepSeek-V3-Base | gsm8k | lm-eval | 82.0 EM |") !=
          std::string::npos);
    CHECK(md.find("| 80.00 ± 7.88 | -2.00 ± 7.88 | within CI |") != std::string::npos);
    CHECK(md.find("not comparable (profile lm-eval vs deepseek-v3-base)") != std::string::npos);
    CHECK(md.find("<script>") == std::string::npos);
  }
  SECTION("no table, no view; a malformed one names the file and field before any page") {
    options.published_scores = root / "absent.json";
    CHECK(report_markdown(report_load(results), options).find("Published vs measured") ==
          std::string::npos);
    const fs::path bad =
        write_table(root, json::array({entry("DeepSeek-V3-Base", "lm-eval", 182.0)}));
    options.published_scores = bad;
    CHECK_THROWS_WITH(report_write_site(results, root / "site2", options),
                      bad.string() +
                          ": field 'entries[0].score': expected a number from 0 to 100 "
                          "(percent, as published)");
    CHECK_FALSE(fs::exists(root / "site2" / "index.html"));
    CHECK_THROWS_AS(report_markdown(report_load(results), options), InputError);
  }
}

// The newest run gave the verdict: a shard of 5 documents or a --limit 2 run over the full run.
TEST_CASE("report: the Markdown comparison takes the run of the most documents and shows n") {
  const fs::path root = test::fixture_temp_dir("published-most-docs");
  const fs::path results = root / "results";
  const auto at = [](const std::string& created, const std::string& shard, long limit) {
    return [=](test::FixtureRun* r) {
      r->created = created;
      r->shard = shard;
      r->limit = limit;
    };
  };
  write_run(results, "older", "DeepSeek-V3-Base", 100, 10, at("2026-10-01T00:00:00Z", "0/1", -1));
  write_run(results, "full", "DeepSeek-V3-Base", 100, 80, at("2026-11-01T00:00:00Z", "0/1", -1));
  write_run(results, "shard", "DeepSeek-V3-Base", 5, 5, at("2026-11-02T00:00:00Z", "3/4", -1));
  write_run(results, "tiny", "DeepSeek-V3-Base", 2, 0, at("2026-11-03T00:00:00Z", "0/1", 2));
  // As many documents and newer, but every one failed: over its error gate (exit 4), no verdict.
  write_run(results, "broken", "DeepSeek-V3-Base", 100, 0, [&](test::FixtureRun* r) {
    at("2026-11-04T00:00:00Z", "0/1", -1)(r);
    for (test::FixtureSample& x : r->samples) x.error = "http";
    r->max_error_rate = 0.05;
  });
  ReportOptions options;
  options.published_scores =
      write_table(root, json::array({entry("DeepSeek-V3-Base", "lm-eval", 82.0)}));
  const std::string md = report_markdown(report_load(results), options);
  INFO(md);
  CHECK(md.find("| verdict | n |") != std::string::npos);
  CHECK(md.find("| full | DeepSeek-V3-Base | gsm8k | lm-eval | 82.0 EM |") != std::string::npos);
  CHECK(md.find("| 80.00 ± 7.88 | -2.00 ± 7.88 | within CI | 100 |") != std::string::npos);
  for (const char* other : {"| older |", "| shard |", "| tiny |", "| broken |"}) {
    CHECK(md.find(other) == std::string::npos);
  }
  fs::remove_all(root);
}
