// Published scores: the loader (a good table, each kind of bad input named by file and field), the
// lookup, the comparison verdicts on hand-computed cases, a run of another profile shown as not
// comparable, the real tasks/published_scores.json, and the view on the run page and in the
// Markdown summary.
#include <cmath>
#include <fstream>
#include <functional>
#include <set>

#include "common/error.h"
#include "reports/published_scores.h"
#include "reports/report_site.h"
#include "tests/catch.h"
#include "tests/reports/report_fixtures.h"

using namespace moebench;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const fs::path kTasks = fs::path(MOEBENCH_SOURCE_DIR) / "tasks";

json good_entry(const std::string& model, const std::string& suite, const std::string& profile,
                double score) {
  return {{"model", model},
          {"suite", suite},
          {"profile", profile},
          {"metric", "EM"},
          {"score", score},
          {"source",
           {{"document", "A Report (arXiv 0000.00000)"},
            {"url", "https://example.org/report"},
            {"table", "Table 3"},
            {"row", "GSM8K (EM), 8-shot"},
            {"column", model}}},
          {"notes", "8-shot"}};
}

json good_table() {
  return {{"schema", 1},
          {"description", "test"},
          {"omitted", {{{"what", "HumanEval-Mul"}, {"why", "not our humaneval"}}}},
          {"entries",
           {good_entry("DeepSeek-V3-Base", "gsm8k", "deepseek-v3-base", 89.3),
            good_entry("DeepSeek-V3-Base", "gsm8k", "lm-eval", 87.1),
            good_entry("DeepSeek-V3-Base", "mmlu", "deepseek-v3-base", 87.1),
            good_entry("Qwen2.5-72B-Base", "gsm8k", "deepseek-v3-base", 88.3)}}};
}

// The InputError message of parsing `j` as "pub.json", or "" when it parses.
bool near(double a, double b) { return std::abs(a - b) < 1e-9; }

