// `moebench nightly` verdicts that must not be given on runs the gate never saw: a night whose
// run stage ran again after its finish is no baseline; the kernel step fails, naming the cause,
// when its command fails or nothing was measured; a cell already running is refused in nightly's
// own words; a cell that fails for any reason leaves the night's other cells to run.
#include "tests/catch.h"
#include "tests/runner/cli_harness.h"
#include "tests/runner/nightly_fixtures.h"

using namespace moebench::testing;
using nlohmann::json;

// The run stage replaces a night's run; when that night's finish does not run again (a failed
// cell on Slurm leaves it pending), gate.json's "passed" covered a run it never judged, and the
// next night compared with it: a regression passed as "no significant change".
TEST_CASE("nightly: a night whose run was replaced after its gate is no baseline",
          "[runner][nightly]") {
  const fs::path dir = temp_dir("nightly-rerun");
  const fs::path answers = dir / "answers.jsonl";
  const std::string nightly = write_nightly_config(dir, {{{"name", "u"},
                                                          {"backend", "replay:" + answers.string()},
                                                          {"suites", {"gsm8k"}},
                                                          {"limit", 40}}}) +
                              " --night ";
  write_answers(dir, answers, false);
  REQUIRE(run_command(nightly + "2026-12-01", dir).exit_code == 0);
  REQUIRE(run_command(nightly + "2026-12-02", dir).exit_code == 0);
  write_answers(dir, answers, true);  // 20 of 40 answers wrong from now on
  REQUIRE(run_command(nightly + "2026-12-02 --stage run", dir).exit_code == 0);  // no finish
  auto third = run_command(nightly + "2026-12-03", dir);
  INFO(third.output);
  CHECK(third.exit_code == 1);
  CHECK(lines_with(third.output, "moebench: nightly: regression:") ==
        std::vector<std::string>{
            "moebench: nightly: regression: u gsm8k exact_match,strict-match 100.0% -> 50.0% "
            "(-50.0 points, p=1.91e-06, Holm p=1.91e-06, mcnemar) vs u-2026-12-01"});
  // Gated again, the night is judged on its new run (a regression against the first).
  auto again = run_command(nightly + "2026-12-02 --stage finish", dir);
  CHECK(again.exit_code == 1);
  CHECK(again.output.find("vs u-2026-12-01") != std::string::npos);
  fs::remove_all(dir);
}

namespace {

// A config of one small oracle entry whose kernel step runs `command` every night.
void write_kernel_config(const fs::path& dir, const json& command) {
  write_nightly_config(
      dir, {{{"name", "a"}, {"backend", "oracle"}, {"suites", {"arc_challenge"}}, {"limit", 5}}},
      {{"kernels", {{"run", "always"}, {"command", command}}}});
}

CommandResult kernel_night(const fs::path& dir, const std::string& night) {
  auto r = run_command(moebench_bin() + " nightly '" + (dir / "n.json").string() +
                           "' --no-progress --night " + night,
                       dir);
  INFO(r.output);
  return r;
}

}  // namespace

// std::system's wait status was printed as the exit code (32512 for 127), and the command's
// partial output stayed behind as bench/<night>.json.tmp.
TEST_CASE("nightly: a failed kernel command is named by its exit code and its output removed",
          "[runner][nightly]") {
  const fs::path dir = temp_dir("nightly-kernel-command");
  write_kernel_config(dir, {(dir / "no-such-moebench-kernels").string()});
  auto missing = kernel_night(dir, "2026-12-01");
  CHECK(missing.exit_code == 1);
  CHECK(lines_with(missing.output, "kernels failed:").size() == 1);
  CHECK(missing.output.find("` exited with status 127\n") != std::string::npos);
  CHECK_FALSE(fs::exists(dir / "out" / "bench" / "2026-12-01.json.tmp"));
  write_kernel_config(dir, {"sh", "-c", "echo '{'; exit 3"});
  auto failed = kernel_night(dir, "2026-12-02");
  CHECK(failed.exit_code == 1);
  CHECK(failed.output.find("` exited with status 3\n") != std::string::npos);
  CHECK_FALSE(fs::exists(dir / "out" / "bench" / "2026-12-02.json.tmp"));
  fs::remove_all(dir);
}

