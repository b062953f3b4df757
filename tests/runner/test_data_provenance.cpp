// A run says which data it read (reviewer 91, F1): run.json records the data dir as an absolute
// path, so a rescore from another directory reads the run's documents.
#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/catch.h"
#include "tests/runner/cli_harness.h"

using namespace moebench::testing;
using json = nlohmann::json;

namespace {

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
