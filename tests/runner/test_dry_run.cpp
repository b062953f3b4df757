// run --dry-run: each suite's first prompts (the chat template applied by a builtin checkpoint),
// the request hashes the run would use, and what the cache already holds; nothing is sent and
// nothing is written.
#include <fstream>

#include "tests/catch.h"
#include "tests/runner/cli_harness.h"

using namespace moebench::testing;
using nlohmann::json;

TEST_CASE("dry run: prompts, hashes and cache hits, nothing sent or written", "[runner][cli]") {
  const fs::path dir = temp_dir("dry-run");
  const fs::path results = dir / "results";
  const std::string base = oracle_samples_run(results) + " --suites gsm8k,mmlu@chat";
  auto dry = run_command(base + " --dry-run --write-out 2", dir);
  INFO(dry.output);
  REQUIRE(dry.exit_code == 0);
  CHECK(!fs::exists(results));
  CHECK(dry.output.find("== gsm8k (profile lm-eval): 3 requests, raw completion, max_tokens 256") !=
        std::string::npos);
  CHECK(
      dry.output.find("== mmlu@chat (profile chat): 4 requests, chat messages, max_tokens 4096") !=
      std::string::npos);
  CHECK(dry.output.find("[user]\nAnswer the following multiple choice question.") !=
        std::string::npos);
  CHECK(dry.output.find("dry run: 7 requests to oracle, 0 of them already in the cache") !=
        std::string::npos);

  // The hashes shown are the ones the run uses; after it, the cache holds them all.
  REQUIRE(run_command(base + " --run-id real", dir).exit_code == 0);
  for (const std::string& line : read_lines(results / "real" / "samples.jsonl")) {
    const json s = json::parse(line);
    if (s["doc_id"] == "test/0" && s["suite"] == "gsm8k") {
      CHECK(dry.output.find("-- test/0 (request " + s["request_hash"].get<std::string>() + ")") !=
            std::string::npos);
    }
  }
  auto again = run_command(base + " --dry-run", dir);
  CHECK(again.output.find("7 of them already in the cache") != std::string::npos);

  // A builtin checkpoint renders its chat template.
  const fs::path ckpt = dir / "tiny";
  REQUIRE(
      run_command(moebench_bin() + " model init --family qwen3_moe -o '" + ckpt.string() + "'", dir)
          .exit_code == 0);
  auto built =
      run_command(moebench_bin() + " run --backend 'builtin:" + ckpt.string() +
                      "' --samples --suites mmlu@chat --limit 1 --dry-run --results-dir '" +
                      results.string() + "'",
                  dir);
  INFO(built.output);
  REQUIRE(built.exit_code == 0);
  CHECK(built.output.find("<|im_start|>user\nAnswer the following multiple choice question.") !=
        std::string::npos);
  CHECK(built.output.find("<|im_start|>assistant\n") != std::string::npos);
  fs::remove_all(dir);
}

// Reviewer 85, F9: the per-suite line showed the spec's generation, not what the requests carry:
// HumanEval's completion form sends its 9 completion stops (the line said "stop []"), and an API
// entry's `generation` replaces the suite's max_tokens, temperature and top_p.
TEST_CASE("dry run: the suite line shows the generation the requests carry", "[runner][cli]") {
  const fs::path dir = temp_dir("dry-run-generation");
  const std::string base = oracle_samples_run(dir / "results") + " --suites humaneval --limit 1";
  auto dry = run_command(base + " --dry-run", dir);
  INFO(dry.output);
  REQUIRE(dry.exit_code == 0);
  CHECK(dry.output.find("== humaneval (profile lm-eval): 1 requests, raw completion, max_tokens "
                        "1024, temperature 0.0, top_p 1.0, n 1, stop [\"\\nclass\",\"\\ndef\","
                        "\"\\n#\",\"\\nif\",\"\\nprint\",\"\\n```\",\"\\n```\\n\\n\","
                        "\"<|eot_id|>\",\"</s>\"]\n") != std::string::npos);

  // Nothing is sent: the entry's base URL is never reached.
  const json models = {{"schema", 1},
                       {"models",
                        {{"ocg",
                          {{"provider", "openai-compatible"},
                           {"base_url", "http://127.0.0.1:9/v1"},
                           {"model", "think"},
                           {"prices", json::array()},
                           {"generation",
                            {{"max_tokens", 1000},
                             {"thinking_budget", 500},
                             {"temperature", 0.6},
                             {"top_p", 0.95}}}}}}}};
  std::ofstream(dir / "models.json") << models.dump();
  auto api = run_command(moebench_bin() + " run --backend api:ocg --models '" +
                             (dir / "models.json").string() +
                             "' --samples --suites gsm8k@chat --limit 1 --dry-run",
                         dir);
  INFO(api.output);
  REQUIRE(api.exit_code == 0);
  CHECK(api.output.find("== gsm8k@chat (profile chat): 1 requests, chat messages, max_tokens "
                        "1000, thinking_budget 500, temperature 0.6, top_p 0.95, n 1, stop []\n") !=
        std::string::npos);
  fs::remove_all(dir);
}