std::string parse_error(const json& j) {
  try {
    published_scores_parse(j.dump(), "pub.json");
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

SuiteResult measured(const std::string& key, const std::string& profile, double mean,
                     double stderr_) {
  SuiteResult s;
  s.name = key;
  s.profile = profile;
  s.primary_metric = "exact_match,strict-match";
  MetricStat m;
  m.mean = mean;
  m.stderr_ = stderr_;
  m.n = 1319;
  s.metrics[s.primary_metric] = m;
  return s;
}

}  // namespace

TEST_CASE("published scores: a good table loads and is looked up by model, suite and profile") {
  const PublishedScores t = published_scores_parse(good_table().dump(), "pub.json");
  REQUIRE(t.entries.size() == 4);
  const PublishedScore& e = t.entries[0];
  CHECK(e.model == "DeepSeek-V3-Base");
  CHECK(e.suite == "gsm8k");
  CHECK(e.profile == "deepseek-v3-base");
  CHECK(e.metric == "EM");
  CHECK(e.score == 89.3);
  CHECK(e.source.url == "https://example.org/report");
  CHECK(e.source.table == "Table 3");
  CHECK(e.source.row == "GSM8K (EM), 8-shot");
  CHECK(e.notes == "8-shot");

  // The suite key's suite; any profile, or one; the model name ignores ASCII case.
  CHECK(t.find("DeepSeek-V3-Base", "gsm8k").size() == 2);
  CHECK(t.find("deepseek-v3-base", "gsm8k@deepseek-v3-base").size() == 2);
  const auto one = t.find("DeepSeek-V3-Base", "gsm8k@chat", "deepseek-v3-base");
  REQUIRE(one.size() == 1);
  CHECK(one[0]->score == 89.3);
  CHECK(t.find("DeepSeek-V3-Base", "gsm8k", "chat").empty());
  CHECK(t.find("DeepSeek-V3-Base", "gsm8", "").empty());
  CHECK(t.find("DeepSeek-V3", "gsm8k").empty());
  CHECK(t.has_model("QWEN2.5-72B-BASE"));
  CHECK_FALSE(t.has_model("Qwen2.5-72B"));
}

TEST_CASE("published scores: bad input is refused naming the file and the field") {
  struct Case {
    const char* what;
    std::function<void(json&)> edit;
    std::string expect;
  };
  const std::vector<Case> cases = {
      {"unknown top field", [](json& j) { j["extra"] = 1; }, "field 'extra': unknown field"},
      {"unknown entry field", [](json& j) { j["entries"][1]["shots"] = 8; },
       "field 'entries[1].shots': unknown field"},
      {"unknown source field", [](json& j) { j["entries"][0]["source"]["page"] = "3"; },
       "field 'entries[0].source.page': unknown field"},
      {"score above 100", [](json& j) { j["entries"][2]["score"] = 100.5; },
       "field 'entries[2].score': expected a number from 0 to 100"},
      {"score below 0", [](json& j) { j["entries"][0]["score"] = -0.1; },
       "field 'entries[0].score': expected a number from 0 to 100"},
      {"score as text", [](json& j) { j["entries"][0]["score"] = "89.3"; },
       "field 'entries[0].score': expected a number from 0 to 100"},
      {"score missing", [](json& j) { j["entries"][3].erase("score"); },
       "field 'entries[3].score': missing"},
      {"source missing", [](json& j) { j["entries"][1].erase("source"); },
       "field 'entries[1].source': missing"},
      {"source not an object", [](json& j) { j["entries"][1]["source"] = "Table 3"; },
       "field 'entries[1].source': expected an object"},
      {"source url missing", [](json& j) { j["entries"][0]["source"].erase("url"); },
       "field 'entries[0].source.url': missing"},
      {"source url not a web address",
       [](json& j) { j["entries"][0]["source"]["url"] = "javascript:alert(1)"; },
       "field 'entries[0].source.url': expected an http(s) URL"},
      {"empty model", [](json& j) { j["entries"][0]["model"] = ""; },
       "field 'entries[0].model': expected a non-empty string"},
      {"suite key with a profile", [](json& j) { j["entries"][0]["suite"] = "gsm8k@chat"; },
       "field 'entries[0].suite': a suite name without '@'"},
      {"schema 2", [](json& j) { j["schema"] = 2; }, "field 'schema': expected 1"},
      {"no entries", [](json& j) { j.erase("entries"); }, "field 'entries': expected a list"},
      {"omitted without why", [](json& j) { j["omitted"][0].erase("why"); },
       "field 'omitted[0].why': missing"},
      {"duplicate", [](json& j) { j["entries"].push_back(j["entries"][0]); },
       "field 'entries[4]': duplicate of entries[0]"},
      {"not an object", [](json& j) { j = json::array(); }, "field '(top)': expected an object"},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    json j = good_table();
    c.edit(j);
    const std::string error = parse_error(j);
    CHECK(error.rfind("pub.json: ", 0) == 0);
    CHECK(error.find(c.expect) != std::string::npos);
  }
  std::string malformed;
  try {
    published_scores_parse("{\"schema\": 1,", "pub.json");
  } catch (const InputError& e) {
    malformed = e.what();
  }
  CHECK(malformed.rfind("pub.json: malformed JSON (", 0) == 0);
}

TEST_CASE("published scores: an absent table is no view, a named unreadable one is an error") {
  const fs::path dir = test::fixture_temp_dir("published-load");
  CHECK(published_scores_load("").entries.empty());
  CHECK(published_scores_load(dir / "published_scores.json").entries.empty());
  CHECK(published_scores_load(dir / "published_scores.json").file.empty());
  CHECK_THROWS_AS(published_scores_read(dir / "published_scores.json"), InputError);
  std::ofstream(dir / "bad.json") << "{\"schema\": 1, \"entries\": [{\"model\": 3}]}";
  CHECK_THROWS_WITH(
      published_scores_load(dir / "bad.json"),
      (dir / "bad.json").string() + ": field 'entries[0].model': expected a non-empty string");
  CHECK(published_scores_default_file("tasks") == fs::path("tasks") / "published_scores.json");
}

TEST_CASE("published vs measured: verdicts on hand-computed cases") {
  PublishedScore p;
  p.model = "DeepSeek-V3-Base";
  p.suite = "mmlu";
  p.profile = "deepseek-v3-base";
  p.score = 87.1;

  SECTION("0.880 ± stderr 0.010 vs 87.1: +0.9 pp, CI ±1.96 pp, within") {
    const auto c =
        published_compare(p, measured("mmlu@deepseek-v3-base", "deepseek-v3-base", 0.880, 0.010));
    REQUIRE(c.delta);
    CHECK(near(*c.measured, 88.0));
    CHECK(near(*c.delta, 0.9));
    CHECK(near(*c.ci95, 1.96));
    CHECK(c.verdict == PublishedVerdict::kWithinCi);
    CHECK(c.verdict_text() == "within CI");
    CHECK(c.suite_key == "mmlu@deepseek-v3-base");
    CHECK(c.metric_id == "exact_match,strict-match");
  }
  SECTION("0.850 ± 0.005 vs 87.1: -2.1 pp beyond ±0.98 pp, below") {
    const auto c =
        published_compare(p, measured("mmlu@deepseek-v3-base", "deepseek-v3-base", 0.850, 0.005));
    CHECK(near(*c.delta, -2.1));
    CHECK(near(*c.ci95, 0.98));
    CHECK(c.verdict == PublishedVerdict::kBelow);
    CHECK(c.verdict_text() == "below");
  }
  SECTION("0.900 ± 0.005 vs 87.1: +2.9 pp beyond ±0.98 pp, above") {
    const auto c =
        published_compare(p, measured("mmlu@deepseek-v3-base", "deepseek-v3-base", 0.900, 0.005));
    CHECK(near(*c.delta, 2.9));
    CHECK(c.verdict == PublishedVerdict::kAbove);
    CHECK(c.verdict_text() == "above");
  }
  SECTION("0.860 ± 0.010 vs 87.1: -1.1 pp inside ±1.96 pp, within") {
    const auto c =
        published_compare(p, measured("mmlu@deepseek-v3-base", "deepseek-v3-base", 0.860, 0.010));
    CHECK(near(*c.delta, -1.1));
    CHECK(c.verdict == PublishedVerdict::kWithinCi);
  }
  SECTION("stderr 0 of many documents (all right): within only on an exact match") {
    auto c = published_compare(p, measured("mmlu@deepseek-v3-base", "deepseek-v3-base", 1.0, 0));
    CHECK(*c.ci95 == 0);
    CHECK(c.verdict == PublishedVerdict::kAbove);
    p.score = 100;
    c = published_compare(p, measured("mmlu@deepseek-v3-base", "deepseek-v3-base", 1.0, 0));
    CHECK(c.verdict == PublishedVerdict::kWithinCi);
  }
  // One document has no standard error (lm-eval prints N/A): its 0 is no interval, and "above"
  // on one question was a verdict on nothing.
  SECTION("one document: too few for a verdict") {
    SuiteResult one = measured("mmlu@deepseek-v3-base", "deepseek-v3-base", 1.0, 0);
    one.metrics.begin()->second.n = 1;
    const auto c = published_compare(p, one);
    CHECK(near(*c.measured, 100));
    CHECK_FALSE(c.ci95.has_value());
    CHECK(c.verdict == PublishedVerdict::kTooFew);
    CHECK(c.verdict_text() == "too few documents (1): no standard error");
  }
  SECTION("a suite without a metric is not measured") {
    SuiteResult s = measured("mmlu@deepseek-v3-base", "deepseek-v3-base", 0.88, 0.01);
    s.metrics.clear();
    const auto c = published_compare(p, s);
    CHECK_FALSE(c.delta);
    CHECK(c.verdict == PublishedVerdict::kNotMeasured);
    CHECK(c.verdict_text() == "not measured");
  }
}

TEST_CASE("published vs measured: a run of another profile is not comparable") {
  PublishedScore p;
  p.suite = "mmlu";
  p.profile = "deepseek-v3-base";
  p.score = 87.1;
  // The default profile: the suite key has no '@'.
  auto c = published_compare(p, measured("mmlu", "lm-eval", 0.871, 0.003));
  CHECK(c.verdict == PublishedVerdict::kNotComparable);
  CHECK(c.verdict_text() == "not comparable (profile lm-eval vs deepseek-v3-base)");
  CHECK_FALSE(c.delta);  // no difference computed, even though the numbers agree
  REQUIRE(c.measured);
  CHECK(near(*c.measured, 87.1));
  c = published_compare(p, measured("mmlu@chat", "chat", 0.871, 0.003));
  CHECK(c.verdict_text() == "not comparable (profile chat vs deepseek-v3-base)");

  // Over a run: every entry of the model for each of its suites, matching profile or not.
  const PublishedScores t = published_scores_parse(good_table().dump(), "pub.json");
  const auto rows = published_compare_suites(
      t, "DeepSeek-V3-Base",
      {measured("gsm8k", "lm-eval", 0.87, 0.009), measured("math500", "lm-eval", 0.5, 0.02)});
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].published->profile == "deepseek-v3-base");
  CHECK(rows[0].verdict == PublishedVerdict::kNotComparable);
  CHECK(rows[1].published->profile == "lm-eval");
  CHECK(rows[1].verdict == PublishedVerdict::kWithinCi);
}