// Without a CUDA device moebench-kernels fails every benchmark ("no CUDA device"): the first such
// night "ran" and passed, and every later one failed with "none of the 0 benchmarks of ... was
// measured", never naming the cause.
TEST_CASE("nightly: a kernel night that measured nothing fails naming the benchmarks' errors",
          "[runner][nightly]") {
  const fs::path dir = temp_dir("nightly-kernel-none");
  const fs::path bench = dir / "bench-out.json";
  json none = {{"context", {{"date", "2026-12-01T03:00:00+00:00"}, {"gpu", "none"}}},
               {"benchmarks", json::array()}};
  for (const char* name : {"gpu/gemm/m:64", "gpu/topk/n:8"}) {
    for (int i = 0; i < 9; ++i) {
      none["benchmarks"].push_back({{"name", name},
                                    {"run_name", name},
                                    {"run_type", "iteration"},
                                    {"repetitions", 9},
                                    {"repetition_index", i},
                                    {"error_occurred", true},
                                    {"error_message", "no CUDA device"}});
    }
  }
  std::ofstream(bench) << none.dump(1);
  write_kernel_config(dir, {"cat", bench.string()});
  for (const char* night : {"2026-12-01", "2026-12-02"}) {
    INFO(night);
    auto r = kernel_night(dir, night);
    CHECK(r.exit_code == 1);
    CHECK(lines_with(r.output, "moebench: nightly: kernels failed:") ==
          std::vector<std::string>{"moebench: nightly: kernels failed: no benchmark was measured "
                                   "in " +
                                   std::string(night) +
                                   ".json (every benchmark errored: no CUDA device)"});
    const json gate = json::parse(read_file(dir / "out" / "nights" / night / "gate.json"));
    CHECK(gate["kernels_failed"] == true);
    CHECK(gate["kernels_previous"] == nullptr);
  }
  // A measured night after them has no baseline: no unmeasured night is one.
  write_bench(bench, "2026-12-03T03:00:00+00:00", 1000, "none");
  auto measured = kernel_night(dir, "2026-12-03");
  CHECK(measured.exit_code == 0);
  CHECK(json::parse(read_file(dir / "out" / "nights" / "2026-12-03" / "gate.json"))["kernels"] ==
        "ran (no earlier night measured on none)");
  fs::remove_all(dir);
}

// A cell that another moebench is running was refused with `moebench run`'s advice: "--run-id
// ... with --force too; wait for it or choose another id"; nightly has neither flag and the id is
// the night's. merge gave the same --run-id wording for its -o.
TEST_CASE("nightly: a cell already running is refused naming the cell and no flag it lacks",
          "[runner][nightly]") {
  const fs::path dir = temp_dir("nightly-held");
  const std::string nightly = write_nightly_config(dir, {{{"name", "a"},
                                                          {"backend", "oracle"},
                                                          {"suites", {"arc_challenge"}},
                                                          {"limit", 6},
                                                          {"shards", 2}}}) +
                              " --night 2026-12-01 --stage run";
  REQUIRE(run_command(nightly, dir).exit_code == 0);
  // The lock a running cell holds, held by flock(1) around the second one.
  auto held = [&](const std::string& id, const std::string& command) {
    const fs::path partial = dir / "out" / ("." + id + ".partial");
    fs::create_directories(partial);
    auto r = run_command("flock '" + (partial / ".lock").string() + "' " + command, dir);
    INFO(r.output);
    CHECK(r.exit_code == 2);
    CHECK(r.output.find("--run-id") == std::string::npos);
    CHECK(r.output.find("another id") == std::string::npos);
    return r.output;
  };
  const std::string cell = held("a-2026-12-01-shard1", nightly + " --entry a --shard 1/2");
  CHECK(lines_with(cell, "moebench: error:") ==
        std::vector<std::string>{"moebench: error: nightly 2026-12-01: a-2026-12-01-shard1 (entry "
                                 "a, shard 1/2) is already running: another moebench is writing " +
                                 (dir / "out" / "a-2026-12-01-shard1").string() + " (it holds " +
                                 (dir / "out" / ".a-2026-12-01-shard1.partial").string() +
                                 "); wait for it to end"});
  const fs::path out = dir / "out";
  const std::string merge =
      held("m", moebench_bin() + " merge '" + (out / "a-2026-12-01-shard0").string() + "' '" +
                    (out / "a-2026-12-01-shard1").string() + "' -o '" + (out / "m").string() + "'");
  CHECK(merge.find("-o '" + (out / "m").string() + "': another moebench is writing " +
                   (out / "m").string() + " (it holds " + (out / ".m.partial").string() +
                   "); wait for it to end") != std::string::npos);
  fs::remove_all(dir);
}

