// A rescore scores as many answers per document as the suite asks (generation.n_samples): a file
// with more (10 answers under the greedy n = 1 spec) was scored silently as a sampled pass@1 while
// run.json said n_samples 1 (reviewer 84, F3). It is refused naming the file:line, the document
// and both counts unless --gen-kwargs gives that n; every moebench run still rescores unchanged.
#include <fstream>

#include "tests/catch.h"
#include "tests/runner/cli_harness.h"

using namespace moebench::testing;
using nlohmann::json;

namespace {

std::vector<json> samples_of(const fs::path& file) {
  std::vector<json> out;
  for (const std::string& line : read_lines(file)) out.push_back(json::parse(line));
  return out;
}

// `moebench rescore FILE --no-progress flags` writing under dir/out.
CommandResult rescore(const fs::path& dir, const fs::path& file, const std::string& out,
                      const std::string& flags = "") {
  return run_command(moebench_bin() + " rescore '" + file.string() + "' --no-progress " + flags +
                         " --results-dir '" + (dir / out).string() + "'",
                     dir);
}

json run_json(const fs::path& run) { return json::parse(read_file(run / "run.json")); }

// The run.json of the one run a rescore wrote under `results`.
json rescored(const fs::path& results) {
  const std::vector<fs::path> runs = run_dirs(results);
  REQUIRE(runs.size() == 1);
  return run_json(runs[0]);
}

// The run's metrics equal its rescore's, suite by suite (the repeats too).
void check_rescores_alike(const fs::path& dir, const fs::path& run, const std::string& out) {
  const CommandResult r = rescore(dir, run / "samples.jsonl", out);
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  const json a = run_json(run), b = rescored(dir / out);
  REQUIRE(a["suites"].size() == b["suites"].size());
  for (const auto& [suite, s] : a["suites"].items()) {
    INFO(suite);
    CHECK(b["suites"][suite]["metrics"] == s["metrics"]);
    CHECK(b["suites"][suite]["spec"]["generation"] == s["spec"]["generation"]);
    CHECK(b["suites"][suite].value("repeats", json()) == s.value("repeats", json()));
  }
}

}  // namespace

TEST_CASE("rescore refuses more answers per document than the suite's n_samples",
          "[cli][rescore][bad-input]") {
  const fs::path dir = temp_dir("rescore-n");
  const fs::path results = dir / "results";
  const CommandResult r =
      run_command(oracle_samples_run(results) + " --suites humaneval --run-id greedy", dir);
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  std::vector<json> samples = samples_of(results / "greedy" / "samples.jsonl");
  REQUIRE(samples.size() == 3);
  // The second document has 10 answers (3 right) under the greedy n = 1 spec.
  const std::string right = samples[1]["responses"][0];
  samples[1]["responses"] = json::array();
  for (int i = 0; i < 10; ++i) samples[1]["responses"].push_back(i < 3 ? right : "  return None\n");
  {
    std::ofstream out(dir / "n10.jsonl");
    for (const json& s : samples) out << s.dump() << "\n";
  }
  const std::string doc = samples[1]["doc_id"];
  require_bad_input(rescore(dir, dir / "n10.jsonl", "refused", "--samples"),
                    (dir / "n10.jsonl").string() + ":2: humaneval document '" + doc +
                        "' has 10 answers; the suite asks 1 (generation.n_samples)",
                    dir, "refused");
  const CommandResult hint = rescore(dir, dir / "n10.jsonl", "refused", "--samples");
  CHECK(hint.output.find("--gen-kwargs n=10") != std::string::npos);
  // n = 5 given is still fewer than 10.
  require_bad_input(rescore(dir, dir / "n10.jsonl", "refused", "--samples --gen-kwargs n=5"),
                    "has 10 answers; the suite asks 5", dir, "refused");

  // A run's own samples are scored under its gen_kwargs, not others.
  require_bad_input(
      rescore(dir, results / "greedy" / "samples.jsonl", "refused", "--gen-kwargs n=10"),
      "--gen-kwargs: " + (results / "greedy" / "run.json").string() +
          ": the run's samples are scored under the run's own gen_kwargs",
      dir, "refused");
  // Given n = 10, the 10 answers are scored as samples and run.json says so.
  for (size_t d : {0, 2}) {
    for (int i = 0; i < 9; ++i) samples[d]["responses"].push_back(samples[d]["responses"][0]);
  }
  {
    std::ofstream out(dir / "n10.jsonl");
    for (const json& s : samples) out << s.dump() << "\n";
  }
  const CommandResult ok =
      rescore(dir, dir / "n10.jsonl", "sampled", "--samples --gen-kwargs n=10");
  INFO(ok.output);
  REQUIRE(ok.exit_code == 0);
  const json he = rescored(dir / "sampled")["suites"]["humaneval"];
  CHECK(he["spec"]["generation"]["n_samples"] == 10);
  CHECK(std::abs(he["metrics"]["pass@1,create_test"]["mean"].get<double>() - 2.3 / 3) < 1e-12);
  fs::remove_all(dir);
}

TEST_CASE("rescore of moebench runs: greedy, n = 10 code-sampling, --repeats and merged shards",
          "[cli][rescore]") {
  const fs::path dir = temp_dir("rescore-runs");
  const fs::path results = dir / "results";
  const std::string base = oracle_samples_run(results) + " --suites humaneval,mbpp";
  for (const std::string& run :
       {std::string(",gsm8k --run-id greedy"),
        std::string(" --profile code-sampling --run-id sampled"),
        std::string(" --gen-kwargs n=3 --repeats 2 --run-id rep"),
        std::string(" --gen-kwargs n=3 --repeats 2 --shard 0/2 --run-id s0"),
        std::string(" --gen-kwargs n=3 --repeats 2 --shard 1/2 --run-id s1")}) {
    const CommandResult r = run_command(base + run, dir);
    INFO(run << "\n" << r.output);
    REQUIRE(r.exit_code == 0);
  }
  const CommandResult merged =
      run_command(moebench_bin() + " merge '" + (results / "s0").string() + "' '" +
                      (results / "s1").string() + "' -o '" + (results / "merged").string() + "'",
                  dir);
  INFO(merged.output);
  REQUIRE(merged.exit_code == 0);
  const std::vector<json> sampled = samples_of(results / "sampled" / "samples.jsonl");
  REQUIRE(sampled.size() == 6);
  CHECK(sampled[0]["responses"].size() == 10);
  for (const char* run : {"greedy", "sampled", "rep", "merged"}) {
    INFO(run);
    check_rescores_alike(dir, results / run, std::string("re-") + run);
  }
  fs::remove_all(dir);
}
