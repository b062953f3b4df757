// `moebench rescore` of a run's samples.jsonl scores the answers against the documents, prompts and
// generation settings that run had (run.json "options"): its bundled samples or data dir, seed,
// --num-fewshot, --gen-kwargs and --limit; a flag naming the other documents is refused.
#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/catch.h"
#include "tests/runner/cli_harness.h"

using namespace moebench::testing;
using json = nlohmann::json;

namespace {

const fs::path kData = fs::path(MOEBENCH_SOURCE_DIR "/../shared/datasets");
const fs::path kTasks = fs::path(MOEBENCH_SOURCE_DIR) / "tasks";

// `moebench run` on the oracle into dir/results/<id> with `flags`; the run's directory.
fs::path oracle_run(const fs::path& dir, const std::string& id, const std::string& flags) {
  const CommandResult r =
      run_command(moebench_bin() + " run --backend oracle --no-progress " + flags + " --run-id " +
                      id + " --results-dir '" + (dir / "results").string() + "'",
                  dir);
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  return dir / "results" / id;
}

// `env moebench rescore RUN/samples.jsonl flags` into dir/<out>.
CommandResult rescore(const fs::path& dir, const fs::path& run, const std::string& out,
                      const std::string& env, const std::string& flags = "") {
  return run_command(env + " " + moebench_bin() + " rescore --no-progress " + flags +
                         " --results-dir '" + (dir / out).string() + "' '" +
                         (run / "samples.jsonl").string() + "'",
                     dir);
}

json run_json(const fs::path& run) { return json::parse(read_file(run / "run.json")); }

// The one run a rescore wrote under dir/out.
fs::path rescored_run(const fs::path& dir, const std::string& out) {
  const std::vector<fs::path> runs = run_dirs(dir / out);
  REQUIRE(runs.size() == 1);
  return runs[0];
}

// Every suite's metrics of `b` are those of `a`.
void check_same_metrics(const json& a, const json& b) {
  REQUIRE(a["suites"].size() == b["suites"].size());
  for (const auto& [suite, result] : a["suites"].items()) {
    INFO(suite);
    CHECK(b["suites"][suite]["metrics"] == result["metrics"]);
  }
}

}  // namespace

// The bundled samples reuse the datasets' ids for other questions (ceval's val/logic_val/0): a
// rescore read the datasets unless given --samples again, and scored the answers against them.
TEST_CASE("rescore of a --samples run scores the bundled samples without --samples",
          "[cli][rescore]") {
  const fs::path dir = temp_dir("rescore-samples");
  const fs::path run =
      oracle_run(dir, "a", "--samples --suites gsm8k,ceval,arc_challenge,math500,humaneval");
  // The datasets are there to be wrongly read, as on a developer's machine.
  const CommandResult r = rescore(dir, run, "rescored", "MOEBENCH_DATA='" + kData.string() + "'");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK(r.output.find("name no document") == std::string::npos);
  const json a = run_json(run);
  const json b = run_json(rescored_run(dir, "rescored"));
  check_same_metrics(a, b);
  CHECK(b["options"]["samples"] == true);
  CHECK(b["options"]["data_dir"] == "(bundled samples)");
  CHECK(b["rescore"]["options"]["samples"] == true);
}

TEST_CASE("rescore asks and scores as the run did: seed num-fewshot gen-kwargs and limit",
          "[cli][rescore]") {
  const fs::path dir = temp_dir("rescore-requests");
  const fs::path run = oracle_run(dir, "a",
                                  "--samples --suites gsm8k,mbpp --num-fewshot 1 --limit 2 "
                                  "--gen-kwargs n=3,max_tokens=64 --seed 7");
  const CommandResult r = rescore(dir, run, "rescored", "", "--samples");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  const fs::path again = rescored_run(dir, "rescored");
  const json a = run_json(run);
  const json b = run_json(again);
  check_same_metrics(a, b);
  for (const char* key : {"seed", "num_fewshot", "gen_kwargs", "limit", "samples", "data_dir"}) {
    INFO(key);
    CHECK(b["options"][key] == a["options"][key]);
  }
  for (const auto& [suite, result] : a["suites"].items()) {
    INFO(suite);
    CHECK(b["suites"][suite]["spec"] == result["spec"]);  // few-shot count and generation
  }
  // The same requests: the same prompts, hashes and seeds as the run's.
  const std::vector<std::string> sa = read_lines(run / "samples.jsonl");
  const std::vector<std::string> sb = read_lines(again / "samples.jsonl");
  REQUIRE(sa.size() == sb.size());
  for (size_t i = 0; i < sa.size(); ++i) {
    const json x = json::parse(sa[i]), y = json::parse(sb[i]);
    INFO(x["suite"] << "/" << x["doc_id"]);
    CHECK(y["doc_id"] == x["doc_id"]);
    CHECK(y["prompt"] == x["prompt"]);
    CHECK(y["request_hash"] == x["request_hash"]);
  }
}

