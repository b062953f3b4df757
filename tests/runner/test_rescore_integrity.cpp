// `moebench rescore` of a file beside a run.json takes that run's model and options, so the file
// must be the run's samples, whole (the counts compare, merge and report check), and the run.json
// readable: otherwise exit 2, one line, nothing written. A plain file with no run.json beside it
// is scored as it is.
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "tests/catch.h"
#include "tests/runner/cli_harness.h"

using namespace moebench::testing;
using json = nlohmann::json;

namespace {

// `moebench run` on the oracle over the bundled samples into dir/results/<id>; the run's directory.
fs::path oracle_run(const fs::path& dir, const std::string& id) {
  const CommandResult r =
      run_command(moebench_bin() +
                      " run --backend oracle --no-progress --samples "
                      "--suites gsm8k,ceval --run-id " +
                      id + " --results-dir '" + (dir / "results").string() + "'",
                  dir);
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  return dir / "results" / id;
}

// `moebench rescore FILE` into dir/out.
CommandResult rescore(const fs::path& dir, const fs::path& file, const std::string& out) {
  return run_command(moebench_bin() + " rescore --no-progress --samples --results-dir '" +
                         (dir / out).string() + "' '" + file.string() + "'",
                     dir);
}

void write_lines(const fs::path& file, const std::vector<std::string>& lines) {
  std::ofstream out(file);
  for (const std::string& line : lines) out << line << '\n';
}

}  // namespace

// `head -n K samples.jsonl`: the rescore scored the documents left, recorded of_run and the run's
// scope, and the report put this part of the run on the model's row in place of the whole run.
TEST_CASE("rescore refuses a cut samples file beside the run.json naming suite and counts",
          "[cli][rescore][bad-input]") {
  const fs::path dir = temp_dir("rescore-cut");
  const fs::path run = oracle_run(dir, "a");
  std::vector<std::string> lines = read_lines(run / "samples.jsonl");
  REQUIRE(lines.size() > 2);
  const std::string suite = json::parse(lines.back())["suite"];
  long whole = 0;
  for (const std::string& line : lines) whole += json::parse(line)["suite"] == suite ? 1 : 0;
  lines.pop_back();
  const std::string counts = " has " + std::to_string(whole - 1) + " samples of suite '" + suite +
                             "' but run.json says " + std::to_string(whole);

  write_lines(run / "part.jsonl", lines);  // any file beside the run.json is taken as its samples
  require_bad_input(rescore(dir, run / "part.jsonl", "rescored"),
                    (run / "part.jsonl").string() + counts, dir, "rescored");
  write_lines(run / "samples.jsonl", lines);
  require_bad_input(rescore(dir, run / "samples.jsonl", "rescored"),
                    (run / "samples.jsonl").string() + counts, dir, "rescored");

  // With no run.json beside it, the same lines are a file of responses, scored as they are.
  write_lines(dir / "answers.jsonl", lines);
  const CommandResult plain = rescore(dir, dir / "answers.jsonl", "plain");
  INFO(plain.output);
  REQUIRE(plain.exit_code == 0);
  const json b = json::parse(read_file(run_dirs(dir / "plain").at(0) / "run.json"));
  CHECK(b["suites"][suite]["n_docs"] == whole - 1);
  CHECK_FALSE(b.contains("rescore"));
}

// A cut or edited run.json: rescore warned "no backend.id", exited 0 and dropped the model.
TEST_CASE("rescore refuses a run.json beside the file that is malformed or lacks a field",
          "[cli][rescore][bad-input]") {
  const fs::path dir = temp_dir("rescore-bad-run-json");
  const fs::path run = oracle_run(dir, "a");
  const std::string text = read_file(run / "run.json");
  const json whole = json::parse(text);
  const std::string where = (run / "run.json").string();
  const fs::path samples = run / "samples.jsonl";

  std::ofstream(run / "run.json") << text.substr(0, text.size() / 2);
  require_bad_input(rescore(dir, samples, "rescored"), where + ": malformed JSON", dir, "rescored");

  const std::map<std::string, std::string> needles = {
      {"/backend/id", "field 'backend.id' must be a string"},
      {"/run_id", "missing field 'run_id'"},
      {"/suites", "missing field 'suites'"}};
  for (const auto& [pointer, needle] : needles) {
    INFO(pointer);
    json edited = whole;
    const json::json_pointer p(pointer);
    edited[p.parent_pointer()].erase(p.back());
    std::ofstream(run / "run.json") << edited.dump();
    require_bad_input(rescore(dir, samples, "rescored"), where + ": " + needle, dir, "rescored");
  }
  // What rescore reads of the options, of another type, is named too.
  json edited = whole;
  edited["options"]["samples"] = "yes";
  std::ofstream(run / "run.json") << edited.dump();
  require_bad_input(rescore(dir, samples, "rescored"),
                    where + ": field 'options.samples' must be true or false, got \"yes\"", dir,
                    "rescored");
  edited["options"] = "x";
  std::ofstream(run / "run.json") << edited.dump();
  require_bad_input(rescore(dir, samples, "rescored"),
                    where + ": field 'options' must be an object, got \"x\"", dir, "rescored");
}

// A rescore record with "options": null is scoped by the run's own options, as the reports read
// it; rescore of such a run's samples refused it ("must be an object, got null").
TEST_CASE("rescore of a rescore whose rescore.options is null takes the run's options",
          "[cli][rescore]") {
  const fs::path dir = temp_dir("rescore-null-options");
  const fs::path run = oracle_run(dir, "a");
  const CommandResult first = rescore(dir, run / "samples.jsonl", "once");
  INFO(first.output);
  REQUIRE(first.exit_code == 0);
  const fs::path once = run_dirs(dir / "once").at(0);
  json edited = json::parse(read_file(once / "run.json"));
  REQUIRE(edited["rescore"]["options"].is_object());
  edited["rescore"]["options"] = nullptr;
  std::ofstream(once / "run.json") << edited.dump();

  const CommandResult again = rescore(dir, once / "samples.jsonl", "twice");
  INFO(again.output);
  REQUIRE(again.exit_code == 0);
  const json b = json::parse(read_file(run_dirs(dir / "twice").at(0) / "run.json"));
  CHECK(b["rescore"]["of_run"] == "a");
  CHECK(b["rescore"]["options"] == edited["options"]);
  for (const auto& [suite, result] : edited["suites"].items()) {
    INFO(suite);
    CHECK(b["suites"][suite]["metrics"] == result["metrics"]);
  }
}

// --suites naming a suite the file holds no answer of scored it on no documents: a 0.0 with n 0
// in run.json, shown as 0.0 on the leaderboard and in the model's mean.
TEST_CASE("rescore refuses a suite the responses hold no answer of", "[cli][rescore][bad-input]") {
  const fs::path dir = temp_dir("rescore-extra-suite");
  const fs::path run = oracle_run(dir, "a");
  std::vector<std::string> gsm8k;
  for (const std::string& line : read_lines(run / "samples.jsonl")) {
    if (json::parse(line)["suite"] == "gsm8k") gsm8k.push_back(line);
  }
  write_lines(dir / "answers.jsonl", gsm8k);
  const CommandResult r =
      run_command(moebench_bin() +
                      " rescore --no-progress --samples --suites "
                      "gsm8k,arc_challenge --results-dir '" +
                      (dir / "out").string() + "' '" + (dir / "answers.jsonl").string() + "'",
                  dir);
  require_bad_input(r,
                    (dir / "answers.jsonl").string() +
                        ": holds no response of suite 'arc_challenge' (it holds gsm8k); leave it "
                        "out of --suites",
                    dir, "out");
}
