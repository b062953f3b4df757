// moebench compare as a gate: failed samples count 0 (as in the runs' own means), a comparison
// that cannot be made (metrics differ, a suite is missing, nothing in common, a truncated
// samples.jsonl) exits 2 naming the suites, and unpaired documents are counted in the output.
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>

#include "common/error.h"
#include "reports/compare_runs.h"
#include "tests/catch.h"
#include "tests/reports/report_fixtures.h"

using namespace moebench;
using test::FixtureRun;

namespace {

// `n` documents of `suite`, the first `right` of them correct (1) and the rest wrong (0); the
// last `failed` are failed requests, written as the runner writes them: an error and no metric.
FixtureRun run_of(const std::string& id, const std::string& suite, int n, int right, int failed,
                  int first_doc = 0) {
  FixtureRun r = test::fixture_run(id, "model-" + id);
  for (int i = 0; i < n; ++i) {
    const bool fail = i >= n - failed;
    r.samples.push_back({suite, suite + "/" + std::to_string(first_doc + i), fail ? "" : "42",
                         i < right && !fail ? 1.0 : 0.0, 0.5, fail ? "connection" : ""});
  }
  return r;
}

std::filesystem::path write_run(const std::filesystem::path& results, const FixtureRun& run) {
  const auto dir = test::fixture_write_run(results, run);
  // The fixture gives every sample its value; a failed request has no metric in samples.jsonl.
  std::ifstream in(dir / "samples.jsonl");
  std::string all;
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line);
    if (!j["error"].is_null()) j["metrics"] = nlohmann::json::object();
    all += j.dump() + "\n";
  }
  in.close();
  std::ofstream(dir / "samples.jsonl", std::ios::trunc) << all;
  return dir;
}

