// moebench report: the leaderboard rows (latest run per model and data scope), the pages written,
// pagination, escaping of hostile model output, unreadable runs named and skipped, the Markdown
// summary, and kernel benchmark regressions from Google Benchmark JSON.
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "reports/bench_history.h"
#include "reports/report_site.h"
#include "tests/catch.h"
#include "tests/reports/report_fixtures.h"

using namespace moebench;
using test::FixtureRun;

namespace {

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

size_t count(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos;
       at = haystack.find(needle, at + needle.size())) {
    ++n;
  }
  return n;
}

FixtureRun scored_run(const std::string& id, const std::string& model, const std::string& created,
                      int items, int correct, const std::string& response = "The answer is 42") {
  FixtureRun r = test::fixture_run(id, model);
  r.created = created;
  for (int i = 0; i < items; ++i) {
    r.samples.push_back({"gsm8k", "gsm8k/" + std::to_string(i), response, i < correct ? 1.0 : 0.0,
                         0.1 * (i + 1), ""});
  }
  return r;
}

const char* kHostile = "<script>window.__xss=1</script>\"><img src=x onerror=alert(1)></textarea>";

}  // namespace

TEST_CASE("report builds one leaderboard row per model and data scope from the latest run") {
  const auto results = test::fixture_temp_dir("report-rows");
  test::fixture_write_run(results, scored_run("r1", "model-a", "2026-11-01T00:00:00Z", 10, 2));
  test::fixture_write_run(results, scored_run("r2", "model-a", "2026-11-02T00:00:00Z", 10, 6));
  test::fixture_write_run(results, scored_run("r3", "model-b", "2026-11-01T00:00:00Z", 10, 9));
  FixtureRun sampled = scored_run("r4", "model-b", "2026-11-03T00:00:00Z", 4, 1);
  sampled.samples_scope = true;
  test::fixture_write_run(results, sampled);

  ReportData data = report_load(results);
  REQUIRE(data.runs.size() == 4);
  CHECK(data.problems.empty());
  const Leaderboard board = leaderboard_build(data.runs, data.latency, ReportOptions{});
  REQUIRE(board.rows.size() == 3);
  CHECK(board.rows[0].model == "model-b");  // best first
  CHECK(board.rows[0].scope == "full");
  CHECK(*board.rows[0].mean_score == 0.9);
  CHECK(board.rows[1].model == "model-a");
  CHECK(*board.rows[1].mean_score == 0.6);  // r2, the later run, not r1
  CHECK(board.rows[1].runs == 2);
  CHECK(board.rows[2].scope == "samples");
  // Latencies 0.1 .. 1.0 s: numpy's median 0.55, p95 0.955.
  CHECK(std::abs(*board.rows[1].latency_p50 - 0.55) < 1e-9);
  CHECK(std::abs(*board.rows[1].latency_p95 - 0.955) < 1e-9);
  CHECK_FALSE(board.rows[1].cost_usd.has_value());

  ReportOptions priced;
  priced.machine_usd_per_hour = 3.6;  // 10 s of dispatch -> $0.01 per run
  const Leaderboard costed = leaderboard_build(data.runs, data.latency, priced);
  REQUIRE(costed.rows[1].cost_usd.has_value());
  CHECK(std::abs(*costed.rows[1].cost_usd - 0.01) < 1e-12);
  CHECK(costed.rows[1].cost_estimated);
  CHECK(std::abs(*costed.rows[1].usd_per_million() - 0.01 / 1200 * 1e6) < 1e-9);
  // On an 8-GPU host the built-in engine still ran on one device: charged 8x before.
  std::vector<RunSummary> on_big_host = data.runs;
  for (RunSummary& r : on_big_host) r.gpus = 8;
  const Leaderboard big = leaderboard_build(on_big_host, data.latency, priced);
  CHECK(std::abs(*big.rows[1].cost_usd - 0.01) < 1e-12);
  std::filesystem::remove_all(results);
}

