// Thinking through a run and through `moebench rescore` of its samples.jsonl (reviewer 85, F2, F3,
// F8): nested tags leave no decoy and no tag in the stored answer, and a rescore of it splits
// alike; truncated_thinking flags only a thinking still open at the end (a closed one with no
// answer is no answer), the warning's word is the count's; a rescore keeps each sample's
// recorded reasoning, truncated_thinking and reasoning tokens.
#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/catch.h"
#include "tests/runner/cli_harness.h"

using namespace moebench::testing;
using json = nlohmann::json;

namespace {

std::vector<json> samples_of(const fs::path& run) {
  std::vector<json> out;
  for (const std::string& line : read_lines(run / "samples.jsonl")) {
    if (!line.empty()) out.push_back(json::parse(line));
  }
  return out;
}

// The oracle-chat's gsm8k@chat samples (3 documents, answers without tags) run into dir/res/oc.
std::vector<json> oracle_chat_rows(const fs::path& dir) {
  const CommandResult oc = run_command(
      moebench_bin() + " run --backend oracle-chat --profile chat --samples --suites gsm8k " +
          "--no-progress --no-cache --run-id oc --results-dir '" + (dir / "res").string() + "'",
      dir);
  INFO(oc.output);
  REQUIRE(oc.exit_code == 0);
  std::vector<json> rows = samples_of(dir / "res" / "oc");
  REQUIRE(rows.size() == 3);
  return rows;
}

// oracle_chat_rows with `thinking` written before each answer.
std::vector<json> thinking_rows(const fs::path& dir, const std::string& thinking) {
  std::vector<json> rows = oracle_chat_rows(dir);
  for (json& row : rows) row["responses"][0] = thinking + row["responses"][0].get<std::string>();
  return rows;
}

void write_rows(const fs::path& file, const std::vector<json>& rows) {
  std::ofstream out(file);
  for (const json& row : rows) out << row.dump() << "\n";
}

// `moebench run --backend replay:FILE` of gsm8k@chat into dir/res/ID (`flags` added).
CommandResult replay_run(const fs::path& dir, const fs::path& file, const std::string& id,
                         const std::string& flags = "") {
  return run_command(moebench_bin() + " run --backend 'replay:" + file.string() +
                         "' --profile chat --samples --suites gsm8k --no-progress --no-cache " +
                         flags + " --run-id " + id + " --results-dir '" + (dir / "res").string() +
                         "'",
                     dir);
}

json suite_of(const fs::path& run) {
  return json::parse(read_file(run / "run.json"))["suites"]["gsm8k@chat"];
}

}  // namespace