TEST_CASE("published scores: the real tasks/published_scores.json loads and names our suites") {
  const PublishedScores t = published_scores_read(published_scores_default_file(kTasks));
  REQUIRE(t.entries.size() >= 60);
  std::set<std::string> suites;
  for (const auto& area : fs::directory_iterator(kTasks)) {
    if (!area.is_directory()) continue;
    for (const auto& f : fs::directory_iterator(area.path())) {
      if (f.path().extension() == ".json") suites.insert(f.path().stem().string());
    }
  }
  for (const PublishedScore& e : t.entries) {
    INFO(e.model + " " + e.suite + " " + e.profile);
    CHECK(suites.count(e.suite) == 1);
    // The profile is one of tasks/profiles/ and covers the suite.
    const fs::path profile = kTasks / "profiles" / (e.profile + ".json");
    REQUIRE(fs::exists(profile));
    std::ifstream in(profile);
    const json covered = json::parse(in).at("suites");
    CHECK((covered.contains(e.suite) || covered.contains("*")));
    CHECK(e.source.url.rfind("https://", 0) == 0);
    // Table 6 prints HumanEval-Mul (several languages), not our Python humaneval.
    if (e.profile == "chat") CHECK(e.suite != "humaneval");
  }
  const auto v3 = t.find("DeepSeek-V3-Base", "gsm8k", "deepseek-v3-base");
  REQUIRE(v3.size() == 1);
  CHECK(v3[0]->score == 89.3);
  const auto math = t.find("DeepSeek-V3-Base", "math500", "deepseek-v3-base");
  REQUIRE(math.size() == 1);
  CHECK(math[0]->score == 61.6);
  CHECK(math[0]->notes.find("full MATH test set") != std::string::npos);
  CHECK(t.find("DeepSeek-V3", "mmlu@chat", "chat").size() == 2);  // V3 Table 6, R1 Table 4
  CHECK(t.find("DeepSeek-R1", "math500", "chat")[0]->score == 97.3);
}
