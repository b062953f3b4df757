// The moebench CLI end to end on the bundled samples: bad input is one line naming the file:line
// or field with exit code 2 and no result written; help, list, run and rescore work.
#include <algorithm>

#include "tests/catch.h"
#include "tests/runner/cli_harness.h"

using namespace moebench::testing;

namespace {

const fs::path kTasks = fs::path(MOEBENCH_SOURCE_DIR) / "tasks";

fs::path first_file(const fs::path& dir, const std::string& ext) {
  std::vector<fs::path> found;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file() && e.path().extension() == ext) found.push_back(e.path());
  }
  std::sort(found.begin(), found.end());
  REQUIRE(!found.empty());
  return found[0];
}

std::string run_args(const fs::path& dir) {
  return moebench_bin() + " run --backend oracle --no-progress --results-dir '" +
         (dir / "results").string() + "'";
}

// Copies the sample data of one suite into a data dir laid out like ../shared/datasets.
fs::path copy_samples(const fs::path& dir, const std::string& suite) {
  fs::path data = dir / "data";
  fs::create_directories(data);
  fs::copy(kTasks / "samples" / suite, data / suite, fs::copy_options::recursive);
  return data;
}

}  // namespace

TEST_CASE("malformed JSONL line: file:line, exit 2, no results", "[cli][bad-input]") {
  auto dir = temp_dir("badjsonl");
  fs::path data = copy_samples(dir, "gsm8k");
  fs::path file = first_file(data / "gsm8k", ".jsonl");
  auto lines = read_lines(file);
  REQUIRE(lines.size() >= 2);
  lines[1] = "{\"question\": \"broken";
  std::ofstream(file) << lines[0] << "\n" << lines[1] << "\n";
  auto r = run_command(run_args(dir) + " --suites gsm8k --data-dir '" + data.string() + "'", dir);
  require_bad_input(r, file.filename().string() + ":2", dir);
}

TEST_CASE("CSV row with the wrong column count: file:line, exit 2", "[cli][bad-input]") {
  auto dir = temp_dir("badcsv");
  fs::path data = copy_samples(dir, "mmlu");
  fs::path file = first_file(data / "mmlu" / "test", ".csv");
  long n = static_cast<long>(read_lines(file).size());
  std::ofstream(file, std::ios::app) << "only,four,columns,here\n";
  auto r = run_command(run_args(dir) + " --suites mmlu --data-dir '" + data.string() + "'", dir);
  require_bad_input(r, file.filename().string() + ":" + std::to_string(n + 1), dir);
}

TEST_CASE("unknown suite names the suite, exit 2", "[cli][bad-input]") {
  auto dir = temp_dir("badsuite");
  auto r = run_command(run_args(dir) + " --samples --suites nosuch", dir);
  require_bad_input(r, "unknown suite 'nosuch'", dir);
}

TEST_CASE("missing data dir names it, exit 2", "[cli][bad-input]") {
  auto dir = temp_dir("nodata");
  auto r = run_command(run_args(dir) + " --suites gsm8k --data-dir /nonexistent/moebench", dir);
  require_bad_input(r, "/nonexistent/moebench", dir);
}

TEST_CASE("spec with an unknown metric names the file and field, exit 2", "[cli][bad-input]") {
  auto dir = temp_dir("badspec");
  fs::copy(kTasks, dir / "tasks", fs::copy_options::recursive);
  fs::path spec = first_file(dir / "tasks" / "math", ".json");
  for (const auto& e : fs::directory_iterator(dir / "tasks" / "math")) {
    if (e.path().filename() == "gsm8k.json") spec = e.path();
  }
  auto j = nlohmann::json::parse(read_file(spec));
  j["metrics"][0]["metric"] = "exact_mtch";
  std::ofstream(spec) << j.dump(2);
  auto r = run_command(
      run_args(dir) + " --samples --suites gsm8k --tasks-dir '" + (dir / "tasks").string() + "'",
      dir);
  require_bad_input(r, "exact_mtch", dir);
  CHECK(r.output.find("gsm8k.json") != std::string::npos);
  CHECK(r.output.find("metrics[0]") != std::string::npos);
}

TEST_CASE("help and list", "[cli]") {
  auto dir = temp_dir("help");
  for (const char* sub : {"", " run", " rescore", " selfcheck", " list"}) {
    auto r = run_command(moebench_bin() + sub + " --help", dir);
    INFO(sub << ": " << r.output);
    CHECK(r.exit_code == 0);
    CHECK(r.output.find("Usage") != std::string::npos);
  }
  auto r = run_command(moebench_bin() + " list", dir);
  CHECK(r.exit_code == 0);
  for (const char* s : {"gsm8k", "math500", "humaneval", "mbpp", "mmlu", "ceval", "cmmlu", "gaokao",
                        "arc_challenge"}) {
    CHECK(r.output.find(s) != std::string::npos);
  }
  auto bad = run_command(moebench_bin() + " run --no-such-flag", dir);
  CHECK(bad.exit_code == 2);
}

TEST_CASE("rescore reproduces a run and scores a plain {id, response} file", "[cli]") {
  auto dir = temp_dir("rescore");
  auto r = run_command(run_args(dir) + " --samples --suites gsm8k,mmlu", dir);
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  auto first = run_dirs(dir / "results");
  REQUIRE(first.size() == 1);
  auto again = run_command(moebench_bin() + " rescore --no-progress --samples --results-dir '" +
                               (dir / "rescored").string() + "' '" +
                               (first[0] / "samples.jsonl").string() + "'",
                           dir);
  INFO(again.output);
  REQUIRE(again.exit_code == 0);
  auto a = nlohmann::json::parse(read_file(first[0] / "run.json"));
  auto b = nlohmann::json::parse(read_file(run_dirs(dir / "rescored")[0] / "run.json"));
  for (const char* suite : {"gsm8k", "mmlu"}) {
    CHECK(a["suites"][suite]["metrics"] == b["suites"][suite]["metrics"]);
  }
  // A plain file: the first sample's answer is wrong, the others right.
  auto lines = read_lines(first[0] / "samples.jsonl");
  std::ofstream plain(dir / "plain.jsonl");
  int n = 0;
  for (const auto& l : lines) {
    auto j = nlohmann::json::parse(l);
    if (j["suite"] != "gsm8k") continue;
    std::string resp = n++ == 0 ? "The answer is #### 123456789" : j["responses"][0];
    plain << nlohmann::json{{"id", j["doc_id"]}, {"response", resp}}.dump() << "\n";
  }
  plain.close();
  auto p = run_command(moebench_bin() + " rescore --no-progress --samples --suites gsm8k " +
                           "--results-dir '" + (dir / "plain").string() + "' '" +
                           (dir / "plain.jsonl").string() + "'",
                       dir);
  INFO(p.output);
  REQUIRE(p.exit_code == 0);
  auto c = nlohmann::json::parse(read_file(run_dirs(dir / "plain")[0] / "run.json"));
  double em = c["suites"]["gsm8k"]["metrics"]["exact_match,strict-match"]["mean"];
  CHECK(std::abs(em - (n - 1.0) / n) < 1e-9);
}
