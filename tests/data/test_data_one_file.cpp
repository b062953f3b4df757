// What `list` calls a dataset (reviewer 72, F9: a present file of the wrong size was "missing"),
// and a one-file dataset cut at a line end: its file has the wrong size, so the dir held none of
// the table's files at their sizes and was read as the user's own copy, unchecked.
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/catch.h"
#include "tests/runner/cli_harness.h"

using namespace moebench::testing;

namespace {

// Drops the last `n` lines of a text file.
void drop_last_lines(const fs::path& file, size_t n) {
  std::ifstream in(file);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  in.close();
  lines.resize(lines.size() - n);
  std::ofstream out(file, std::ios::trunc);
  for (const std::string& line : lines) out << line << "\n";
}

CommandResult run_math500(const fs::path& dir, const fs::path& data) {
  return run_command(moebench_bin() +
                         " run --backend oracle --suites math500 --limit 1 --no-progress "
                         "--data-dir '" +
                         data.string() + "' --results-dir '" + (dir / "results").string() + "'",
                     dir);
}

}  // namespace

TEST_CASE("list names a dataset of the wrong size or incomplete as data status does", "[data]") {
  const fs::path dir = temp_dir("list-states");
  const fs::path data = copy_dataset(dir, "humaneval");
  copy_dataset(dir, "arc");
  fs::resize_file(data / "humaneval" / "HumanEval.jsonl.gz", 40125);
  fs::remove(data / "arc" / "ARC-Challenge-Dev.jsonl");
  const CommandResult r =
      run_command(moebench_bin() + " list --json --data-dir '" + data.string() + "'", dir);
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  const auto suites = nlohmann::json::parse(r.output)["suites"];
  std::map<std::string, std::string> state;
  for (const auto& s : suites) state[s["name"]] = s["data"];
  CHECK(state["humaneval"] == "wrong size");
  CHECK(state["arc_challenge"] == "incomplete");
  CHECK(state["gsm8k"] == "missing");
  fs::remove_all(dir);
}

TEST_CASE("a one-file dataset cut at a line end is refused in a fetched data dir", "[data]") {
  const fs::path dir = temp_dir("one-file-cut");
  const fs::path data = copy_dataset(dir, "math500");
  copy_dataset(dir, "gsm8k");  // a dataset there as fetched: this is a fetched data dir
  drop_last_lines(data / "math500" / "test.jsonl", 3);
  CommandResult r = run_math500(dir, data);
  INFO(r.output);
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("math500: " + (data / "math500").string() +
                      " is incomplete: test.jsonl has the wrong size (") != std::string::npos);

  // The user's own copy (here the bundled samples) in a data dir of its own is read unchecked.
  const fs::path own = dir / "own";
  fs::create_directories(own);
  fs::copy(fs::path(MOEBENCH_SOURCE_DIR) / "tasks/samples/math500", own / "math500",
           fs::copy_options::recursive);
  r = run_math500(dir, own);
  INFO(r.output);
  CHECK(r.exit_code == 0);
  fs::remove_all(dir);
}