TEST_CASE("report writes the site with every sample and escapes hostile output") {
  const auto results = test::fixture_temp_dir("report-site");
  test::fixture_write_run(results, scored_run("good", "model-a", "2026-11-01T00:00:00Z", 450, 300));
  test::fixture_write_run(results,
                          scored_run("evil", kHostile, "2026-11-02T00:00:00Z", 3, 1, kHostile));
  std::filesystem::create_directories(results / "broken");
  std::ofstream(results / "broken" / "run.json") << "{ not json";
  const auto torn =
      test::fixture_write_run(results, scored_run("torn", "model-c", "2026-11-03T00:00:00Z", 2, 1));
  std::ofstream(torn / "samples.jsonl", std::ios::app) << "{\"suite\": \"gsm8k\", \"doc_id\"\n";
  const auto out = results / "site";

  const SiteResult r = report_write_site(results, out, ReportOptions{});
  CHECK(r.runs == 3);
  REQUIRE(r.problems.size() == 2);
  INFO(r.problems[0] + "\n" + r.problems[1]);
  CHECK(r.problems[0].find("broken/run.json: malformed JSON (") != std::string::npos);
  CHECK(r.problems[1].find("torn/samples.jsonl:3: malformed JSON line (") != std::string::npos);
  const std::string index = read_file(out / "index.html");
  // The torn run's scores still count; only its sample pages are missing.
  CHECK(count(index, "<td class=\"model\"") == 3);
  CHECK_FALSE(std::filesystem::exists(out / "runs" / "torn" / "gsm8k.html"));
  CHECK(index.find("left out:") != std::string::npos);
  CHECK(std::filesystem::exists(out / "site.js"));
  CHECK(std::filesystem::exists(out / "site.css"));
  // 450 samples: pages of 200, 200 and 50.
  const auto good = out / "runs" / "good";
  CHECK(count(read_file(good / "gsm8k.html"), "<div class=\"sample\"") == 200);
  CHECK(count(read_file(good / "gsm8k.p2.html"), "<div class=\"sample\"") == 200);
  CHECK(count(read_file(good / "gsm8k.p3.html"), "<div class=\"sample\"") == 50);
  CHECK(count(read_file(good / "gsm8k.html"), "data-verdict=\"pass\"") == 200);
  // No page carries the hostile text unescaped; the escaped form is there.
  for (const auto& entry : std::filesystem::recursive_directory_iterator(out)) {
    if (entry.path().extension() != ".html") continue;
    const std::string page = read_file(entry.path());
    INFO(entry.path().string());
    CHECK(page.find("<script>window") == std::string::npos);
    CHECK(page.find("<img") == std::string::npos);
    CHECK(page.find("</textarea>") == std::string::npos);
  }
  CHECK(read_file(out / "runs" / "evil" / "gsm8k.html").find("&lt;script&gt;window.__xss=1") !=
        std::string::npos);
  std::filesystem::remove_all(results);
}

TEST_CASE("report refuses to write the site into a run directory") {
  const auto results = test::fixture_temp_dir("report-into-run");
  const auto run =
      test::fixture_write_run(results, scored_run("r", "m", "2026-11-01T00:00:00Z", 2, 1));
  CHECK_THROWS(report_write_site(results, run, ReportOptions{}));
  std::filesystem::remove_all(results);
}

TEST_CASE("report Markdown summary has a row per model and escapes table breakers") {
  const auto results = test::fixture_temp_dir("report-md");
  test::fixture_write_run(results, scored_run("r1", "model|pipe", "2026-11-01T00:00:00Z", 4, 3));
  test::fixture_write_run(results, scored_run("r2", "model-b", "2026-11-02T00:00:00Z", 4, 1));
  const std::string md = report_markdown(report_load(results), ReportOptions{});
  CHECK(md.find("| model\\|pipe | full | **75.0** |") != std::string::npos);
  CHECK(md.find("| model-b | full | **25.0** |") != std::string::npos);
  CHECK(md.find("2 models, 2 runs") != std::string::npos);
  std::filesystem::remove_all(results);
}

