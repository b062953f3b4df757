// --num-fewshot N (lm-eval's flag): every suite's prompts carry N examples, the spec recorded in
// run.json says so, the requests (and so the cache) differ from the default's, the leaderboard
// keeps such runs in a row of their own, and a suite without a few-shot pool refuses N > 0.
#include "tests/catch.h"
#include "tests/runner/cli_harness.h"

using namespace moebench::testing;
using nlohmann::json;

TEST_CASE("num-fewshot: the flag sets the shots of every suite, recorded and kept apart",
          "[runner][cli]") {
  const fs::path dir = temp_dir("num-fewshot");
  const std::string base = oracle_samples_run(dir / "results");
  const std::string run = base + " --suites gsm8k";
  REQUIRE(run_command(run + " --run-id default", dir).exit_code == 0);
  for (int n : {0, 2}) {
    INFO("--num-fewshot " << n);
    const std::string id = "shots" + std::to_string(n);
    auto r = run_command(run + " --num-fewshot " + std::to_string(n) + " --run-id " + id, dir);
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    const json rj = json::parse(read_file(dir / "results" / id / "run.json"));
    CHECK(rj["options"]["num_fewshot"] == n);
    CHECK(rj["suites"]["gsm8k"]["spec"]["prompt"]["num_fewshot"] == n);
    CHECK(rj["requests"]["sent"] == rj["requests"]["docs"]);  // nothing from the default's cache
    for (const std::string& line : read_lines(dir / "results" / id / "samples.jsonl")) {
      // The document's own question and n examples, each "Question: ...".
      CHECK(count_of(json::parse(line)["prompt"].get<std::string>(), "Question:") ==
            static_cast<size_t>(n + 1));
    }
  }
  const json d = json::parse(read_file(dir / "results" / "default" / "run.json"));
  CHECK(d["options"]["num_fewshot"].is_null());
  CHECK(d["suites"]["gsm8k"]["spec"]["prompt"]["num_fewshot"] == 5);
  auto md =
      run_command(moebench_bin() + " report '" + (dir / "results").string() + "' --format md", dir);
  INFO(md.output);
  CHECK(md.output.find("| oracle | samples |") != std::string::npos);
  CHECK(md.output.find("| oracle | samples, 0-shot |") != std::string::npos);
  CHECK(md.output.find("| oracle | samples, 2-shot |") != std::string::npos);

  auto refused = run_command(base + " --suites gsm8k,humaneval --num-fewshot 1 --run-id h", dir);
  CHECK(refused.exit_code == 2);
  CHECK(refused.output ==
        "moebench: error: --num-fewshot 1: suite 'humaneval' has no few-shot "
        "pool (no dataset.fewshot_split or prompt.fewshot_docs)\n");
  CHECK(!fs::exists(dir / "results" / "h"));
  auto range = run_command(run + " --num-fewshot -1", dir);
  CHECK(range.exit_code == 2);
  fs::remove_all(dir);
}
