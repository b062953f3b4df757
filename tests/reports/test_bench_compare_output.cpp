// What `moebench compare BASE.json NEW.json` prints and writes (reviewer 92): the JSON of a
// comparison that compared nothing.
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

}  // namespace

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