namespace {

// A Google Benchmark JSON file with 9 repetitions per benchmark around the given medians (ns).
void write_bench(const std::filesystem::path& file, const std::string& date,
                 const std::vector<std::pair<std::string, double>>& medians,
                 const std::string& gpu = "NVIDIA H200") {
  nlohmann::json benchmarks = nlohmann::json::array();
  const double jitter[9] = {-0.02, -0.015, -0.01, -0.005, 0, 0.005, 0.01, 0.015, 0.02};
  for (const auto& [name, median] : medians) {
    for (int rep = 0; rep < 9; ++rep) {
      benchmarks.push_back({{"name", name},
                            {"run_name", name},
                            {"run_type", "iteration"},
                            {"repetitions", 9},
                            {"repetition_index", rep},
                            {"iterations", 100},
                            {"real_time", median * (1 + jitter[rep]) / 1000.0},
                            {"cpu_time", median / 1000.0},
                            {"time_unit", "us"}});
    }
    benchmarks.push_back({{"name", name + "_median"},
                          {"run_name", name},
                          {"run_type", "aggregate"},
                          {"aggregate_name", "median"},
                          {"real_time", median / 1000.0},
                          {"time_unit", "us"}});
  }
  std::filesystem::create_directories(file.parent_path());
  std::ofstream(file) << nlohmann::json{
      {"context", {{"date", date}, {"host_name", "ci"}, {"gpu", gpu}}},
      {"benchmarks",
       benchmarks}}.dump(1);
}

}  // namespace

TEST_CASE("report marks a 10 percent kernel slowdown and not an unchanged kernel") {
  const auto results = test::fixture_temp_dir("report-bench");
  write_bench(results / "bench" / "night1.json", "2026-11-20T02:00:00+00:00",
              {{"BM_gemm/4096", 1.0e6}, {"BM_copy/1GiB", 4.0e5}});
  write_bench(results / "bench" / "night2.json", "2026-11-21T02:00:00+00:00",
              {{"BM_gemm/4096", 1.1e6}, {"BM_copy/1GiB", 4.0e5}});
  std::vector<std::string> problems;
  const auto runs = bench_load_history(results / "bench", &problems);
  REQUIRE(runs.size() == 2);
  CHECK(problems.empty());
  CHECK(runs[0].times_ns.at("BM_gemm/4096").size() == 9);
  const auto deltas = bench_compare(runs[0], runs[1], 0.05, 0.05);
  REQUIRE(deltas.size() == 2);
  CHECK(deltas[0].name == "BM_copy/1GiB");
  CHECK_FALSE(deltas[0].regression);
  CHECK(deltas[1].name == "BM_gemm/4096");
  CHECK(std::abs(*deltas[1].change - 0.1) < 1e-9);
  CHECK(deltas[1].regression);
  CHECK(*deltas[1].p_value < 0.001);

  const SiteResult r = report_write_site(results, results / "site", ReportOptions{});
  const std::string index = read_file(results / "site" / "index.html");
  CHECK(index.find("id=\"chart-bench\"") != std::string::npos);
  CHECK(count(index, "<span class=\"down\">regression</span>") == 1);
  CHECK(report_markdown(report_load(results), ReportOptions{}).find("1 significant regressions") !=
        std::string::npos);
  std::filesystem::remove_all(results);
}

// context.date is local time with its UTC offset (google/benchmark's LocalDateTimeString): a
// file dated 10:00+09:00 (01:00Z) was sorted after one dated 05:00+00:00 by its text, so the
// older run was read as the newest and a regression as a speed-up.
TEST_CASE("report orders kernel runs by their instant, whatever their UTC offsets") {
  const auto results = test::fixture_temp_dir("report-bench-zones");
  write_bench(results / "bench" / "tokyo.json", "2026-12-06T10:00:00+09:00",
              {{"BM_gemm/4096", 1.0e6}});
  write_bench(results / "bench" / "ci.json", "2026-12-06T05:00:00+00:00",
              {{"BM_gemm/4096", 1.5e6}});
  write_bench(results / "bench" / "berlin.json", "2026-12-06T03:30:00+0100",
              {{"BM_gemm/4096", 1.5e6}});
  write_bench(results / "bench" / "old.json", "2026-12-06 01:30:00", {{"BM_gemm/4096", 1.5e6}});
  write_bench(results / "bench" / "zulu.json", "2026-12-06T04:00:00Z", {{"BM_gemm/4096", 1.5e6}});
  std::vector<std::string> problems;
  const auto runs = bench_load_history(results / "bench", &problems);
  REQUIRE(runs.size() == 5);
  std::vector<std::string> order;
  for (const auto& r : runs) order.push_back(r.file.filename().string());
  // 01:00Z, 01:30 (no offset: read as UTC), 02:30Z, 04:00Z, 05:00Z
  CHECK(order ==
        std::vector<std::string>{"tokyo.json", "old.json", "berlin.json", "zulu.json", "ci.json"});
  const std::string md = report_markdown(report_load(results), ReportOptions{});
  CHECK(md.find("ci.json vs zulu.json") != std::string::npos);
  std::filesystem::remove_all(results);
}

