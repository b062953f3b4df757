// `moebench nightly`: two consecutive nights where the second answers worse on one suite fail the
// gate naming that suite and its p-value, the site shows every night, and a third night as good
// as the first passes; the kernel gate catches a slower benchmark; the config is checked by field.
#include "tests/catch.h"
#include "tests/runner/cli_harness.h"
#include "tests/runner/nightly_fixtures.h"

using namespace moebench::testing;
using nlohmann::json;

TEST_CASE("nightly: a worse second night fails naming the suite and p, a third as good passes",
          "[runner][nightly]") {
  const fs::path dir = temp_dir("nightly");
  const fs::path answers = dir / "answers.jsonl";
  const json config = {{"schema", 1},
                       {"results", "nights"},
                       {"data_dir", kData.string()},
                       {"kernels", {{"run", "never"}}},
                       {"entries",
                        {{{"name", "model"},
                          {"backend", "replay:" + answers.string()},
                          {"suites", {"gsm8k", "mmlu", "arc_challenge"}},
                          {"limit", 40},
                          {"shards", 2}}}}};
  std::ofstream(dir / "nightly.json") << config.dump(2);
  const std::string nightly = "GITHUB_STEP_SUMMARY='" + (dir / "step-summary.md").string() + "' " +
                              moebench_bin() + " nightly '" + (dir / "nightly.json").string() +
                              "' --no-progress --night ";

  write_answers(dir, answers, false);
  auto first = run_command(nightly + "2026-12-01", dir);
  INFO(first.output);
  REQUIRE(first.exit_code == 0);
  CHECK(first.output.find("| model | | | (first night) | model-2026-12-01 | | | baseline |") !=
        std::string::npos);

  write_answers(dir, answers, true);  // 20 of 40 GSM8K answers now wrong
  auto second = run_command(nightly + "2026-12-02", dir);
  INFO(second.output);
  CHECK(second.exit_code == 1);
  const auto regressions = lines_with(second.output, "moebench: nightly: regression:");
  REQUIRE(regressions.size() == 1);
  CHECK(regressions[0] ==
        "moebench: nightly: regression: model gsm8k exact_match,strict-match 100.0% -> 50.0% "
        "(-50.0 points, p=1.91e-06, Holm p=5.72e-06, mcnemar) vs model-2026-12-01");
  CHECK(second.output.find("| model | mmlu | acc,none | 100.0% (model-2026-12-01) | 100.0% | "
                           "+0.00 | 1 | no significant change |") != std::string::npos);
  CHECK(second.output.find("nightly 2026-12-02: 1 regression(s) or failure(s)") !=
        std::string::npos);

  // A failed night is no baseline: the regression persists, so the third night fails too, against
  // the first (compared with the second it would pass as unchanged).
  auto third = run_command(nightly + "2026-12-03", dir);
  INFO(third.output);
  CHECK(third.exit_code == 1);
  CHECK(lines_with(third.output, "moebench: nightly: regression:") ==
        std::vector<std::string>{
            "moebench: nightly: regression: model gsm8k exact_match,strict-match 100.0% -> 50.0% "
            "(-50.0 points, p=1.91e-06, Holm p=5.72e-06, mcnemar) vs model-2026-12-01"});

  write_answers(dir, answers, false);
  auto fourth = run_command(nightly + "2026-12-04", dir);
  INFO(fourth.output);
  CHECK(fourth.exit_code == 0);
  CHECK(fourth.output.find("| model | gsm8k | exact_match,strict-match | 100.0% (model-2026-12-01) "
                           "| 100.0% | +0.00 | 1 | no significant change |") != std::string::npos);

  // A suite set up differently since (here: another suite version) is a new baseline, not a
  // verdict: the planted answers of the fifth night pass, and moebench compare refuses the pair.
  const fs::path run4 = dir / "nights" / "model-2026-12-04" / "run.json";
  json run = json::parse(read_file(run4));
  const std::string version = run["suites"]["gsm8k"]["version"];
  run["suites"]["gsm8k"]["version"] = "0.9";
  std::ofstream(run4, std::ios::trunc) << run.dump(2);
  write_answers(dir, answers, true);
  auto fifth = run_command(nightly + "2026-12-05", dir);
  INFO(fifth.output);
  CHECK(fifth.exit_code == 0);
  CHECK(fifth.output.find("| model | gsm8k | | (model-2026-12-04) | model-2026-12-05 | | | new "
                          "baseline: suite version 0.9 -> " +
                          version + " |") != std::string::npos);
  CHECK(fifth.output.find("| model | mmlu | acc,none | 100.0% (model-2026-12-04) |") !=
        std::string::npos);
  // gate.json names it apart from compare's untestable (too few documents for the test).
  const json gate5 = json::parse(read_file(dir / "nights" / "nights" / "2026-12-05" / "gate.json"));
  CHECK(gate5["entries"][0]["new_baseline"] ==
        json::array({{{"suite", "gsm8k"}, {"change", "suite version 0.9 -> " + version}}}));
  auto compare =
      run_command(moebench_bin() + " compare '" + (dir / "nights").string() +
                      "/model-2026-12-04' '" + (dir / "nights").string() + "/model-2026-12-05'",
                  dir);
  CHECK(compare.exit_code == 2);
  CHECK(compare.output.find("suite 'gsm8k' was set up differently (suite version 0.9 -> " +
                            version + ")") != std::string::npos);

  // A significant change within the gate's threshold is named as such (it read "no significant
  // change"); changes show two decimals, as compare's (-0.96 and -1.04 both showed -1.0).
  json loose = config;
  loose["gate"] = {{"threshold", 0.9}};
  std::ofstream(dir / "nightly.json", std::ios::trunc) << loose.dump(2);
  write_answers(dir, answers, false);
  auto sixth = run_command(nightly + "2026-12-06", dir);
  INFO(sixth.output);
  CHECK(sixth.exit_code == 0);
  CHECK(sixth.output.find("| model | gsm8k | exact_match,strict-match | 50.0% (model-2026-12-05) | "
                          "100.0% | +50.00 | 5.72e-06 | significant, within threshold |") !=
        std::string::npos);

  // The nights are all in the results: merged runs (the shards hidden behind them), a page for
  // each in the site, each night's summary and gate, and the CI job summary.
  const fs::path results = dir / "nights";
  for (const char* night : {"2026-12-01", "2026-12-02", "2026-12-03"}) {
    INFO(night);
    CHECK(fs::exists(results / ("model-" + std::string(night)) / "run.json"));
    CHECK(fs::exists(results / ("model-" + std::string(night) + "-shard1") / "run.json"));
    CHECK(fs::exists(results / "nights" / night / "summary.md"));
    CHECK(read_file(results / "site" / "index.html").find("model-" + std::string(night)) !=
          std::string::npos);
  }
  const json gate = json::parse(read_file(results / "nights" / "2026-12-02" / "gate.json"));
  CHECK(gate["failures"] == 1);
  CHECK(gate["entries"][0]["previous"] == "model-2026-12-01");
  const std::string step = read_file(dir / "step-summary.md");
  CHECK(step.find("## moebench nightly 2026-12-01") != std::string::npos);
  CHECK(step.find("## moebench nightly 2026-12-03") != std::string::npos);
  CHECK(step.find("**regression**") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("nightly: stages plan, run one shard, finish, the kernel gate names a slower kernel",
          "[runner][nightly]") {
  const fs::path dir = temp_dir("nightly-stages");
  const fs::path bench = dir / "bench-out.json";
  const json config = {
      {"schema", 1},
      {"results", "out"},
      {"kernels", {{"run", "always"}, {"command", {"cat", bench.string()}}}},
      {"gate", {{"kernel_threshold", 0.05}}},
      {"entries",
       {{{"name", "a"}, {"backend", "oracle"}, {"suites", {"gsm8k"}}, {"samples", true}},
        {{"name", "b"},
         {"backend", "oracle-chat"},
         {"suites", {"mmlu"}},
         {"samples", true},
         {"shards", 3}}}}};
  std::ofstream(dir / "n.json") << config.dump(2);
  const std::string nightly =
      moebench_bin() + " nightly '" + (dir / "n.json").string() + "' --no-progress ";
  auto plan = run_command(nightly + "--stage plan", dir);
  CHECK(plan.exit_code == 0);
  CHECK(plan.output == R"([{"entry":"a","shard":"0/1"},{"entry":"b","shard":"0/3"},)"
                       R"({"entry":"b","shard":"1/3"},{"entry":"b","shard":"2/3"}])"
                       "\n");
  for (const char* cell : {"--entry a --shard 0/1", "--entry b --shard 0/3",
                           "--entry b --shard 1/3", "--entry b --shard 2/3"}) {
    auto r = run_command(nightly + "--stage run --night 2026-12-01 " + std::string(cell), dir);
    INFO(cell << "\n" << r.output);
    CHECK(r.exit_code == 0);
  }
  write_bench(bench, "2026-12-01T03:00:00+00:00", 1000);
  auto first = run_command(nightly + "--stage finish --night 2026-12-01", dir);
  INFO(first.output);
  CHECK(first.exit_code == 0);
  CHECK(fs::exists(dir / "out" / "b-2026-12-01" / "run.json"));  // merged from 3 shards
  // A cache per run: cells on the nodes of a cluster never share one SQLite file (WAL works among
  // the processes of one host only; one cache of the night was shared by every cell).
  for (const char* run : {"a-2026-12-01", "b-2026-12-01-shard0", "b-2026-12-01-shard2"}) {
    CHECK(fs::exists(dir / "out" / "cache" / (std::string(run) + ".sqlite")));
  }
  CHECK(!fs::exists(dir / "out" / "cache" / "2026-12-01.sqlite"));
  CHECK(fs::exists(dir / "out" / "bench" / "2026-12-01.json"));

  REQUIRE(run_command(nightly + "--stage run --night 2026-12-02", dir).exit_code == 0);
  // Each night asks the backend afresh: no answer comes from an earlier night's cache.
  const json a2 = json::parse(read_file(dir / "out" / "a-2026-12-02" / "run.json"));
  CHECK(a2["requests"]["cache_hits"] == 0);
  CHECK(a2["requests"]["sent"] == a2["requests"]["docs"]);
  write_bench(bench, "2026-12-02T03:00:00+00:00", 2000);  // twice as slow
  auto second = run_command(nightly + "--stage finish --night 2026-12-02", dir);
  INFO(second.output);
  CHECK(second.exit_code == 1);
  const auto kernel = lines_with(second.output, "kernel regression");
  REQUIRE(kernel.size() == 1);
  CHECK(kernel[0].find("moebench: nightly: kernel regression: gpu/fake_gemm/m:64 +100.0% (p=") ==
        0);
  CHECK(kernel[0].find("vs 2026-12-01.json") != std::string::npos);
  // The bundled samples hold 3-5 documents a suite: no drop could reach p < alpha, and the table
  // says so rather than "no significant change".
  CHECK(second.output.find("| a | gsm8k | exact_match,strict-match | 100.0% (a-2026-12-01) | "
                           "100.0% | +0.00 | 1 | untestable: too few documents |") !=
        std::string::npos);
  CHECK(second.output.find("moebench: nightly: warning: a gsm8k: 3 documents cannot reach p < "
                           "alpha over 1 suites; a drop would not be seen") != std::string::npos);

  // A missing shard is a failed entry, named, and the gate fails; the message gives the command
  // that runs it, to paste (it said "--shard I/N").
  fs::remove_all(dir / "out" / "b-2026-12-02-shard1");
  auto missing = run_command(nightly + "--stage finish --night 2026-12-02", dir);
  INFO(missing.output);
  CHECK(missing.exit_code == 1);
  const std::string rerun = "moebench nightly " + (dir / "n.json").string() +
                            " --stage run --night 2026-12-02 --entry b --shard ";
  CHECK(missing.output.find("moebench: nightly: b failed: shard 1/3 missing in " +
                            (dir / "out").string() + " (run it: " + rerun + "1/3)\n") !=
        std::string::npos);
  fs::remove_all(dir / "out" / "b-2026-12-02-shard2");
  auto two = run_command(nightly + "--stage finish --night 2026-12-02", dir);
  INFO(two.output);
  CHECK(two.exit_code == 1);
  CHECK(two.output.find("b failed: shard 1/3, 2/3 missing in " + (dir / "out").string() +
                        " (run them: " + rerun + "1/3; " + rerun + "2/3)\n") != std::string::npos);

  // Bad configs and flags are one line naming the field.
  auto bad = [&](const json& cfg, const std::string& flags, const std::string& needle) {
    std::ofstream(dir / "bad.json", std::ios::trunc) << cfg.dump();
    auto r = run_command(moebench_bin() + " nightly '" + (dir / "bad.json").string() + "' " + flags,
                         dir);
    INFO(r.output);
    CHECK(r.exit_code == 2);
    CHECK(r.output.find(needle) != std::string::npos);
    CHECK(std::count(r.output.begin(), r.output.end(), '\n') == 1);
  };
  json c = config;
  c["entries"][1]["shards"] = 0;
  bad(c, "--stage plan", "field 'entries[1].shards': expected an integer >= 1");
  for (const int64_t shards : {int64_t{2147483648}, int64_t{4294967298}}) {
    c["entries"][1]["shards"] = shards;  // was an empty plan, or 2 shards
    bad(c, "--stage plan", "field 'entries[1].shards': at most 1024");
  }
  c = config;
  c["entries"][1]["name"] = "a";
  bad(c, "--stage plan", "field 'entries[1].name': 'a' is the name of an earlier entry");
  c = config;
  c["gate"]["alpah"] = 0.1;
  bad(c, "--stage plan", "field 'gate.alpah': unknown field (known: alpha, kernel_threshold");
  bad(config, "--stage run --entry b --shard 1/4", "entry 'b' has 3 shards");
  bad(config, "--stage run --entry z", "--entry 'z': not an entry of");
  bad(config, "--night 12/01/2026", "--night '12/01/2026': expected YYYY-MM-DD");
  bad(config, "--night 2026-02-30", "--night '2026-02-30': expected YYYY-MM-DD");
  fs::remove_all(dir);
}

TEST_CASE("nightly: a sharded entry's error-rate gate is applied to its merged run",
          "[runner][nightly]") {
  const fs::path dir = temp_dir("nightly-errors");
  // The oracle's gsm8k sample answers, one missing: 1 of 3 documents fails.
  auto o = run_command(moebench_bin() +
                           " run --backend oracle --samples --suites gsm8k --run-id o "
                           "--no-progress --results-dir '" +
                           (dir / "o").string() + "'",
                       dir);
  REQUIRE(o.exit_code == 0);
  auto lines = read_lines(dir / "o" / "o" / "samples.jsonl");
  REQUIRE(lines.size() == 3);
  std::ofstream(dir / "two.jsonl") << lines[0] << "\n" << lines[2] << "\n";
  const json config = {{"schema", 1},
                       {"results", "out"},
                       {"kernels", {{"run", "never"}}},
                       {"entries",
                        {{{"name", "c"},
                          {"backend", "replay:" + (dir / "two.jsonl").string()},
                          {"suites", {"gsm8k"}},
                          {"samples", true},
                          {"shards", 3}}}}};
  std::ofstream(dir / "n.json") << config.dump(2);
  const std::string nightly = moebench_bin() + " nightly '" + (dir / "n.json").string() +
                              "' --no-progress --night 2026-12-03 --stage ";
  // The shard holding the missing document fails all its samples, and still exits 0.
  auto run = run_command(nightly + "run", dir);
  INFO(run.output);
  CHECK(run.exit_code == 0);
  auto finish = run_command(nightly + "finish", dir);
  INFO(finish.output);
  CHECK(finish.exit_code == 1);
  CHECK(finish.output.find("moebench: nightly: c failed: 33.3% of the samples of c-2026-12-03 "
                           "failed, more than its max_error_rate 5.0%") != std::string::npos);
  // Within the entry's own max_error_rate the night passes, and the merged run records that rate
  // (it recorded merge's 0.05, so the night's own summary showed the passed run as failed).
  json loose = config;
  loose["entries"][0]["max_error_rate"] = 0.5;
  std::ofstream(dir / "n.json", std::ios::trunc) << loose.dump(2);
  auto passed = run_command(nightly + "finish", dir);
  INFO(passed.output);
  CHECK(passed.exit_code == 0);
  const json merged = json::parse(read_file(dir / "out" / "c-2026-12-03" / "run.json"));
  CHECK(merged["options"]["max_error_rate"] == 0.5);
  CHECK(read_file(dir / "out" / "nights" / "2026-12-03" / "summary.md")
            .find("errors over --max-error-rate") == std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("nightly: the kernel baseline is an earlier night on the same GPU that passed its gate",
          "[runner][nightly]") {
  const fs::path dir = temp_dir("nightly-kernel-baseline");
  const fs::path bench = dir / "bench-out.json";
  const json config = {
      {"schema", 1},
      {"results", "out"},
      {"kernels", {{"run", "always"}, {"command", {"cat", bench.string()}}}},
      {"data_dir", kData.string()},
      {"entries",
       {{{"name", "a"}, {"backend", "oracle"}, {"suites", {"arc_challenge"}}, {"limit", 5}}}}};
  std::ofstream(dir / "n.json") << config.dump(2);
  // One night: its entry run and finish with `ns` on `gpu`; the finish's output and gate.json.
  auto night = [&](const std::string& date, double ns, const std::string& gpu) {
    const std::string nightly = moebench_bin() + " nightly '" + (dir / "n.json").string() +
                                "' --no-progress --night " + date + " --stage ";
    REQUIRE(run_command(nightly + "run", dir).exit_code == 0);
    write_bench(bench, date + "T03:00:00+00:00", ns, gpu);
    auto r = run_command(nightly + "finish", dir);
    INFO(r.output);
    return std::make_pair(r, json::parse(read_file(dir / "out" / "nights" / date / "gate.json")));
  };
  auto [first, g1] = night("2026-12-01", 1000, "NVIDIA H200");
  CHECK(first.exit_code == 0);
  CHECK(g1["kernels_previous"] == nullptr);
  auto [slower, g2] = night("2026-12-02", 2000, "NVIDIA H200");
  CHECK(slower.exit_code == 1);
  CHECK(g2["kernel_regression"] == true);
  CHECK(g2["kernels_previous"] == "2026-12-01.json");
  // The regressed night is no baseline: the regression fails again until it is fixed.
  auto [persists, g3] = night("2026-12-03", 2000, "NVIDIA H200");
  INFO(persists.output);
  CHECK(persists.exit_code == 1);
  CHECK(g3["kernel_regression"] == true);
  CHECK(g3["kernels_previous"] == "2026-12-01.json");
  // Another GPU is not compared with: no baseline, said so, no verdict.
  auto [other_gpu, g4] = night("2026-12-04", 500, "NVIDIA H100 80GB HBM3");
  INFO(other_gpu.output);
  CHECK(other_gpu.exit_code == 0);
  CHECK(g4["kernels_previous"] == nullptr);
  CHECK(g4["kernels"] == "ran (no earlier night measured on NVIDIA H100 80GB HBM3)");
  // Re-running an old night compares with nights before it, never a later one.
  auto [rerun, g1b] = night("2026-12-01", 3000, "NVIDIA H200");
  INFO(rerun.output);
  CHECK(rerun.exit_code == 0);
  CHECK(g1b["kernels_previous"] == nullptr);
  fs::remove_all(dir);
}

// Kernel output that is no benchmark file (a plain-text error with exit 0) ended the finish with
// exit 2 before the gate was written: the night's eval regression went unreported, and the bad
// file in bench/ broke the next nights. An output measuring none of the baseline's benchmarks
// passed as "absent from the new run".
TEST_CASE("nightly: unreadable or empty kernel output fails the kernel step, the night is gated",
          "[runner][nightly]") {
  const fs::path dir = temp_dir("nightly-kernel-output");
  const fs::path bench = dir / "bench-out.json";
  const json config = {
      {"schema", 1},
      {"results", "out"},
      {"data_dir", kData.string()},
      {"kernels", {{"run", "always"}, {"command", {"cat", bench.string()}}}},
      {"entries",
       {{{"name", "a"}, {"backend", "oracle"}, {"suites", {"arc_challenge"}}, {"limit", 5}}}}};
  std::ofstream(dir / "n.json") << config.dump(2);
  auto night = [&](const std::string& date) {
    const std::string nightly = moebench_bin() + " nightly '" + (dir / "n.json").string() +
                                "' --no-progress --night " + date + " --stage ";
    REQUIRE(run_command(nightly + "run", dir).exit_code == 0);
    auto r = run_command(nightly + "finish", dir);
    INFO(r.output);
    return r;
  };
  write_bench(bench, "2026-12-01T03:00:00+00:00", 1000);
  REQUIRE(night("2026-12-01").exit_code == 0);

  std::ofstream(bench, std::ios::trunc) << "no CUDA device\n";
  auto text = night("2026-12-02");
  CHECK(text.exit_code == 1);
  CHECK(text.output.find("moebench: nightly: kernels failed: ") != std::string::npos);
  CHECK(text.output.find("2026-12-02.json: malformed JSON") != std::string::npos);
  const fs::path gate2 = dir / "out" / "nights" / "2026-12-02" / "gate.json";
  REQUIRE(fs::exists(gate2));
  CHECK(json::parse(read_file(gate2))["entries"][0]["run"] == "a-2026-12-02");
  CHECK_FALSE(fs::exists(dir / "out" / "bench" / "2026-12-02.json"));  // kept apart, named
  CHECK(fs::exists(dir / "out" / "bench" / "2026-12-02.json.bad"));

  std::ofstream(bench, std::ios::trunc)
      << R"({"context": {"gpu": "NVIDIA H200"}, "benchmarks": []})";
  auto empty = night("2026-12-03");
  CHECK(empty.exit_code == 1);
  CHECK(empty.output.find("moebench: nightly: kernels failed: no benchmark was measured in "
                          "2026-12-03.json (it holds no benchmark)") != std::string::npos);
  CHECK(json::parse(read_file(dir / "out" / "nights" / "2026-12-03" /
                              "gate.json"))["kernels_failed"] == true);
  // A night whose kernel step failed is no baseline: the next compares with the first.
  write_bench(bench, "2026-12-04T03:00:00+00:00", 1000);
  auto fixed = night("2026-12-04");
  CHECK(fixed.exit_code == 0);
  CHECK(json::parse(read_file(dir / "out" / "nights" / "2026-12-04" /
                              "gate.json"))["kernels_previous"] == "2026-12-01.json");
  fs::remove_all(dir);
}

// A shard's run.json with a field of the wrong type threw past the entry's error handling (nothing
// was gated or published), and an unwritable gate.json still ended "no regression", exit 0.
TEST_CASE("nightly: a malformed shard fails its entry only, an unwritable gate fails the night",
          "[runner][nightly]") {
  const fs::path dir = temp_dir("nightly-finish-errors");
  const json config = {
      {"schema", 1},
      {"results", "out"},
      {"data_dir", kData.string()},
      {"kernels", {{"run", "never"}}},
      {"entries",
       {{{"name", "a"},
         {"backend", "oracle"},
         {"suites", {"arc_challenge"}},
         {"limit", 6},
         {"shards", 2}},
        {{"name", "b"}, {"backend", "oracle"}, {"suites", {"arc_challenge"}}, {"limit", 5}}}}};
  std::ofstream(dir / "n.json") << config.dump(2);
  const std::string nightly = moebench_bin() + " nightly '" + (dir / "n.json").string() +
                              "' --no-progress --night 2026-12-01 --stage ";
  REQUIRE(run_command(nightly + "run", dir).exit_code == 0);
  const fs::path shard = dir / "out" / "a-2026-12-01-shard1" / "run.json";
  json run = json::parse(read_file(shard));
  run["options"]["shard"] = 1;
  std::ofstream(shard, std::ios::trunc) << run.dump(2);
  auto finish = run_command(nightly + "finish", dir);
  INFO(finish.output);
  CHECK(finish.exit_code == 1);
  CHECK(finish.output.find("moebench: nightly: a failed: ") != std::string::npos);
  const json gate = json::parse(read_file(dir / "out" / "nights" / "2026-12-01" / "gate.json"));
  CHECK(gate["entries"][1]["run"] == "b-2026-12-01");
  CHECK(gate["entries"][1]["error"] == "");

  fs::remove(dir / "out" / "nights" / "2026-12-01" / "gate.json");
  fs::create_directories(dir / "out" / "nights" / "2026-12-01" / "gate.json");
  auto unwritable = run_command(nightly + "finish --entry b", dir);
  INFO(unwritable.output);
  CHECK(unwritable.exit_code != 0);
  CHECK(unwritable.output.find("gate.json") != std::string::npos);
  CHECK(unwritable.output.find("no regression") == std::string::npos);
  fs::remove_all(dir);
}

// A night whose runs were made but never gated (a shard failed so finish never ran, or finish was
// killed) counted as passed: the next night compared with its broken runs and passed a regression.
// And a finish of one entry rewrote gate.json with that entry alone, so the others' verdicts were
// lost and a regressed entry became the next night's baseline.
TEST_CASE("nightly: only a gated, passed night of an entry is its baseline", "[runner][nightly]") {
  const fs::path dir = temp_dir("nightly-ungated");
  const fs::path good = dir / "good.jsonl", bad = dir / "bad.jsonl";
  write_answers(dir, good, false);
  write_answers(dir, bad, true);
  auto config = [&](const fs::path& answers_a, const fs::path& answers_b) {
    const json c = {{"schema", 1},
                    {"results", "out"},
                    {"data_dir", kData.string()},
                    {"kernels", {{"run", "never"}}},
                    {"entries",
                     {{{"name", "a"},
                       {"backend", "replay:" + answers_a.string()},
                       {"suites", {"gsm8k"}},
                       {"limit", 40}},
                      {{"name", "b"},
                       {"backend", "replay:" + answers_b.string()},
                       {"suites", {"gsm8k"}},
                       {"limit", 40}}}}};
    std::ofstream(dir / "n.json", std::ios::trunc) << c.dump(2);
  };
  const std::string nightly =
      moebench_bin() + " nightly '" + (dir / "n.json").string() + "' --no-progress --night ";
  config(good, good);
  REQUIRE(run_command(nightly + "2026-12-01", dir).exit_code == 0);
  config(bad, good);
  REQUIRE(run_command(nightly + "2026-12-02 --stage run --entry a", dir).exit_code == 0);
  auto third = run_command(nightly + "2026-12-03", dir);  // a still bad
  INFO(third.output);
  CHECK(third.exit_code == 1);
  CHECK(third.output.find("regression: a gsm8k") != std::string::npos);
  CHECK(third.output.find("vs a-2026-12-01") != std::string::npos);

  // Finishing entry by entry keeps every entry's verdict in the night's gate.json.
  config(bad, bad);
  REQUIRE(run_command(nightly + "2026-12-04 --stage run", dir).exit_code == 0);
  CHECK(run_command(nightly + "2026-12-04 --stage finish --entry b", dir).exit_code == 1);
  CHECK(run_command(nightly + "2026-12-04 --stage finish --entry a", dir).exit_code == 1);
  const json gate = json::parse(read_file(dir / "out" / "nights" / "2026-12-04" / "gate.json"));
  REQUIRE(gate["entries"].size() == 2);
  config(bad, bad);
  auto fifth = run_command(nightly + "2026-12-05", dir);
  INFO(fifth.output);
  CHECK(fifth.exit_code == 1);
  CHECK(fifth.output.find("regression: b gsm8k") != std::string::npos);
  CHECK(fifth.output.find("vs b-2026-12-03") != std::string::npos);  // not the regressed 4th
  fs::remove_all(dir);
}
