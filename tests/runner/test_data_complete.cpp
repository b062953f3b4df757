// A data dir holding a dataset of tasks/datasets.json must hold all of it: run and selfcheck refuse
// a copy missing a listed file, holding one of another size, or a split file the table does not
// list, naming the file and the fetch command (reviewer 72, finding 2). A dir holding none of the
// table's files at their sizes (a copy of tasks/samples, your own subset) is read as it is.
#include <filesystem>
#include <fstream>
#include <string>

#include "tests/catch.h"
#include "tests/runner/cli_harness.h"

using namespace moebench::testing;

namespace {

CommandResult run_on(const fs::path& dir, const std::string& suites,
                     const std::string& cmd = "run") {
  return run_command(moebench_bin() + " " + cmd + (cmd == "run" ? " --backend oracle" : "") +
                         " --no-progress --limit 1 --suites " + suites + " --data-dir '" +
                         (dir / "data").string() + "' --results-dir '" +
                         (dir / "results").string() + "'",
                     dir);
}

std::string fetch_hint(const fs::path& dir, const std::string& name) {
  return "moebench data fetch " + name + " --data-dir '" + (dir / "data").string() + "'";
}

}  // namespace

TEST_CASE("run and selfcheck refuse a dataset missing a file the table lists", "[cli][data]") {
  const fs::path dir = temp_dir("data-missing-file");
  const fs::path data = copy_dataset(dir, "arc");
  fs::remove(data / "arc" / "ARC-Challenge-Dev.jsonl");
  const std::string want = "arc: " + (data / "arc").string() +
                           " is incomplete: ARC-Challenge-Dev.jsonl is missing; fetch it with: " +
                           fetch_hint(dir, "arc_challenge");
  require_bad_input(run_on(dir, "arc_challenge"), want, dir);
  const CommandResult sc = run_on(dir, "arc_challenge", "selfcheck");
  INFO(sc.output);
  CHECK(sc.exit_code == 2);
  CHECK(sc.output.find(want) != std::string::npos);
  CHECK(sc.output.find("passed") == std::string::npos);
}

TEST_CASE("run refuses a listed data file of another size as cut or changed", "[cli][data]") {
  const fs::path dir = temp_dir("data-wrong-size");
  const fs::path data = copy_dataset(dir, "arc");
  const fs::path test = data / "arc" / "ARC-Challenge-Test.jsonl";
  std::vector<std::string> lines = read_lines(test);
  lines.resize(lines.size() - 2);
  std::ofstream out(test, std::ios::trunc);
  for (const std::string& l : lines) out << l << "\n";
  out.close();
  require_bad_input(run_on(dir, "arc_challenge"),
                    "arc: " + (data / "arc").string() +
                        " is incomplete: ARC-Challenge-Test.jsonl has the wrong size (" +
                        std::to_string(fs::file_size(test)) + " bytes",
                    dir);
}

TEST_CASE("run refuses a split file the table does not list", "[cli][data]") {
  const fs::path dir = temp_dir("data-stray-file");
  const fs::path data = copy_dataset(dir, "gaokao");
  const fs::path q = data / "gaokao" / "Objective_Questions";
  fs::copy_file(q / "2010-2022_Biology_MCQs.json", q / "2010-2022_Biology_MCQs (1).json");
  require_bad_input(run_on(dir, "gaokao"),
                    (q / "2010-2022_Biology_MCQs (1).json").string() +
                        ": not a file of dataset 'gaokao' in tasks/datasets.json",
                    dir);
}

TEST_CASE("a copy of the bundled samples is read as the user's own layout", "[cli][data]") {
  const fs::path dir = temp_dir("data-own-layout");
  fs::create_directories(dir / "data");
  fs::copy(fs::path(MOEBENCH_SOURCE_DIR) / "tasks/samples/arc_challenge", dir / "data" / "arc",
           fs::copy_options::recursive);
  const CommandResult r = run_on(dir, "arc_challenge");
  INFO(r.output);
  CHECK(r.exit_code == 0);
}