// A night measured on another GPU is no baseline: the latest table, the chart's marks and the
// summary set each file against the previous one on its own device.
TEST_CASE("report compares kernel times only with the previous run on the same GPU") {
  const auto results = test::fixture_temp_dir("report-bench-gpus");
  write_bench(results / "bench" / "night1.json", "2026-11-20T02:00:00+00:00",
              {{"BM_gemm/4096", 1.0e6}});
  write_bench(results / "bench" / "night2.json", "2026-11-21T02:00:00+00:00",
              {{"BM_gemm/4096", 0.5e6}}, "NVIDIA H100 80GB HBM3");
  write_bench(results / "bench" / "night3.json", "2026-11-22T02:00:00+00:00",
              {{"BM_gemm/4096", 1.2e6}});
  std::vector<std::string> problems;
  const auto runs = bench_load_history(results / "bench", &problems);
  REQUIRE(runs.size() == 3);
  CHECK(runs[1].gpu == "NVIDIA H100 80GB HBM3");
  CHECK(bench_previous_comparable(runs, 2) == &runs[0]);
  CHECK(bench_previous_comparable(runs, 1) == nullptr);
  report_write_site(results, results / "site", ReportOptions{});
  const std::string index = read_file(results / "site" / "index.html");
  CHECK(index.find("night1.json → night3.json") != std::string::npos);
  CHECK(count(index, "<span class=\"down\">regression</span>") == 1);
  const std::string md = report_markdown(report_load(results), ReportOptions{});
  CHECK(md.find("night3.json vs night1.json") != std::string::npos);
  CHECK(md.find("1 significant regressions") != std::string::npos);
  // `moebench compare` of two devices' files says what it compares.
  const std::string across = bench_compare_markdown(
      runs[1], runs[2], bench_compare(runs[1], runs[2], 0.05, 0.05), 0.05, 0.05);
  CHECK(across.find("Measured on different GPUs (base: NVIDIA H100 80GB HBM3, new: NVIDIA H200): "
                    "the changes compare devices.") != std::string::npos);
  std::filesystem::remove_all(results);
}

// A device run's full set (hundreds of gpu/ names) would draw a line and a legend row each.
TEST_CASE("report charts a large benchmark set as one line per family") {
  const auto results = test::fixture_temp_dir("report-bench-families");
  std::vector<std::pair<std::string, double>> night1, night2;
  for (int i = 0; i < 10; ++i) {
    const std::string name = "gpu/gemm/b" + std::to_string(i) + "/manual_time";
    night1.push_back({name, 1.0e4});
    night2.push_back({name, i == 3 ? 1.1e4 : 1.0e4});
  }
  for (int i = 0; i < 5; ++i) {
    night1.push_back({"gpu/sample/v" + std::to_string(i), 2.0e3});
    night2.push_back({"gpu/sample/v" + std::to_string(i), 2.0e3});
    night1.push_back({"BM_cpu_rope/" + std::to_string(64 << i), 5.0e3});
    night2.push_back({"BM_cpu_rope/" + std::to_string(64 << i), 5.0e3});
  }
  write_bench(results / "bench" / "night1.json", "2026-11-20T02:00:00+00:00", night1);
  write_bench(results / "bench" / "night2.json", "2026-11-21T02:00:00+00:00", night2);
  report_write_site(results, results / "site", ReportOptions{});
  const std::string index = read_file(results / "site" / "index.html");
  const size_t at = index.find("<figure id=\"chart-bench\">");
  REQUIRE(at != std::string::npos);
  const std::string chart = index.substr(at, index.find("</figure>", at) - at);
  CHECK(count(chart, "<g class=\"legend\">") == 1);
  CHECK(chart.find("gpu/gemm (10)") != std::string::npos);
  CHECK(chart.find("gpu/sample (5)") != std::string::npos);
  CHECK(chart.find("BM_cpu_rope (5)") != std::string::npos);
  CHECK(chart.find("gpu/gemm/b0") == std::string::npos);  // no line per benchmark
  // The family's regression is marked, naming its benchmark.
  CHECK(chart.find("gpu/gemm/b3/manual_time: 10.0% slower") != std::string::npos);
  CHECK(chart.find("geometric mean") != std::string::npos);
  // The tables still list every benchmark.
  CHECK(count(index, "<span class=\"down\">regression</span>") == 1);
  std::filesystem::remove_all(results);
}

