// The kernel regression gate, `moebench compare BASE.json NEW.json`, on recorded Google Benchmark
// JSON. tests/fixtures/bench holds one recording of moebench-kernels' CPU benchmarks on the dev VM
// (--benchmark_repetitions=18 --benchmark_enable_random_interleaving=true), its even and odd
// repetitions split into cpu_run1.json and cpu_run2.json: a no-change pair with real run-to-run
// noise. A planted 10% slowdown of one benchmark must be caught; the noise must not be flagged.
#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "reports/bench_history.h"
#include "tests/catch.h"
#include "tests/input_error_of.h"
#include "tests/reports/report_fixtures.h"

using namespace moebench;
namespace fs = std::filesystem;

namespace {

const fs::path kFixtures = fs::path(MOEBENCH_SOURCE_DIR) / "tests" / "fixtures" / "bench";

int cli_compare(const fs::path& a, const fs::path& b, const fs::path& json_out) {
  const char* bin = std::getenv("MOEBENCH_BIN");
  REQUIRE(bin != nullptr);
  const std::string cmd = std::string(bin) + " compare " + a.string() + " " + b.string() + " -o " +
                          json_out.string() + " > /dev/null 2>&1";
  const int status = std::system(cmd.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// A copy of `src` with every repetition of benchmark `name` made `factor` times slower.
std::string plant_slowdown(const fs::path& src, const fs::path& dst, double factor) {
  std::ifstream in(src);
  nlohmann::json j = nlohmann::json::parse(in);
  std::string name;
  for (auto& b : j["benchmarks"]) {
    if (b.value("run_type", "") != "iteration") continue;
    if (name.empty()) name = b.value("run_name", b["name"].get<std::string>());
    if (b.value("run_name", b["name"].get<std::string>()) != name) continue;
    b["real_time"] = b["real_time"].get<double>() * factor;
  }
  std::ofstream(dst) << j.dump(1);
  return name;
}

}  // namespace

TEST_CASE("the regression gate catches a planted 10 percent slowdown in recorded benchmark JSON") {
  const fs::path run1 = kFixtures / "cpu_run1.json";
  REQUIRE(fs::exists(run1));
  const auto dir = test::fixture_temp_dir("bench-planted");
  const fs::path slow = dir / "slow.json";
  const std::string victim = plant_slowdown(run1, slow, 1.10);
  REQUIRE_FALSE(victim.empty());

  const BenchRun base = bench_load_run(run1);
  const BenchRun next = bench_load_run(slow);
  REQUIRE(base.times_ns.at(victim).size() >= kBenchMinRepetitions);
  const auto deltas = bench_compare(base, next, 0.05, 0.05);
  size_t regressions = 0;
  for (const BenchDelta& d : deltas) {
    INFO(d.name);
    if (d.name == victim) {
      CHECK(std::abs(*d.change - 0.10) < 1e-9);
      CHECK(d.regression);  // p < 0.05 and 10% > the 5% threshold
    } else {
      CHECK(d.change == 0);
      CHECK_FALSE(d.significant);
    }
    regressions += d.regression;
  }
  CHECK(regressions == 1);
  CHECK(cli_compare(run1, slow, dir / "out.json") == 1);
  std::ifstream out(dir / "out.json");
  CHECK(nlohmann::json::parse(out)["regression"] == true);
  fs::remove_all(dir);
}

TEST_CASE("the regression gate does not flag two recordings of the same benchmarks") {
  const fs::path run1 = kFixtures / "cpu_run1.json", run2 = kFixtures / "cpu_run2.json";
  REQUIRE(fs::exists(run2));
  const auto deltas = bench_compare(bench_load_run(run1), bench_load_run(run2), 0.05, 0.05);
  REQUIRE(deltas.size() >= 8);
  for (const BenchDelta& d : deltas) {
    INFO(d.name << ": change " << d.change.value_or(-1) << ", p " << d.p_value.value_or(-1));
    CHECK_FALSE(d.regression);
  }
  const auto dir = test::fixture_temp_dir("bench-noise");
  CHECK(cli_compare(run1, run2, dir / "out.json") == 0);
  fs::remove_all(dir);
}

TEST_CASE("the regression gate names a file that is not Google Benchmark JSON") {
  const auto dir = test::fixture_temp_dir("bench-bad");
  std::ofstream(dir / "x.json") << "{\"context\": {}}";
  try {
    bench_load_run(dir / "x.json");
    FAIL("no error");
  } catch (const std::exception& e) {
    CHECK(std::string(e.what()).find("x.json: missing array 'benchmarks'") != std::string::npos);
  }
  CHECK(cli_compare(dir / "x.json", dir / "x.json", dir / "out.json") == 2);
  fs::remove_all(dir);
}

// Found by tests/fuzz/bench_json.cpp: a field of the wrong type escaped as nlohmann's type_error
// (an internal error, exit 1) instead of an InputError naming the field.
TEST_CASE("a Google Benchmark field of the wrong type is an InputError naming it") {
  const auto dir = test::fixture_temp_dir("bench-types");
  const std::pair<const char*, const char*> cases[] = {
      {R"({"benchmarks": [{"name": "a", "real_time": 1, "time_unit": 10}]})", "'time_unit'"},
      {R"({"benchmarks": [{"name": "a", "real_time": 1, "run_type": []}]})", "'run_type'"},
      {R"({"benchmarks": [{"name": "a", "run_name": 3, "real_time": 1}]})", "'run_name'"},
      {R"({"benchmarks": [{"name": "a", "error_occurred": "yes"}]})", "'error_occurred'"},
      {R"({"benchmarks": [{"name": "a", "error_occurred": true, "error_message": {}}]})",
       "'error_message'"},
      {R"({"benchmarks": [{"name": "a", "real_time": 1, "run_type": "aggregate",
           "aggregate_name": 1}]})",
       "'aggregate_name'"},
      {R"({"context": {"date": 20250101}, "benchmarks": []})", "'date'"},
      {R"({"context": [], "benchmarks": []})", "'context'"},
      // A time of 0 or below was compared: the median's change came out -200% or infinite.
      {R"({"benchmarks": [{"name": "a", "real_time": -3, "time_unit": "us"}]})",
       "'real_time': -3 must be > 0"},
      {R"({"benchmarks": [{"name": "a", "real_time": 0, "run_type": "aggregate",
           "aggregate_name": "median"}]})",
       "'real_time': 0 must be > 0"},
  };
  for (const auto& [text, field] : cases) {
    INFO(text);
    std::ofstream(dir / "x.json") << text;
    const std::string message =
        moebench::testing::input_error_of([&] { bench_load_run(dir / "x.json"); });
    CHECK(message.find("x.json") != std::string::npos);
    CHECK(message.find(field) != std::string::npos);
  }
  fs::remove_all(dir);
}

