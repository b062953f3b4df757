// A run says which data it read (reviewer 91, F1, F2, F7): run.json records the data dir as an
// absolute path, so a rescore from another directory reads the run's documents; each suite records
// whether its data was the dataset tasks/datasets.json lists or the user's own copy (read as it
// is, unchecked), and the reports give an own copy a data scope of its own ("own data") that
// merge and compare keep apart from the datasets; a few-shot shortage in an own copy names the
// data dir and split.
#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/catch.h"
#include "tests/runner/cli_harness.h"

using namespace moebench::testing;
using json = nlohmann::json;

namespace {

const fs::path kData = fs::path(MOEBENCH_SOURCE_DIR "/../shared/datasets");
const fs::path kSamples = fs::path(MOEBENCH_SOURCE_DIR) / "tasks" / "samples";

json run_json(const fs::path& run) { return json::parse(read_file(run / "run.json")); }

// `moebench run --backend oracle` from `cwd` into results/<id>; the run's directory.
fs::path oracle_run(const fs::path& cwd, const fs::path& results, const std::string& id,
                    const std::string& flags) {
  const CommandResult r = run_command(
      "cd '" + cwd.string() + "' && " + moebench_bin() + " run --backend oracle --no-progress " +
          flags + " --run-id " + id + " --results-dir '" + results.string() + "'",
      cwd);
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  return results / id;
}

// A copy of the dataset `name` under dir/data with "\n" appended to every file: the same
// documents, none of the files at the size tasks/datasets.json lists (the user's own copy).
fs::path own_copy(const fs::path& dir, const std::string& name) {
  const fs::path data = copy_dataset(dir, name);
  for (const auto& e : fs::recursive_directory_iterator(data / name)) {
    if (e.is_regular_file()) std::ofstream(e.path(), std::ios::app) << "\n";
  }
  return data;
}

}  // namespace

