// What `moebench compare BASE.json NEW.json` prints and writes (reviewer 92): the verdict of a
// significant change within the threshold, the change column at the threshold, plain text on a
// terminal, the repetitions of an aggregates-only file, and the JSON of a comparison that compared
// nothing.
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/catch.h"
#include "tests/reports/report_fixtures.h"

using namespace moebench;
namespace fs = std::filesystem;

namespace {

// A benchmark of a Google Benchmark JSON file: its repetition times (ns), and an error entry
// when `error` is set.
struct Bench {
  Bench(std::string n, std::vector<double> t, std::string e = "")
      : name(std::move(n)), ns(std::move(t)), error(std::move(e)) {}
  std::string name;
  std::vector<double> ns;
  std::string error;
};

void write_bench_file(const fs::path& file, const std::vector<Bench>& benches) {
  nlohmann::json list = nlohmann::json::array();
  for (const Bench& b : benches) {
    if (!b.error.empty()) {
      list.push_back({{"name", b.name},
                      {"run_name", b.name},
                      {"run_type", "iteration"},
                      {"error_occurred", true},
                      {"error_message", b.error}});
    }
    for (double ns : b.ns) {
      list.push_back({{"name", b.name},
                      {"run_name", b.name},
                      {"run_type", "iteration"},
                      {"real_time", ns},
                      {"time_unit", "ns"}});
    }
  }
  std::ofstream(file) << nlohmann::json{{"context", {{"gpu", "none"}}}, {"benchmarks", list}};
}

// Nine repetitions: around `center` ns, one apart.
std::vector<double> nine(double center) {
  std::vector<double> out;
  for (int i = 0; i < 9; ++i) out.push_back(center + i - 4);
  return out;
}

struct Cli {
  int code = -1;
  std::string out, err;
};

// `moebench compare ARGS` in `dir`: exit code, stdout and stderr.
Cli compare_cli(const fs::path& dir, const std::string& args) {
  const char* bin = std::getenv("MOEBENCH_BIN");
  REQUIRE(bin != nullptr);
  const std::string cmd =
      "cd " + dir.string() + " && " + bin + " compare " + args + " > stdout.txt 2> stderr.txt";
  const int status = std::system(cmd.c_str());
  Cli r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = test::fixture_read_text(dir / "stdout.txt");
  r.err = test::fixture_read_text(dir / "stderr.txt");
  return r;
}

// The table row of benchmark `name` in compare's output ("" when none).
std::string row_of(const std::string& table, const std::string& name) {
  const size_t at = table.find("| " + name + " |");
  return at == std::string::npos ? "" : table.substr(at, table.find('\n', at) - at);
}

}  // namespace

// A significant 5% slowdown (p 0.0004, within the 5% threshold) read "no significant change"
// beside its p; a 5.04% one printed "+5.0%" and was a regression under "threshold 5.0%".
TEST_CASE("compare says a significant change within the threshold is one and prints its size") {
  const auto dir = test::fixture_temp_dir("bench-within");
  std::vector<double> at5, at504, faster3;
  for (double ns : nine(1004)) {
    at5.push_back(1004 * 1.05 + ns - 1004);
    at504.push_back(1004 * 1.0504 + ns - 1004);
    faster3.push_back(1004 * 0.97 + ns - 1004);
  }
  write_bench_file(dir / "base.json", {{"x/b", nine(1004)}, {"x/c", nine(1004)}});
  write_bench_file(dir / "new.json", {{"x/b", at5}, {"x/c", faster3}});
  write_bench_file(dir / "new504.json", {{"x/b", at504}, {"x/c", nine(1004)}});

  Cli r = compare_cli(dir, "base.json new.json");
  CHECK(r.code == 0);
  INFO(r.out);
  CHECK(row_of(r.out, "x/b") ==
        "| x/b | 1 us | 1.05 us | +5.00% | 0.0004 | 9/9 | slower, within "
        "the 5.0% threshold |");
  CHECK(row_of(r.out, "x/c") ==
        "| x/c | 1 us | 974 ns | -3.00% | 0.0004 | 9/9 | faster, within "
        "the 5.0% threshold |");
  r = compare_cli(dir, "base.json new504.json");
  CHECK(r.code == 1);
  CHECK(row_of(r.out, "x/b") ==
        "| x/b | 1 us | 1.05 us | +5.04% | 0.0004 | 9/9 | **regression** |");
  CHECK(row_of(r.out, "x/c") ==
        "| x/c | 1 us | 1 us | +0.00% | 1.0000 | 9/9 | no significant "
        "change |");
  // Reviewer 94, F9: the threshold was printed with one decimal, so a +5.04% within a 5.04%
  // threshold read "within the 5.0% threshold" and a +5.00% beyond 4.99% "regression" under
  // "threshold 5.0%". It is printed at the change's precision.
  r = compare_cli(dir, "base.json new504.json --threshold 0.0504");
  CHECK(r.code == 0);
  CHECK(r.out.find("threshold 5.04%") != std::string::npos);
  CHECK(row_of(r.out, "x/b") ==
        "| x/b | 1 us | 1.05 us | +5.04% | 0.0004 | 9/9 | slower, within the 5.04% threshold |");
  r = compare_cli(dir, "base.json new.json --threshold 0.0499");
  CHECK(r.code == 1);
  CHECK(r.out.find("threshold 4.99%") != std::string::npos);
  fs::remove_all(dir);
}