namespace {

// A benchmark JSON of `reps` repetitions per (name, microseconds); a negative time is an error.
void write_reps(const fs::path& file, const std::vector<std::pair<std::string, double>>& rows,
                int reps) {
  nlohmann::json benchmarks = nlohmann::json::array();
  for (const auto& [name, us] : rows) {
    for (int r = 0; r < reps; ++r) {
      nlohmann::json b = {{"name", name}, {"run_name", name}, {"run_type", "iteration"}};
      if (us < 0) {
        b["error_occurred"] = true;
        b["error_message"] = "output differs from the reference";
      } else {
        b["real_time"] = us * (1 + 0.01 * r);
        b["time_unit"] = "us";
      }
      benchmarks.push_back(b);
    }
  }
  std::ofstream(file) << nlohmann::json{{"benchmarks", benchmarks}}.dump(1);
}

}  // namespace

TEST_CASE("the regression gate fails on a benchmark that errors where the base measured it") {
  const auto dir = test::fixture_temp_dir("bench-errors");
  write_reps(dir / "base.json", {{"a", 10}, {"b", 10}, {"c", -1}}, 9);
  write_reps(dir / "new.json", {{"a", 10}, {"b", -1}, {"c", -1}}, 9);
  const auto deltas = bench_compare(bench_load_run(dir / "base.json"),
                                    bench_load_run(dir / "new.json"), 0.05, 0.05);
  REQUIRE(deltas.size() == 3);
  CHECK_FALSE(deltas[0].failed);
  CHECK(deltas[1].failed);
  CHECK(deltas[1].note == "error in the new run: output differs from the reference");
  CHECK_FALSE(deltas[2].failed);  // failed in the base already: noted, not a new failure
  CHECK(deltas[2].note.rfind("error in both runs", 0) == 0);
  CHECK(cli_compare(dir / "base.json", dir / "new.json", dir / "out.json") == 1);
  CHECK(cli_compare(dir / "base.json", dir / "base.json", dir / "out.json") == 0);
  fs::remove_all(dir);
}