TEST_CASE("report shows the cost tables of moebench cost beside the API prices") {
  const auto results = test::fixture_temp_dir("report-cost");
  const char* bin = std::getenv("MOEBENCH_BIN");
  REQUIRE(bin != nullptr);
  std::filesystem::create_directories(results / "cost");
  // 3,600 prefill and 360 decode tokens/s at $3.60/hour: $0.2778 and $2.78 per 1M tokens, blended
  // (3 x 0.2778 + 2.778) / 4 = $0.9028.
  const std::string cmd = std::string(bin) +
                          " cost --prefill-tps 3600 --decode-tps 360 --gpu-hour-usd 3.6 "
                          "--compare deepseek-chat --date 2025-09-04 --format json -o " +
                          (results / "cost" / "h100.json").string() + " > /dev/null";
  REQUIRE(std::system(cmd.c_str()) == 0);
  std::ofstream(results / "cost" / "other.json") << "{\"kind\": \"something else\"}";
  const ReportData data = report_load(results);
  REQUIRE(data.costs.size() == 1);
  REQUIRE(data.problems.size() == 1);
  CHECK(data.problems[0].find("other.json: not a `moebench cost") != std::string::npos);
  const std::string md = report_markdown(data, ReportOptions{});
  CHECK(md.find("| given | $0.2778 | $2.78 | $0.9028 |") != std::string::npos);
  CHECK(md.find("\nthroughput given on the command line\n") != std::string::npos);
  CHECK(md.find("| API: deepseek-chat (deepseek, in effect 2025-02-26T16:30Z to "
                "2025-09-05T16:00Z) | $0.2700 | $1.10 | $0.4775 |") != std::string::npos);
  // The prices' date, how long they held and the off-peak prices, as cost's text says them: the
  // page showed only "from 2025-02-26", so a price long ended read as current.
  const std::string when = "API prices in effect on 2025-09-04";
  const std::string until = "2025-09-05T16:00Z";
  const std::string off_peak =
      "deepseek-chat off-peak (UTC 16:30-00:30): cache hit 0.035, input 0.135, output 0.55";
  CHECK(md.find(when) != std::string::npos);
  CHECK(md.find(until) != std::string::npos);
  CHECK(md.find(off_peak) != std::string::npos);
  report_write_site(results, results / "site", ReportOptions{});
  const std::string index = read_file(results / "site" / "index.html");
  CHECK(index.find("<td>$0.2778</td><td>$2.78</td><td>$0.9028</td>") != std::string::npos);
  CHECK(index.find("h100.json: throughput given on the command line; $3.60/hour") !=
        std::string::npos);
  CHECK(index.find(when) != std::string::npos);
  CHECK(index.find(until) != std::string::npos);
  CHECK(index.find(off_peak) != std::string::npos);
  std::filesystem::remove_all(results);
}

