// Runs under profiles: `--profile` and `suite@profile` pick the settings, run.json records them per
// suite under the key "suite@profile", the requests (and so the cache) differ from the default
// profile's, reports keep the columns apart, and a chat profile refuses a backend without chat.
#include "common/error.h"
#include "harness/runner/plan.h"
#include "tests/catch.h"
#include "tests/runner/cli_harness.h"

using namespace moebench::testing;
using nlohmann::json;

TEST_CASE("profiles: a run under two profiles keeps them apart", "[runner][cli][profiles]") {
  const fs::path dir = temp_dir("profiles-run");
  const std::string base = oracle_samples_run(dir / "results");
  auto r = run_command(base + " --suites gsm8k,gsm8k@deepseek-v3-base,mmlu@chat --run-id two", dir);
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  const json rj = json::parse(read_file(dir / "results" / "two" / "run.json"));
  REQUIRE(rj["suites"].size() == 3);
  CHECK(rj["suites"]["gsm8k"]["profile"]["name"] == "lm-eval");
  const json& v3 = rj["suites"]["gsm8k@deepseek-v3-base"];
  CHECK(v3["profile"]["name"] == "deepseek-v3-base");
  CHECK(v3["profile"]["source"].get<std::string>().find("2412.19437") != std::string::npos);
  CHECK(v3["prompt_form"] == "completion");
  CHECK(v3["spec"]["prompt"]["num_fewshot"] == 8);
  CHECK(rj["suites"]["mmlu@chat"]["prompt_form"] == "chat");
  CHECK(rj["suites"]["mmlu@chat"]["scored_by"] == "generation");

  const size_t pool =
      read_lines(fs::path(MOEBENCH_SOURCE_DIR) / "tasks/samples/gsm8k/train.jsonl").size();
  std::map<std::string, std::set<std::string>> hashes;  // doc id -> request hashes of gsm8k
  for (const std::string& line : read_lines(dir / "results" / "two" / "samples.jsonl")) {
    const json s = json::parse(line);
    const std::string suite = s["suite"];
    if (suite == "gsm8k@deepseek-v3-base") {
      // 8 shots (the bundled train sample has fewer: all of them) + the item.
      CHECK(count_of(s["prompt"].get<std::string>(), "Question:") == std::min<size_t>(8, pool) + 1);
    }
    if (suite == "mmlu@chat") {
      REQUIRE(s["prompt"].is_array());  // chat messages, even though oracle takes raw prompts
      CHECK(s["prompt"][0]["role"] == "user");
      CHECK(s["filtered"].contains("simple-evals"));
      CHECK(s["metrics"]["acc,simple-evals"] == 1.0);
    }
    if (suite.rfind("gsm8k", 0) == 0) hashes[s["doc_id"]].insert(s["request_hash"]);
  }
  REQUIRE(!hashes.empty());
  for (const auto& [doc, h] : hashes) CHECK(h.size() == 2);

  // The same settings as the default (humaneval: 0-shot in both) still ask apart: the profile is
  // part of the request hash, so a cached answer is never attributed to another profile.
  REQUIRE(run_command(base + " --suites humaneval --run-id he", dir).exit_code == 0);
  auto again =
      run_command(base + " --profile deepseek-v3-base --suites humaneval --run-id he3", dir);
  REQUIRE(again.exit_code == 0);
  const json he3 = json::parse(read_file(dir / "results" / "he3" / "run.json"));
  CHECK(he3["requests"]["cache_hits"] == 0);
  CHECK(he3["suites"].contains("humaneval@deepseek-v3-base"));

  auto md =
      run_command(moebench_bin() + " report '" + (dir / "results").string() + "' --format md", dir);
  INFO(md.output);
  CHECK(md.output.find("gsm8k@deepseek-v3-base") != std::string::npos);
  CHECK(md.output.find("mmlu@chat") != std::string::npos);

  auto twice = run_command(base + " --suites gsm8k@chat,gsm8k --profile chat --run-id x", dir);
  CHECK(twice.exit_code == 2);
  CHECK(twice.output == "moebench: error: suite 'gsm8k@chat' is named twice\n");
  auto uncovered = run_command(base + " --profile chat --suites agieval_gaokao --run-id y", dir);
  CHECK(uncovered.exit_code == 2);
  CHECK(uncovered.output.find("profile 'chat' has no settings for suite 'agieval_gaokao'") !=
        std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("profiles: the chat profile needs a backend that takes chat messages",
          "[runner][profiles]") {
  moebench::RunOptions o;
  o.source.tasks_dir = fs::path(MOEBENCH_SOURCE_DIR) / "tasks";
  o.source.samples = true;
  o.suites = {"mmlu@chat"};
  moebench::BackendInfo completion_only;
  completion_only.id = "api:base-model";
  completion_only.chat = false;
  completion_only.completion = true;
  completion_only.loglikelihood = true;
  try {
    moebench::plan_suites(o, completion_only);
    FAIL("planned a chat profile for a backend without chat");
  } catch (const moebench::InputError& e) {
    CHECK(std::string(e.what()) ==
          "suite 'mmlu@chat': profile 'chat' sends chat messages, and backend 'api:base-model' "
          "takes none (use a chat model, or another profile)");
  }
  o.suites = {"mmlu@deepseek-v3-base"};
  auto runs = moebench::plan_suites(o, completion_only);
  REQUIRE(runs.size() == 1);
  CHECK(runs[0].loglikelihood);
  CHECK(!runs[0].chat);
}