TEST_CASE("a slowdown 3 repetitions cannot test is shown as untested, not as no change") {
  const auto dir = test::fixture_temp_dir("bench-untestable");
  write_reps(dir / "base.json", {{"a", 10}, {"b", 10}}, 3);
  write_reps(dir / "new.json", {{"a", 12.5}, {"b", 10}}, 3);
  const auto deltas = bench_compare(bench_load_run(dir / "base.json"),
                                    bench_load_run(dir / "new.json"), 0.05, 0.05);
  REQUIRE(deltas.size() == 2);
  CHECK(*deltas[0].p_value >= 0.05);  // 3 against 3: the exact U test's smallest p is 0.1
  CHECK_FALSE(deltas[0].regression);
  CHECK(deltas[0].untestable);
  CHECK(deltas[0].note.find("slower by 25.0%, untested: 3 against 3 repetitions") == 0);
  CHECK_FALSE(deltas[1].untestable);
  // One repetition (an aggregates-only file, a custom command): no U test at all, and a 25%
  // slowdown read only "fewer than 2 repetitions".
  write_reps(dir / "one.json", {{"a", 12.5}, {"b", 10}}, 1);
  const auto single = bench_compare(bench_load_run(dir / "base.json"),
                                    bench_load_run(dir / "one.json"), 0.05, 0.05);
  CHECK(single[0].untestable);
  CHECK(single[0].note.find("untested: 3 against 1 repetitions cannot reach p < 0.05") !=
        std::string::npos);
  CHECK_FALSE(single[1].untestable);
  fs::remove_all(dir);
}

// moebench-kernels checks a kernel's output once per process: with --benchmark_repetitions=9 a
// kernel whose output is wrong writes one error entry (repetition 0) and 8 timings. The timings
// hid the error: the row read "fewer than 9 repetitions" and the gate passed.
TEST_CASE("the regression gate fails on an error in one repetition the base run did not have") {
  const auto dir = test::fixture_temp_dir("bench-error-rep0");
  write_reps(dir / "base.json", {{"a", 10}, {"b", 10}}, 9);
  write_reps(dir / "new.json", {{"a", 10}, {"b", 10}}, 9);
  {
    std::ifstream in(dir / "new.json");
    nlohmann::json j = nlohmann::json::parse(in);
    in.close();
    nlohmann::json& first = j["benchmarks"][0];  // a, repetition 0
    first.erase("real_time");
    first["error_occurred"] = true;
    first["error_message"] = "max abs error 3.2 at index 17";
    std::ofstream(dir / "new.json", std::ios::trunc) << j.dump(1);
  }
  const auto deltas = bench_compare(bench_load_run(dir / "base.json"),
                                    bench_load_run(dir / "new.json"), 0.05, 0.05);
  REQUIRE(deltas.size() == 2);
  CHECK(deltas[0].failed);
  CHECK(deltas[0].note == "error in the new run: max abs error 3.2 at index 17");
  CHECK_FALSE(deltas[1].failed);
  CHECK(cli_compare(dir / "base.json", dir / "new.json", dir / "out.json") == 1);
  // The other way round the base had the error: noted, not a failure of the new run.
  const auto back = bench_compare(bench_load_run(dir / "new.json"),
                                  bench_load_run(dir / "base.json"), 0.05, 0.05);
  CHECK_FALSE(back[0].failed);
  CHECK(back[0].note == "error in the base run: max abs error 3.2 at index 17");
  fs::remove_all(dir);
}