// The terminal table was the Markdown one, md_cell's "&lt;" included: "cannot reach p &lt; 0.05"
// and an error message "a < b" garbled in a CI log.
TEST_CASE("compare's text table prints a less-than sign as itself") {
  const auto dir = test::fixture_temp_dir("bench-text-lt");
  write_bench_file(dir / "base.json", {{"r", {1000}}, {"e", nine(1000)}});
  write_bench_file(dir / "new.json", {{"r", {1300}}, {"e", {}, "max error 3 > tolerance < 1"}});
  const Cli text = compare_cli(dir, "base.json new.json");
  CHECK(text.code == 1);
  INFO(text.out);
  CHECK(text.out.find("&lt;") == std::string::npos);
  CHECK(text.out.find("cannot reach p < 0.05") != std::string::npos);
  CHECK(text.out.find("error in the new run: max error 3 > tolerance < 1") != std::string::npos);
  // Markdown (rendered as HTML) keeps the entity.
  const Cli md = compare_cli(dir, "base.json new.json --format md");
  CHECK(md.out.find("cannot reach p &lt; 0.05") != std::string::npos);
  fs::remove_all(dir);
}

// An aggregates-only file (--benchmark_report_aggregates_only) of 9 repetitions read "reps 1":
// its median was stored as one time and the count taken from that.
TEST_CASE("compare counts an aggregates-only file's benchmark by its recorded repetitions") {
  const auto dir = test::fixture_temp_dir("bench-agg-reps");
  write_bench_file(dir / "base.json", {{"k", nine(1000)}});
  nlohmann::json list = nlohmann::json::array();
  for (const char* agg : {"mean", "median", "stddev"}) {
    list.push_back({{"name", std::string("k_") + agg},
                    {"run_name", "k"},
                    {"run_type", "aggregate"},
                    {"aggregate_name", agg},
                    {"repetitions", 9},
                    {"real_time", std::string(agg) == "stddev" ? 3.0 : 1000.0},
                    {"time_unit", "ns"}});
  }
  std::ofstream(dir / "agg.json") << nlohmann::json{{"benchmarks", list}};
  const Cli r = compare_cli(dir, "base.json agg.json --format json");
  CHECK(r.code == 0);
  INFO(r.out);
  const auto j = nlohmann::json::parse(r.out);
  CHECK(j["benchmarks"][0]["base_reps"] == 9);
  CHECK(j["benchmarks"][0]["new_reps"] == 9);
  CHECK(row_of(compare_cli(dir, "base.json agg.json").out, "k").find("| 9/9 |") !=
        std::string::npos);
  fs::remove_all(dir);
}

// With no benchmark measured in both, compare returned before its JSON: --format json printed
// nothing (a jq step fails on empty input) and -o left the previous night's file, which said
// "regression": false, beside exit 1.
TEST_CASE("compare writes its JSON when the files have no benchmark measured in both") {
  const auto dir = test::fixture_temp_dir("bench-none-json");
  write_bench_file(dir / "base.json", {{"a", nine(1000)}, {"b", nine(1000)}});
  write_bench_file(dir / "other.json", {{"c", nine(1000)}});
  write_bench_file(dir / "failed.json", {{"a", {}, "boom"}, {"b", {}, "boom"}});
  CHECK(compare_cli(dir, "base.json base.json -o cmp.json").code == 0);
  CHECK(nlohmann::json::parse(test::fixture_read_text(dir / "cmp.json"))["regression"] == false);

  Cli r = compare_cli(dir, "base.json other.json -o cmp.json");
  CHECK(r.code == 1);
  CHECK(r.err.find("other.json measures none of the 2 benchmarks of base.json") !=
        std::string::npos);
  const std::string written = test::fixture_read_text(dir / "cmp.json");
  INFO(written);
  const auto j = nlohmann::json::parse(written);
  CHECK(j["regression"] == true);
  CHECK(j["note"] == "other.json measures none of the 2 benchmarks of base.json");
  REQUIRE(j["benchmarks"].size() == 3);
  CHECK(j["benchmarks"][0]["change"].is_null());
  CHECK(j["benchmarks"][0]["note"] == "absent from the new run");

  r = compare_cli(dir, "base.json other.json --format json");
  CHECK(r.code == 1);
  REQUIRE_FALSE(r.out.empty());
  CHECK(nlohmann::json::parse(r.out) == j);
  // A base that measured nothing (every kernel failed that night): the same, exit 1.
  r = compare_cli(dir, "failed.json base.json --format json");
  CHECK(r.code == 1);
  REQUIRE_FALSE(r.out.empty());
  const auto f = nlohmann::json::parse(r.out);
  CHECK(f["regression"] == true);
  CHECK(f["note"] == "failed.json measures no benchmark: nothing to compare with");
  // The comparisons that compared something have a null note.
  CHECK(compare_cli(dir, "base.json base.json -o cmp.json").code == 0);
  CHECK(nlohmann::json::parse(test::fixture_read_text(dir / "cmp.json"))["note"].is_null());
  fs::remove_all(dir);
}