TEST_CASE("rescore: thinking splits flags and counts as the run did", "[cli][rescore][thinking]") {
  const fs::path dir = temp_dir("rescore-thinking");
  std::vector<json> rows = oracle_chat_rows(dir);
  const std::string right = rows[2]["responses"][0];
  // 0: thinking closed, no answer; 1: cut while thinking; 2: nested tags with a decoy inside.
  rows[0]["responses"] = {"<think>#### 999</think>"};
  rows[0]["finish_reasons"] = {"stop"};
  rows[1]["responses"] = {"<think>#### 999"};
  rows[1]["finish_reasons"] = {"length"};
  rows[2]["responses"] = {"<think>outer <think>inner</think> #### 999</think>\n" + right};
  rows[2]["finish_reasons"] = {"stop"};
  for (json& row : rows) row["tokens"]["reasoning"] = 40;
  const fs::path answers = dir / "answers.jsonl";
  write_rows(answers, rows);
  std::string first_output, second_output;
  const fs::path first = rescore_into(dir, answers, "first", "--samples", &first_output);
  const fs::path second = rescore_into(dir, first / "samples.jsonl", "second", "", &second_output);
  CHECK(first_output.find("gsm8k@chat: 1 of 3 documents stopped while thinking") !=
        std::string::npos);
  CHECK(second_output.find("gsm8k@chat: 1 of 3 documents stopped while thinking") !=
        std::string::npos);
  const json a = json::parse(read_file(first / "run.json"))["suites"]["gsm8k@chat"];
  const json b = json::parse(read_file(second / "run.json"))["suites"]["gsm8k@chat"];
  CHECK(a["thinking"] == json({{"samples", 3}, {"truncated", 1}, {"reasoning_tokens", 120}}));
  CHECK(b["thinking"] == a["thinking"]);
  CHECK(b["metrics"] == a["metrics"]);
  const std::vector<json> sa = samples_of(first), sb = samples_of(second);
  REQUIRE(sa.size() == 3);
  REQUIRE(sb.size() == 3);
  CHECK_FALSE(sa[0].contains("truncated_thinking"));
  CHECK(sa[1]["truncated_thinking"] == true);
  CHECK(sa[2]["responses"][0] == right);
  CHECK(sa[2]["reasoning"][0].get<std::string>().find("#### 999") != std::string::npos);
  CHECK(sa[2]["metrics"] == rows[2]["metrics"]);  // the oracle's answer after the thinking
  for (size_t i = 0; i < sa.size(); ++i) {
    INFO(i << ": " << sa[i].dump() << "\n vs " << sb[i].dump());
    CHECK(sb[i]["responses"] == sa[i]["responses"]);
    CHECK(sb[i]["reasoning"] == sa[i]["reasoning"]);
    CHECK(sb[i].value("truncated_thinking", false) == sa[i].value("truncated_thinking", false));
    CHECK(sb[i]["tokens"]["reasoning"] == 40);
    CHECK(sb[i]["metrics"] == sa[i]["metrics"]);
  }
  fs::remove_all(dir);
}

// Reviewer 87, F5: a replay sends nothing, so a rescore bills nothing, reasoning included; the
// recorded reasoning count still makes run.json's thinking.reasoning_tokens, and each sample keeps
// the tokens its answer was recorded with (reasoning a part of the completion).
TEST_CASE("rescore: bills no tokens and keeps the recorded reasoning apart",
          "[cli][rescore][thinking]") {
  const fs::path dir = temp_dir("rescore-billed");
  std::vector<json> rows = thinking_rows(dir, "<think>Let me see.</think>\n");
  for (json& row : rows) {
    row["tokens"] = {{"prompt", 100}, {"cached_prompt", 0}, {"completion", 64}, {"reasoning", 40}};
  }
  write_rows(dir / "answers.jsonl", rows);
  std::string output;
  const fs::path first = rescore_into(dir, dir / "answers.jsonl", "first", "--samples", &output);
  const fs::path second = rescore_into(dir, first / "samples.jsonl", "second", "", &output);
  const json a = suite_of(first), b = suite_of(second);
  for (const char* part : {"billed", "all"}) {
    for (const auto& [key, count] : a["tokens"][part].items()) {
      INFO(part << "." << key << " in " << a["tokens"].dump());
      CHECK(count == 0);
    }
  }
  const json run = json::parse(read_file(first / "run.json"));
  for (const auto& [key, count] : run["tokens"]["billed"].items()) {
    INFO("run.json tokens.billed." << key);
    CHECK(count == 0);
  }
  CHECK(a["thinking"] == json({{"samples", 3}, {"truncated", 0}, {"reasoning_tokens", 120}}));
  CHECK(b["thinking"] == a["thinking"]);  // a rescore of the rescore too
  for (const fs::path& rescored : {first, second}) {
    for (const json& s : samples_of(rescored)) {
      INFO(s["tokens"].dump());
      CHECK(s["tokens"]["reasoning"] <= s["tokens"]["completion"]);
      CHECK(s["tokens"] == rows[0]["tokens"]);
    }
  }
  fs::remove_all(dir);
}