// Runs the CLI; its exit code, stdout in *out and stderr in *err.
int cli(const std::string& args, std::string* out = nullptr, std::string* err = nullptr) {
  const char* bin = std::getenv("MOEBENCH_BIN");
  REQUIRE(bin != nullptr);
  const auto tmp = test::fixture_temp_dir("compare-gate-out");
  const int status = std::system((std::string(bin) + " compare " + args + " > " +
                                  (tmp / "o").string() + " 2> " + (tmp / "e").string())
                                     .c_str());
  auto slurp = [](const std::filesystem::path& p) {
    std::ifstream f(p);
    return std::string(std::istreambuf_iterator<char>(f), {});
  };
  if (out) *out = slurp(tmp / "o");
  if (err) *err = slurp(tmp / "e");
  std::filesystem::remove_all(tmp);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

TEST_CASE("compare counts a failed sample as 0, as the run's own mean does") {
  const auto results = test::fixture_temp_dir("compare-failed");
  const auto a = write_run(results, run_of("oracle", "gsm8k", 100, 100, 0));
  const auto b = write_run(results, run_of("flaky", "gsm8k", 100, 100, 9));
  const RunComparison c = compare_runs(a, b, CompareOptions{});
  REQUIRE(c.suites.size() == 1);
  const SuiteComparison& s = c.suites[0];
  CHECK(s.shared == 100);  // not 91
  CHECK(s.zero_a == 0);
  CHECK(s.zero_b == 9);
  CHECK(std::abs(s.mean_b - 0.91) < 1e-12);
  CHECK(std::abs(s.mean_b - c.b.suites[0].primary()->mean) < 1e-12);  // run.json's mean
  CHECK(s.a_only_right == 9);
  CHECK(std::abs(s.p_value - 2.0 / 512) < 1e-12);  // McNemar exact: 9 discordant, all one way
  CHECK(s.regression);
  std::string out;
  CHECK(cli(a.string() + " " + b.string(), &out) == 1);
  INFO(out);
  CHECK(out.find("0/9") != std::string::npos);
  CHECK(out.find("REGRESSION") != std::string::npos);
  std::filesystem::remove_all(results);
}

TEST_CASE("compare of runs whose metric names differ is an error naming the suite") {
  const auto results = test::fixture_temp_dir("compare-metric");
  FixtureRun ra = run_of("ll", "mmlu", 50, 40, 0);
  ra.metric = "acc,none";
  FixtureRun rb = run_of("gen", "mmlu", 50, 40, 0);
  rb.metric = "acc,answer-letter";
  const auto a = write_run(results, ra);
  const auto b = write_run(results, rb);
  try {
    compare_runs(a, b, CompareOptions{});
    FAIL("compared runs with no metric in common");
  } catch (const InputError& e) {
    const std::string msg = e.what();
    CHECK(msg.find("'mmlu'") != std::string::npos);
    CHECK(msg.find("acc,none") != std::string::npos);
    CHECK(msg.find("acc,answer-letter") != std::string::npos);
  }
  std::string err;
  CHECK(cli(a.string() + " " + b.string(), nullptr, &err) == 2);
  CHECK(err.find("mmlu") != std::string::npos);
  CHECK(std::count(err.begin(), err.end(), '\n') == 1);  // one line
  std::filesystem::remove_all(results);
}

// The bundled sample documents reuse the test sets' ids for other questions (sample test/0 is not
// the dataset's test/0): a sample run and a dataset run cannot be paired by id.
TEST_CASE("compare of a sample run with a dataset run is an error") {
  const auto results = test::fixture_temp_dir("compare-samples");
  FixtureRun ra = run_of("sampled", "gsm8k", 20, 20, 0);
  ra.samples_scope = true;
  const auto a = write_run(results, ra);
  const auto b = write_run(results, run_of("full", "gsm8k", 20, 10, 0));
  std::string err;
  CHECK(cli(a.string() + " " + b.string(), nullptr, &err) == 2);
  CHECK(err.find("A ran the bundled sample documents and B the datasets") != std::string::npos);
  std::filesystem::remove_all(results);
}

TEST_CASE("compare of a suite one run lacks is an error, --suites compares a subset") {
  const auto results = test::fixture_temp_dir("compare-missing-suite");
  FixtureRun ra = run_of("a", "gsm8k", 30, 20, 0);
  const FixtureRun extra = run_of("a", "math500", 30, 10, 0);
  ra.samples.insert(ra.samples.end(), extra.samples.begin(), extra.samples.end());
  const auto a = write_run(results, ra);
  const auto b = write_run(results, run_of("b", "gsm8k", 30, 20, 0));
  std::string err;
  CHECK(cli(a.string() + " " + b.string(), nullptr, &err) == 2);
  CHECK(err.find("'math500' is only in A") != std::string::npos);
  CHECK(cli(a.string() + " " + b.string() + " --suites gsm8k") == 0);
  CHECK(cli(a.string() + " " + b.string() + " --suites math500") == 2);
  std::filesystem::remove_all(results);
}

TEST_CASE("compare with no document in common is an error, unpaired documents are printed") {
  const auto results = test::fixture_temp_dir("compare-unpaired");
  const auto a = write_run(results, run_of("a", "gsm8k", 100, 80, 0));
  const auto b = write_run(results, run_of("b", "gsm8k", 90, 72, 0, 5));  // docs 5..94
  std::string out;
  CHECK(cli(a.string() + " " + b.string(), &out) == 0);
  INFO(out);
  CHECK(out.find("gsm8k (exact_match,strict-match): 10 documents only in A, 0 only in B") !=
        std::string::npos);
  CHECK(cli(a.string() + " " + b.string() + " --format md", &out) == 0);
  CHECK(out.find("10 documents only in A") != std::string::npos);
  const auto c = write_run(results, run_of("c", "gsm8k", 10, 5, 0, 1000));
  std::string err;
  CHECK(cli(a.string() + " " + c.string(), nullptr, &err) == 2);
  CHECK(err.find("no document in common") != std::string::npos);
  std::filesystem::remove_all(results);
}

TEST_CASE("compare refuses a samples.jsonl that disagrees with its run.json") {
  const auto results = test::fixture_temp_dir("compare-truncated");
  const auto a = write_run(results, run_of("a", "gsm8k", 100, 80, 0));
  const auto b = write_run(results, run_of("b", "gsm8k", 100, 80, 0));
  {  // keep 40 of the 100 lines
    std::ifstream in(b / "samples.jsonl");
    std::string kept, line;
    for (int i = 0; i < 40 && std::getline(in, line); ++i) kept += line + "\n";
    in.close();
    std::ofstream(b / "samples.jsonl", std::ios::trunc) << kept;
  }
  std::string err;
  CHECK(cli(a.string() + " " + b.string(), nullptr, &err) == 2);
  CHECK(err.find("has 40 samples of suite 'gsm8k' but run.json says 100") != std::string::npos);
  std::filesystem::remove_all(results);
}

// The text's last line names how many (suite, metric) tests Holm's correction ran over: it passed
// the count as a double to "%zu" and printed "over 6 tests" whatever the count.
TEST_CASE("compare's text names the number of tests Holm's p is over") {
  const auto results = test::fixture_temp_dir("compare-holm-count");
  const char* bin = std::getenv("MOEBENCH_BIN");
  REQUIRE(bin != nullptr);
  for (const char* id : {"a", "b"}) {
    const std::string run = std::string(bin) +
                            " run --backend oracle --samples --suites gsm8k --no-progress "
                            "--results-dir '" +
                            results.string() + "' --run-id " + id + " > /dev/null 2>&1";
    REQUIRE(std::system(run.c_str()) == 0);
  }
  const std::string runs = (results / "a").string() + " " + (results / "b").string();
  std::string out;
  CHECK(cli(runs + " --suites gsm8k", &out) == 0);
  CHECK(out.find("(alpha 0.05 on Holm's p over 1 test, threshold 1.00 points)\n") !=
        std::string::npos);
  // gsm8k's two metrics, strict-match and flexible-extract.
  CHECK(cli(runs + " --suites gsm8k --all-metrics", &out) == 0);
  INFO(out);
  CHECK(out.find("(alpha 0.05 on Holm's p over 2 tests, threshold 1.00 points)\n") !=
        std::string::npos);
  std::filesystem::remove_all(results);
}

// A 0-shot run against a 5-shot one, or sampled against greedy, was compared as if only the model
// had changed, and the difference called a regression without a word.
TEST_CASE("compare refuses a suite asked with other few-shot or sampling settings") {
  const auto results = test::fixture_temp_dir("compare-spec");
  const char* bin = std::getenv("MOEBENCH_BIN");
  REQUIRE(bin != nullptr);
  const std::pair<const char*, const char*> runs[] = {
      {"a", ""}, {"zero", " --num-fewshot 0"}, {"hot", " --gen-kwargs temperature=0.7"}};
  for (const auto& [id, flags] : runs) {
    const std::string run = std::string(bin) +
                            " run --backend oracle --samples --suites gsm8k --no-progress "
                            "--results-dir '" +
                            results.string() + "' --run-id " + id + flags + " > /dev/null 2>&1";
    REQUIRE(std::system(run.c_str()) == 0);
  }
  const std::string a = (results / "a").string();
  std::string err;
  CHECK(cli(a + " " + (results / "zero").string(), nullptr, &err) == 2);
  CHECK(err.find("suite 'gsm8k' was set up differently (num_fewshot 5 -> 0)") != std::string::npos);
  CHECK(cli(a + " " + (results / "hot").string(), nullptr, &err) == 2);
  CHECK(err.find("suite 'gsm8k' was set up differently (temperature 0.0 -> 0.7)") !=
        std::string::npos);
  CHECK(cli(a + " " + a) == 0);
  std::filesystem::remove_all(results);
}

// --format md printed the table and the notes but no overall result, alpha, Holm count or
// threshold: a CI page showed the per-row verdicts only.
TEST_CASE("compare's Markdown ends with the overall result") {
  const auto results = test::fixture_temp_dir("compare-md-result");
  const auto a = write_run(results, run_of("a", "gsm8k", 30, 20, 0));
  const auto b = write_run(results, run_of("b", "gsm8k", 30, 20, 0));
  std::string out;
  CHECK(cli(a.string() + " " + b.string() + " --format md", &out) == 0);
  INFO(out);
  CHECK(out.find("\n**result: no significant regression** (alpha 0.05 on Holm's p over 1 test, "
                 "threshold 1.00 points)\n") != std::string::npos);
  std::filesystem::remove_all(results);
}

// A run directory given with a benchmark file was read as JSON ("malformed JSON (parse error at
// line 1, column 1"), and a samples.jsonl for a run as one Google Benchmark file.
TEST_CASE("compare of a run with a benchmark file says what to pass") {
  const auto results = test::fixture_temp_dir("compare-mixed");
  const auto a = write_run(results, run_of("a", "gsm8k", 10, 5, 0));
  std::ofstream(results / "bench.json") << R"({"benchmarks": []})";
  std::string err;
  CHECK(cli(a.string() + " " + (results / "bench.json").string(), nullptr, &err) == 2);
  CHECK(err.find("pass two run directories (or run.json files) or two Google Benchmark JSON "
                 "files") != std::string::npos);
  CHECK(err.find("malformed JSON") == std::string::npos);
  const std::string samples = (a / "samples.jsonl").string();
  CHECK(cli(samples + " " + samples, nullptr, &err) == 2);
  CHECK(err.find("samples.jsonl: a run's samples: pass its run directory (or its run.json)") !=
        std::string::npos);
  std::filesystem::remove_all(results);
}