namespace {

// `moebench compare A B`: its exit code, stderr in *err.
int cli_compare_err(const fs::path& a, const fs::path& b, std::string* err) {
  const char* bin = std::getenv("MOEBENCH_BIN");
  REQUIRE(bin != nullptr);
  const fs::path e = a.parent_path() / "stderr.txt";
  const std::string cmd = std::string(bin) + " compare " + a.string() + " " + b.string() +
                          " > /dev/null 2> " + e.string();
  const int status = std::system(cmd.c_str());
  std::ifstream in(e);
  *err = std::string(std::istreambuf_iterator<char>(in), {});
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

// The nightly fails a kernel step whose file measures none of the baseline's benchmarks; the CLI
// gave every row "absent from the new run" and exited 0.
TEST_CASE("compare of a benchmark file that measures none of the base's exits 1 in one line") {
  const auto dir = test::fixture_temp_dir("bench-none");
  write_reps(dir / "base.json", {{"a", 10}, {"b", 10}}, 9);
  std::ofstream(dir / "empty.json") << R"({"context": {"gpu": "H100"}, "benchmarks": []})";
  write_reps(dir / "other.json", {{"c", 10}}, 9);
  std::string err;
  CHECK(cli_compare_err(dir / "base.json", dir / "empty.json", &err) == 1);
  CHECK(err.find("empty.json measures none of the 2 benchmarks of") != std::string::npos);
  CHECK(std::count(err.begin(), err.end(), '\n') == 1);
  CHECK(cli_compare_err(dir / "base.json", dir / "other.json", &err) == 1);
  CHECK(err.find("other.json measures none of the 2 benchmarks of") != std::string::npos);
  fs::remove_all(dir);
}

namespace {

// An aggregates-only file (--benchmark_report_aggregates_only): mean, median and stddev of 9.
void write_aggregates(const fs::path& file, const std::string& name, double ns) {
  nlohmann::json benchmarks = nlohmann::json::array();
  for (const char* agg : {"mean", "median", "stddev"}) {
    benchmarks.push_back({{"name", name + "_" + agg},
                          {"run_name", name},
                          {"run_type", "aggregate"},
                          {"aggregate_name", agg},
                          {"repetitions", 9},
                          {"real_time", std::string(agg) == "stddev" ? 1.0 : ns},
                          {"time_unit", "ns"}});
  }
  std::ofstream(file) << nlohmann::json{{"benchmarks", benchmarks}}.dump(1);
}

}  // namespace

// A file of aggregates only was read as one repetition: "1 against 1 repetitions" and advice to
// use --benchmark_repetitions=9, which the user had.
TEST_CASE("compare of aggregates-only benchmark files says it has no repetition times") {
  const auto dir = test::fixture_temp_dir("bench-aggregates");
  write_aggregates(dir / "base.json", "k", 100);
  write_aggregates(dir / "new.json", "k", 150);
  const auto deltas = bench_compare(bench_load_run(dir / "base.json"),
                                    bench_load_run(dir / "new.json"), 0.05, 0.05);
  REQUIRE(deltas.size() == 1);
  CHECK(deltas[0].untestable);
  CHECK(deltas[0].note.find("aggregates only") != std::string::npos);
  CHECK(deltas[0].note.find("1 against 1") == std::string::npos);
  std::string err;
  CHECK(cli_compare_err(dir / "base.json", dir / "new.json", &err) == 0);
  INFO(err);
  CHECK(err.find("hold aggregates only (no repetition times): drop "
                 "--benchmark_report_aggregates_only") != std::string::npos);
  CHECK(err.find("fewer than 9 repetitions") == std::string::npos);
  fs::remove_all(dir);
}

// The warning counted a benchmark absent from one run (0 repetitions) or errored in it, which has
// no U test to weaken.
TEST_CASE("the few-repetitions warning counts only benchmarks measured in both runs") {
  const auto dir = test::fixture_temp_dir("bench-few");
  write_reps(dir / "base.json", {{"a", 10}, {"only_base", 10}, {"err_new", 10}}, 9);
  write_reps(dir / "new.json", {{"a", 10}, {"only_new", 10}, {"err_new", -1}}, 9);
  write_reps(dir / "few.json", {{"a", 10}, {"only_new", 10}, {"err_new", -1}}, 3);
  std::string err;
  CHECK(cli_compare_err(dir / "base.json", dir / "new.json", &err) == 1);  // err_new
  CHECK(err.find("fewer than 9 repetitions") == std::string::npos);
  CHECK(cli_compare_err(dir / "base.json", dir / "few.json", &err) == 1);
  CHECK(err.find("warning: 1 benchmarks have fewer than 9 repetitions") != std::string::npos);
  fs::remove_all(dir);
}