// The run's data dir is read again (not $MOEBENCH_DATA's); when it is gone, the usual one is, with
// a warning naming both.
TEST_CASE("rescore of a datasets run reads the run's data dir again", "[cli][rescore]") {
  const fs::path dir = temp_dir("rescore-data-dir");
  const fs::path data = dir / "data";
  fs::create_directories(data);
  fs::copy(kTasks / "samples" / "gsm8k", data / "gsm8k", fs::copy_options::recursive);
  const fs::path run =
      oracle_run(dir, "a", "--suites gsm8k --num-fewshot 2 --data-dir '" + data.string() + "'");
  const CommandResult r =
      rescore(dir, run, "rescored", "MOEBENCH_DATA='" + (dir / "nowhere").string() + "'");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  check_same_metrics(run_json(run), run_json(rescored_run(dir, "rescored")));

  fs::rename(data, dir / "moved");
  const CommandResult moved =
      rescore(dir, run, "moved-rescored", "MOEBENCH_DATA='" + (dir / "moved").string() + "'");
  INFO(moved.output);
  REQUIRE(moved.exit_code == 0);
  CHECK(moved.output.find("moebench: warning: " + (run / "run.json").string() +
                          ": options.data_dir '" + data.string() +
                          "' is gone; the documents are read from '" + (dir / "moved").string() +
                          "' ($MOEBENCH_DATA)") != std::string::npos);
  check_same_metrics(run_json(run), run_json(rescored_run(dir, "moved-rescored")));
}

TEST_CASE("rescore refuses a flag that would score against other documents",
          "[cli][rescore][bad-input]") {
  const fs::path dir = temp_dir("rescore-contradiction");
  const fs::path full =
      oracle_run(dir, "full", "--suites gsm8k,ceval --limit 2 --data-dir '" + kData.string() + "'");
  require_bad_input(rescore(dir, full, "rescored", "", "--samples"),
                    "--samples: " + (full / "run.json").string() +
                        ": options.samples is false: the run answered the datasets' documents",
                    dir, "rescored");
  const fs::path samples = oracle_run(dir, "samples", "--samples --suites gsm8k,ceval");
  require_bad_input(rescore(dir, samples, "rescored", "", "--data-dir '" + kData.string() + "'"),
                    "--data-dir: " + (samples / "run.json").string() +
                        ": options.samples is true: the run answered the bundled sample "
                        "documents",
                    dir, "rescored");
  // Flags that agree with the run are fine.
  const CommandResult same = rescore(dir, samples, "same", "", "--samples");
  INFO(same.output);
  CHECK(same.exit_code == 0);
  // A recorded option of another type is bad input naming the field, not ignored.
  json edited = run_json(samples);
  edited["options"]["num_fewshot"] = "two";
  std::ofstream(samples / "run.json") << edited.dump();
  require_bad_input(rescore(dir, samples, "rescored", ""),
                    (samples / "run.json").string() +
                        ": field 'options.num_fewshot' must be null or an integer >= 0, got "
                        "\"two\"",
                    dir, "rescored");
}

// rescore --limit below the run's scores a part of each suite: its scope on the leaderboard is
// that limit (it showed the run's, "limit 3", beside n = 1); a larger one changes nothing.
TEST_CASE("rescore with a smaller --limit records that limit as its scope", "[cli][rescore]") {
  const fs::path dir = temp_dir("rescore-limit");
  const fs::path run = oracle_run(dir, "a", "--samples --suites gsm8k,mbpp --limit 3");
  const CommandResult part = rescore(dir, run, "part", "", "--limit 1");
  INFO(part.output);
  REQUIRE(part.exit_code == 0);
  const json b = run_json(rescored_run(dir, "part"));
  CHECK(b["rescore"]["options"]["limit"] == 1);
  CHECK(b["options"]["limit"] == 1);
  for (const auto& [suite, result] : b["suites"].items()) {
    INFO(suite);
    CHECK(result["n_docs"] == 1);
  }
  const CommandResult more = rescore(dir, run, "more", "", "--limit 10");
  INFO(more.output);
  REQUIRE(more.exit_code == 0);
  const json c = run_json(rescored_run(dir, "more"));
  CHECK(c["rescore"]["options"]["limit"] == 3);
  check_same_metrics(run_json(run), c);
}