// One device run's file, as scripts/device_run.sh writes it: 3 repetitions, the gpu/ counters on
// the median aggregate, one benchmark failed in every repetition.
TEST_CASE("report shows a single benchmark file's medians, ceilings and failures") {
  const auto results = test::fixture_temp_dir("report-bench-one");
  nlohmann::json benchmarks = nlohmann::json::array();
  for (double us : {5.2, 5.07, 4.9}) {
    benchmarks.push_back({{"name", "gpu/gemm/o_proj/m:1/manual_time"},
                          {"run_name", "gpu/gemm/o_proj/m:1/manual_time"},
                          {"run_type", "iteration"},
                          {"real_time", us},
                          {"time_unit", "us"},
                          {"GB_per_s", 1650.0}});
  }
  benchmarks.push_back({{"name", "gpu/gemm/o_proj/m:1/manual_time_median"},
                        {"run_name", "gpu/gemm/o_proj/m:1/manual_time"},
                        {"run_type", "aggregate"},
                        {"aggregate_name", "median"},
                        {"real_time", 5.07},
                        {"time_unit", "us"},
                        {"iterations", 3},
                        {"GB_per_s", 1655.1},
                        {"pct_copy_bw", 38.49}});
  benchmarks.push_back({{"name", "gpu/fa3/hot/manual_time"},
                        {"run_name", "gpu/fa3/hot/manual_time"},
                        {"run_type", "iteration"},
                        {"error_occurred", true},
                        {"error_message", "fa3 output differs from the reference"}});
  std::filesystem::create_directories(results / "bench");
  std::ofstream(results / "bench" / "bench_20261207.json") << nlohmann::json{
      {"context", {{"date", "2026-12-07T01:00:00+00:00"}, {"host_name", "h200"}}},
      {"benchmarks", benchmarks}}.dump(1);
  const BenchRun run = bench_load_run(results / "bench" / "bench_20261207.json");
  CHECK(run.counters.at("gpu/gemm/o_proj/m:1/manual_time").at("pct_copy_bw") == 38.49);
  CHECK(run.errors.size() == 1);
  report_write_site(results, results / "site", ReportOptions{});
  const std::string index = read_file(results / "site" / "index.html");
  CHECK(index.find("id=\"bench-latest\"") != std::string::npos);
  CHECK(index.find(">5.07 us<") != std::string::npos);  // the median of the 3 repetitions
  CHECK(index.find(">1655.1<") != std::string::npos);   // the median aggregate's counters
  CHECK(index.find(">38.5<") != std::string::npos);
  CHECK(index.find("1 measured, 1 failed") != std::string::npos);
  CHECK(index.find("fa3 output differs from the reference") != std::string::npos);
  std::filesystem::remove_all(results);
}

// A cost from a run charges its whole wall time to input and to output alike: the site and the
// summary showed $0.5556 and $5.56 beside an API's $0.56 / $1.68 with no word of it, and without
// the run's own figure ($0.5051 per 1M of its tokens) that the text report prints.
TEST_CASE("report shows a run's own token-mix cost and why its input and output figures differ") {
  const auto results = test::fixture_temp_dir("report-cost-run");
  const char* bin = std::getenv("MOEBENCH_BIN");
  REQUIRE(bin != nullptr);
  std::filesystem::create_directories(results / "cost");
  std::filesystem::create_directories(results / "r1");
  std::ofstream(results / "r1" / "run.json") << R"({"run_id": "r1", "backend": {"id": "x"},
    "throughput": {"prompt_tokens": 10000, "output_tokens": 1000,
                   "prompt_tokens_per_s": 1000.0, "output_tokens_per_s": 100.0}})";
  const std::string cmd = std::string(bin) + " cost --run " + (results / "r1").string() +
                          " --gpu-hour-usd 2 --format json -o " +
                          (results / "cost" / "run.json").string() + " > /dev/null";
  REQUIRE(std::system(cmd.c_str()) == 0);
  const ReportData data = report_load(results);
  REQUIRE(data.costs.size() == 1);
  const std::string note =
      "prefill and decode share its wall time, so $/1M input and $/1M output each charge all of "
      "it; its own token mix costs $0.5051 per 1M tokens";
  const std::string md = report_markdown(data, ReportOptions{});
  INFO(md);
  CHECK(md.find("run r1: " + note) != std::string::npos);
  report_write_site(results, results / "site", ReportOptions{});
  const std::string index = read_file(results / "site" / "index.html");
  CHECK(index.find("run r1: " + note) != std::string::npos);
  std::filesystem::remove_all(results);
}

// `moebench cost -o RESULTS/cost/run.json` is a cost table like any other name there: report took
// the cost directory for a run (it holds a run.json), named it "missing field 'run_id'" and
// exited 2. A run.json that is not a cost table there is still named.
TEST_CASE("report reads a cost table named run.json as a cost table only") {
  const auto results = test::fixture_temp_dir("report-cost-run-json");
  std::filesystem::create_directories(results / "cost");
  std::ofstream(results / "cost" / "run.json") << R"({"kind": "moebench-cost", "rows": []})";
  ReportData data = report_load(results);
  CHECK(data.costs.size() == 1);
  CHECK(data.runs.empty());
  CHECK(data.problems.empty());
  std::ofstream(results / "cost" / "run.json") << R"({"kind": "something else"})";
  data = report_load(results);
  CHECK(data.costs.empty());
  CHECK(data.problems.size() == 2);
  std::filesystem::remove_all(results);
}