// A cell that failed with anything but bad input (here its results could not be moved into
// place: an EnvironmentError) ended the run stage: the night's later cells never ran.
TEST_CASE("nightly: a cell that fails leaves the night's other cells to run", "[runner][nightly]") {
  const fs::path dir = temp_dir("nightly-cell-fails");
  const std::string nightly = write_nightly_config(
      dir, {{{"name", "a"}, {"backend", "oracle"}, {"suites", {"gsm8k"}}, {"limit", 2}},
            {{"name", "b"}, {"backend", "oracle"}, {"suites", {"gsm8k"}}, {"limit", 2}}});
  fs::create_directories(dir / "out");
  std::ofstream(dir / "out" / "a-2026-12-01") << "not a run directory\n";
  auto r = run_command(nightly + " --night 2026-12-01 --stage run", dir);
  INFO(r.output);
  CHECK(r.exit_code == 6);  // the worst cell's: the environment's
  CHECK(fs::is_regular_file(dir / "out" / "b-2026-12-01" / "run.json"));
  CHECK(lines_with(r.output, "moebench: error:") ==
        std::vector<std::string>{"moebench: error: nightly 2026-12-01: a-2026-12-01: " +
                                 (dir / "out" / "a-2026-12-01").string() +
                                 ": cannot move the results into place: Not a directory"});
  fs::remove_all(dir);
}

// An entry whose earlier nights were none of them a baseline was shown as "(first night)", as a
// new entry is, and gate.json said nothing: a re-run of yesterday's cell reset its history
// silently.
TEST_CASE("nightly: an entry without a baseline says why each earlier night is none",
          "[runner][nightly]") {
  const fs::path dir = temp_dir("nightly-no-baseline");
  const std::string nightly = write_nightly_config(dir, {{{"name", "u"},
                                                          {"backend", "oracle"},
                                                          {"samples", true},
                                                          {"suites", {"arc_challenge"}}}}) +
                              " --night ";
  REQUIRE(run_command(nightly + "2026-11-30 --stage run", dir).exit_code == 0);  // no finish
  auto first = run_command(nightly + "2026-12-01", dir);
  INFO(first.output);
  REQUIRE(first.exit_code == 0);
  CHECK(first.output.find("| u | | | (no passing night: u-2026-11-30 was never gated (its finish "
                          "did not run)) | u-2026-12-01 | | | baseline |") != std::string::npos);
  std::ofstream(dir / "out" / "u-2026-12-01" / "samples.jsonl", std::ios::app) << "\n";
  auto second = run_command(nightly + "2026-12-02", dir);
  INFO(second.output);
  CHECK(second.exit_code == 0);
  const std::string why =
      "no passing night: u-2026-12-01 was run again after its finish (its samples.jsonl is not "
      "the one gated); u-2026-11-30 was never gated (its finish did not run)";
  CHECK(second.output.find("| u | | | (" + why + ") | u-2026-12-02 | | | baseline |") !=
        std::string::npos);
  const json gate = json::parse(read_file(dir / "out" / "nights" / "2026-12-02" / "gate.json"));
  CHECK(gate["entries"][0]["no_baseline"] == why);
  fs::remove_all(dir);
}