TEST_CASE("run.json records the data dir absolute and rescore reads it from another directory",
          "[cli][rescore][data]") {
  const fs::path dir = temp_dir("provenance-abs");
  for (const char* p : {"p1", "p2"}) {
    fs::create_directories(dir / p / "data");
    fs::copy(kSamples / "gsm8k", dir / p / "data" / "gsm8k", fs::copy_options::recursive);
  }
  // Another project's copy under the same relative name, every gold changed.
  const fs::path other = dir / "p2" / "data" / "gsm8k" / "test.jsonl";
  std::vector<std::string> lines = read_lines(other);
  std::ofstream out(other, std::ios::trunc);
  for (const std::string& l : lines) {
    json d = json::parse(l);
    d["answer"] = "#### 99999";
    out << d.dump() << "\n";
  }
  out.close();
  const fs::path run = oracle_run(dir / "p1", dir / "results", "a",
                                  "--suites gsm8k --num-fewshot 2 --data-dir data");
  CHECK(run_json(run)["options"]["data_dir"] == (dir / "p1" / "data").string());

  const CommandResult r =
      run_command("cd '" + (dir / "p2").string() + "' && " + moebench_bin() +
                      " rescore --no-progress --results-dir '" + (dir / "rescored").string() +
                      "' '" + (run / "samples.jsonl").string() + "'",
                  dir / "p2");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  const std::vector<fs::path> runs = run_dirs(dir / "rescored");
  REQUIRE(runs.size() == 1);
  CHECK(run_json(runs[0])["suites"]["gsm8k"]["metrics"] ==
        run_json(run)["suites"]["gsm8k"]["metrics"]);
  CHECK(r.output.find("warning") == std::string::npos);

  // A run.json written before the path was recorded absolute: the relative path is read from the
  // working directory, and the warning says so.
  json old = run_json(run);
  old["options"]["data_dir"] = "data";
  std::ofstream(run / "run.json", std::ios::trunc) << old.dump(2);
  const CommandResult rel =
      run_command("cd '" + (dir / "p2").string() + "' && " + moebench_bin() +
                      " rescore --no-progress --results-dir '" + (dir / "rel").string() + "' '" +
                      (run / "samples.jsonl").string() + "'",
                  dir / "p2");
  INFO(rel.output);
  CHECK(rel.exit_code == 0);
  CHECK(rel.output.find("moebench: warning: " + (run / "run.json").string() +
                        ": options.data_dir 'data' is a relative path; read from this working "
                        "directory as '" +
                        (dir / "p2" / "data").string() + "'") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("a run on an own copy of a dataset is recorded and reported as own data",
          "[cli][data][report]") {
  const fs::path dir = temp_dir("provenance-own");
  fs::create_directories(dir / "own");
  fs::copy(kSamples / "arc_challenge", dir / "own" / "arc", fs::copy_options::recursive);
  const fs::path results = dir / "results";
  const fs::path own =
      oracle_run(dir, results, "own",
                 "--suites arc_challenge --limit 2 --data-dir '" + (dir / "own").string() + "'");
  const fs::path full = oracle_run(
      dir, results, "full", "--suites arc_challenge --limit 2 --data-dir '" + kData.string() + "'");
  const json own_suite = run_json(own)["suites"]["arc_challenge"];
  CHECK(own_suite.value("data", "") == "own copy");
  CHECK(own_suite.value("data_why", "").find("none of the 2 files") != std::string::npos);
  CHECK(run_json(full)["suites"]["arc_challenge"].value("data", "") == "listed");

  const CommandResult md =
      run_command(moebench_bin() + " report '" + results.string() + "' --format md", dir);
  INFO(md.output);
  CHECK(md.exit_code == 0);
  CHECK(md.output.find("| 1 | oracle | own data, limit 2 |") != std::string::npos);
  CHECK(md.output.find("| 1 | oracle | full, limit 2 |") != std::string::npos);

  const CommandResult cmp =
      run_command(moebench_bin() + " compare '" + own.string() + "' '" + full.string() + "'", dir);
  INFO(cmp.output);
  CHECK(cmp.exit_code == 2);
  CHECK(cmp.output.find("suite 'arc_challenge' was set up differently (data own copy -> listed)") !=
        std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("merge refuses a shard run on an own copy beside one on the dataset",
          "[cli][data][merge]") {
  const fs::path dir = temp_dir("provenance-merge");
  const fs::path data = own_copy(dir, "arc");
  const fs::path results = dir / "results";
  const fs::path s0 =
      oracle_run(dir, results, "s0",
                 "--suites arc_challenge --limit 4 --shard 0/2 --data-dir '" + data.string() + "'");
  const fs::path s1 = oracle_run(
      dir, results, "s1",
      "--suites arc_challenge --limit 4 --shard 1/2 --data-dir '" + kData.string() + "'");
  const CommandResult r = run_command(moebench_bin() + " merge '" + s0.string() + "' '" +
                                          s1.string() + "' -o '" + (dir / "m").string() + "'",
                                      dir);
  INFO(r.output);
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("differ in suites.arc_challenge.data (\"own copy\" vs \"listed\")") !=
        std::string::npos);
  CHECK(!fs::exists(dir / "m"));
  fs::remove_all(dir);
}

// Reviewer 94, F3: a shard written before run.json recorded `data` beside one written after was
// refused ("differ in suites.arc_challenge.data (\"\" vs \"listed\")"), though such a run.json is
// not own data and the report pools the two.
TEST_CASE("merge takes a shard from before data was recorded beside a newer one",
          "[cli][data][merge]") {
  const fs::path dir = temp_dir("provenance-merge-old");
  const fs::path results = dir / "results";
  const std::string flags = "--suites arc_challenge --limit 4 --data-dir '" + kData.string() + "'";
  const fs::path s0 = oracle_run(dir, results, "s0", flags + " --shard 0/2");
  const fs::path s1 = oracle_run(dir, results, "s1", flags + " --shard 1/2");
  json old = run_json(s0);
  for (auto& [name, suite] : old["suites"].items()) suite.erase("data");
  std::ofstream(s0 / "run.json", std::ios::trunc) << old.dump(1);
  const CommandResult r = run_command(moebench_bin() + " merge '" + s0.string() + "' '" +
                                          s1.string() + "' -o '" + (dir / "m").string() + "'",
                                      dir);
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK(run_json(dir / "m")["suites"]["arc_challenge"].value("data", "") == "listed");
  fs::remove_all(dir);
}

TEST_CASE("a few-shot shortage in an own copy names the data dir and split", "[cli][data]") {
  const fs::path dir = temp_dir("provenance-fewshot");
  const fs::path mmlu = dir / "data" / "mmlu";
  fs::create_directories(mmlu / "test");
  fs::create_directories(mmlu / "dev");
  fs::copy_file(kData / "mmlu" / "test" / "anatomy_test.csv", mmlu / "test" / "anatomy_test.csv");
  fs::copy_file(kData / "mmlu" / "dev" / "astronomy_dev.csv", mmlu / "dev" / "astronomy_dev.csv");
  for (const fs::path& f :
       {mmlu / "test" / "anatomy_test.csv", mmlu / "dev" / "astronomy_dev.csv"}) {
    fs::permissions(f, fs::perms::owner_write, fs::perm_options::add);
    std::ofstream(f, std::ios::app) << "\n";
  }
  require_bad_input(run_command(moebench_bin() +
                                    " run --backend oracle --no-progress --limit 1 --suites mmlu "
                                    "--data-dir '" +
                                    (dir / "data").string() + "' --results-dir '" +
                                    (dir / "results").string() + "'",
                                dir),
                    mmlu.string() +
                        ": subject 'anatomy' has 0 few-shot docs in split 'dev' (dev/*_dev.csv), "
                        "need 5",
                    dir);
  fs::remove_all(dir);
}