// Reviewer 87, F1: Qwen3's no-think output (`<think>\n\n</think>`) recorded as `"reasoning":
// [""]` is kept by a rescore, and counts alike in both: an empty thinking is no thinking.
TEST_CASE("rescore: an empty thinking block is kept and counted as the run counted it",
          "[cli][rescore][thinking]") {
  const fs::path dir = temp_dir("rescore-empty-think");
  write_rows(dir / "qwen.jsonl", thinking_rows(dir, "<think>\n\n</think>\n\n"));
  const CommandResult run = replay_run(dir, dir / "qwen.jsonl", "qwen");
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  std::string output;
  const fs::path rescored =
      rescore_into(dir, dir / "res" / "qwen" / "samples.jsonl", "rescored", "", &output);
  const json a = suite_of(dir / "res" / "qwen"), b = suite_of(rescored);
  CHECK(a["thinking"] == json({{"samples", 0}, {"truncated", 0}, {"reasoning_tokens", 0}}));
  CHECK(b["thinking"] == a["thinking"]);
  CHECK(b["metrics"] == a["metrics"]);
  const std::vector<json> sa = samples_of(dir / "res" / "qwen"), sb = samples_of(rescored);
  REQUIRE(sb.size() == sa.size());
  for (size_t i = 0; i < sa.size(); ++i) {
    CHECK(sa[i]["reasoning"] == json::array({""}));
    CHECK(sb[i]["reasoning"] == sa[i]["reasoning"]);
    CHECK(sb[i]["responses"] == sa[i]["responses"]);
  }
  fs::remove_all(dir);
}

// Reviewer 87, F6: with --repeats the thinking counts and the warning are of documents (one is
// flagged when any of its repeats is), in the run, its rescore and the merge of its shards.
TEST_CASE("repeats: thinking counts documents in run rescore and merge",
          "[cli][rescore][thinking][repeats]") {
  const fs::path dir = temp_dir("repeats-thinking");
  std::vector<json> repeated;
  for (const json& row : oracle_chat_rows(dir)) {
    for (int k : {0, 1}) {
      json e = row;
      e["repeat"] = k;
      // Document 0 stops while thinking in both repeats, document 1 in its second only.
      if (row["doc_id"] == "test/0" || (row["doc_id"] == "test/1" && k == 1)) {
        e["responses"] = {"<think>Answer: 999"};
      }
      repeated.push_back(e);
    }
  }
  write_rows(dir / "rep.jsonl", repeated);
  const std::string warning = "gsm8k@chat: 2 of 3 documents stopped while thinking";
  const json want = {{"samples", 2}, {"truncated", 2}, {"reasoning_tokens", 0}};
  const CommandResult run = replay_run(dir, dir / "rep.jsonl", "rep", "--repeats 2");
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  CHECK(run.output.find(warning) != std::string::npos);
  CHECK(suite_of(dir / "res" / "rep")["thinking"] == want);
  std::string output;
  const fs::path rescored =
      rescore_into(dir, dir / "res" / "rep" / "samples.jsonl", "rescored", "", &output);
  CHECK(output.find(warning) != std::string::npos);
  CHECK(suite_of(rescored)["thinking"] == want);
  for (const char* shard : {"0/2", "1/2"}) {
    const CommandResult r = replay_run(dir, dir / "rep.jsonl", std::string("s") + shard[0],
                                       std::string("--repeats 2 --shard ") + shard);
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
  }
  const CommandResult merged = run_command(
      moebench_bin() + " merge '" + (dir / "res" / "s0").string() + "' '" +
          (dir / "res" / "s1").string() + "' -o '" + (dir / "res" / "merged").string() + "'",
      dir);
  INFO(merged.output);
  REQUIRE(merged.exit_code == 0);
  CHECK(merged.output.find(warning) != std::string::npos);
  CHECK(suite_of(dir / "res" / "merged")["thinking"] == want);
  fs::remove_all(dir);
}
