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

// Reviewer 73, F4: the chat form of mmlu, ceval, cmmlu and arc_challenge is zero-shot
// (chat.fewshot "none": simple-evals' prompt), so on a chat backend --num-fewshot N asked
// 0-shot while run.json recorded N for the suite and no line said so. oracle-chat also takes raw
// completions, so the chat form is asked here through the chat profile (the same rule as a
// chat-only API under the default profile); plain gsm8k is asked with its 2 shots.
TEST_CASE("num-fewshot: a zero-shot chat form warns once and records 0 shots", "[runner][cli]") {
  const fs::path dir = temp_dir("num-fewshot-chat");
  const std::string run = moebench_bin() +
                          " run --backend oracle-chat --samples --no-progress --results-dir '" +
                          (dir / "results").string() + "'";
  auto r = run_command(
      run + " --suites mmlu@chat,arc_challenge@chat,gsm8k --num-fewshot 2 --run-id c", dir);
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK(count_of(r.output, "warning: --num-fewshot 2:") == 1);
  CHECK(r.output.find("warning: --num-fewshot 2: the chat form of mmlu@chat and arc_challenge@chat "
                      "is zero-shot") != std::string::npos);
  const json rj = json::parse(read_file(dir / "results" / "c" / "run.json"));
  CHECK(rj["options"]["num_fewshot"] == 2);
  CHECK(rj["suites"]["mmlu@chat"]["spec"]["prompt"]["num_fewshot"] == 0);
  CHECK(rj["suites"]["arc_challenge@chat"]["spec"]["prompt"]["num_fewshot"] == 0);
  CHECK(rj["suites"]["gsm8k"]["spec"]["prompt"]["num_fewshot"] == 2);
  for (const std::string& line : read_lines(dir / "results" / "c" / "samples.jsonl")) {
    const json s = json::parse(line);
    if (s["suite"] != "gsm8k") CHECK(s["prompt"].size() == 1);  // one user message
    if (s["suite"] == "gsm8k") CHECK(count_of(s["prompt"].get<std::string>(), "Question:") == 3);
  }
  // The leaderboard row names the suites asked with other shots than the flag's.
  auto md =
      run_command(moebench_bin() + " report '" + (dir / "results").string() + "' --format md", dir);
  INFO(md.output);
  CHECK(md.output.find("| oracle-chat | samples, 2-shot (arc_challenge@chat 0-shot, mmlu@chat "
                       "0-shot) |") != std::string::npos);
  // Without the flag the chat form sends the same one-question message, and records 0 as well,
  // not mmlu's 5 (reviewer 83, F12); nothing to warn about.
  auto plain = run_command(run + " --suites mmlu@chat --run-id p", dir);
  INFO(plain.output);
  REQUIRE(plain.exit_code == 0);
  CHECK(plain.output.find("warning: --num-fewshot") == std::string::npos);
  const json pj = json::parse(read_file(dir / "results" / "p" / "run.json"));
  CHECK(pj["suites"]["mmlu@chat"]["spec"]["prompt"]["num_fewshot"] == 0);
  fs::remove_all(dir);
}

// lm-eval's arc_challenge has no fewshot_config, so --num_fewshot N draws with its default
// sampler: random.Random(1234).sample(pool, N) per document, in document order. Every question
// was given the pool's first N (first_n). The stems below are python's draws from the Dev split
// (lm-eval's pool is the train split, which ../shared/datasets lacks; README says so).
TEST_CASE("num-fewshot: arc_challenge draws its shots per document as lm-eval does",
          "[runner][cli]") {
  const fs::path dir = temp_dir("num-fewshot-arc");
  auto r = run_command(moebench_bin() +
                           " run --backend oracle --suites arc_challenge --num-fewshot 2 "
                           "--limit 3 --no-progress --run-id a --data-dir '" MOEBENCH_SOURCE_DIR
                           "/../shared/datasets' --results-dir '" +
                           (dir / "results").string() + "'",
                       dir);
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  const std::vector<std::string> first_shot = {
      "Question: Janet has been given some minerals to identify. One of her s",
      "Question: Which topic area would be the best to research to find ways ",
      "Question: How should a line graph be used to display distance and time"};
  const auto lines = read_lines(dir / "results" / "a" / "samples.jsonl");
  REQUIRE(lines.size() == 3);
  for (size_t i = 0; i < 3; ++i) {
    const std::string prompt = json::parse(lines[i])["prompt"];
    CHECK(prompt.substr(0, first_shot[i].size()) == first_shot[i]);
    CHECK(count_of(prompt, "Question:") == 3);
  }
  fs::remove_all(dir);
}
