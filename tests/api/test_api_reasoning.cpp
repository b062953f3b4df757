// Reasoning models through the API client and the loopback server: inline <think> is removed
// before the answer is extracted (decoy answers inside it never count), thinking opened by the
// template, thinking cut off by the token limit (flagged truncated_thinking, counted per suite,
// scored 0, warned), a stop string inside the thinking that must not cut it, reasoning_content
// returned apart (deepseek-reasoner) counted as thinking, and a thinking budget sent to Anthropic
// as extended thinking, the dropped temperature said.
#include <fstream>

#include "tests/api/api_loopback_util.h"
#include "tests/catch.h"

using namespace moebench;
using namespace moebench::testing;
using nlohmann::json;

namespace {

// An oracle run sending chat messages, as the API run will; its samples key the server's answers.
std::vector<json> oracle_samples(const fs::path& dir, const std::string& suites) {
  LoopRun r = run_moebench(
      "--backend oracle-chat --backend-opt chat=1 --no-cache --samples "
      "--suites " +
          suites,
      dir / "oracle", dir);
  INFO(r.command.output);
  REQUIRE(r.command.exit_code == 0);
  return r.samples;
}

// The loopback server's options: it answers each prompt with its sample's first response.
loopback::ServerOptions answering(const fs::path& dir, const std::vector<json>& samples) {
  const fs::path answers = dir / "answers.jsonl";
  std::ofstream out(answers);
  for (const json& s : samples) out << s.dump() << "\n";
  loopback::ServerOptions so;
  so.answers_file = answers.string();
  return so;
}

std::string letter(int index) { return std::string(1, static_cast<char>('A' + index)); }

// `suites` through api:NAME (`provider`, models-file `extra`) on a loopback server answering as
// the oracle does; `flags` added to the run. The run has finished when it returns.
LoopRun answered_run(const fs::path& dir, const std::string& suites, const std::string& name,
                     const std::string& provider, const json& extra, const std::string& flags) {
  loopback::Server server(answering(dir, oracle_samples(dir, suites)));
  server.start();
  const fs::path models = write_loop_models(dir, name, provider, server.base_url(), extra);
  LoopRun r = run_moebench("--backend api:" + name + " --no-cache --models '" + models.string() +
                               "' --samples --suites " + suites + " " + flags,
                           dir / "results", dir);
  INFO(r.command.output);
  REQUIRE(r.command.exit_code == 0);
  return r;
}

}  // namespace

TEST_CASE("reasoning: inline thinking, template-opened, truncated, and a stop string inside it",
          "[api][thinking]") {
  const fs::path dir = temp_dir("api-thinking");
  std::vector<json> samples = oracle_samples(dir, "mmlu@chat,gsm8k");
  std::map<std::string, std::string> kind_of;  // suite/doc -> the case it was given
  int mc = 0;
  for (json& s : samples) {
    const std::string key = s["suite"].get<std::string>() + "/" + s["doc_id"].get<std::string>();
    if (s["suite"] == "mmlu@chat") {
      const int gold = s["gold"][0];
      const std::string right = letter(gold), wrong = letter((gold + 1) % 4);
      const std::string cases[] = {
          "<think>It could be B... Answer: " + wrong + "</think>\n\nAnswer: " + right,
          "<think>Let me weigh each option. Answer: " + right + " seems",
          "So the options... Answer: " + wrong + "\n</think>Answer: " + right, "Answer: " + right};
      const char* names[] = {"inline", "truncated", "template-opened", "plain"};
      s["responses"][0] = cases[mc % 4];
      kind_of[key] = names[mc % 4];
      ++mc;
    } else {  // gsm8k, lm-eval profile: stop strings "Question:" ...
      const std::string target = s["gold"];
      const std::string number = target.substr(target.rfind("#### ") + 5);
      s["responses"][0] = "<think>Question: is it " + number + "? Question: check.</think>" +
                          "It is " + number + ".\n#### " + number + "\n\nQuestion: another\n#### 1";
      kind_of[key] = "stop inside thinking";
    }
  }
  REQUIRE(mc == 4);
  loopback::Server server(answering(dir, samples));
  server.start();
  // A server applies stop strings anywhere, thinking included (the loopback server does too), so
  // a model that thinks inline is named with api.omit ["stop"]: moebench cuts after the thinking.
  const fs::path models = write_loop_models(dir, "thinker", "openai", server.base_url(),
                                            {{"api", {{"omit", {"stop"}}}}});
  LoopRun r = run_moebench("--backend api:thinker --no-cache --models '" + models.string() +
                               "' --samples --suites mmlu@chat,gsm8k",
                           dir / "results", dir);
  INFO(r.command.output);
  REQUIRE(r.command.exit_code == 0);
  CHECK(r.command.output.find("warning: mmlu@chat: 1 of 4 documents stopped while thinking "
                              "(truncated_thinking: an answer cut off inside its thinking, "
                              "scored 0)") != std::string::npos);
  const json& mmlu = r.run["suites"]["mmlu@chat"];
  CHECK(mmlu["thinking"]["samples"] == 3);
  CHECK(mmlu["thinking"]["truncated"] == 1);
  CHECK(mmlu["metrics"]["acc,simple-evals"]["mean"] == 0.75);
  CHECK(r.run["suites"]["gsm8k"]["thinking"]["samples"] == 3);
  CHECK(r.run["suites"]["gsm8k"]["metrics"]["exact_match,strict-match"]["mean"] == 1.0);
  for (const json& s : r.samples) {
    const std::string key = s["suite"].get<std::string>() + "/" + s["doc_id"].get<std::string>();
    const std::string kind = kind_of.at(key);
    INFO(kind << ": " << s.dump());
    const std::string response = s["responses"][0];
    CHECK(response.find("<think>") == std::string::npos);
    CHECK(response.find("</think>") == std::string::npos);
    if (kind == "plain") {
      CHECK_FALSE(s.contains("reasoning"));
      CHECK(s["metrics"]["acc,simple-evals"] == 1.0);
    } else if (kind == "truncated") {
      CHECK(s["truncated_thinking"] == true);
      CHECK(response.empty());
      CHECK(s["reasoning"][0].get<std::string>().find("Answer:") != std::string::npos);
      CHECK(s["metrics"]["acc,simple-evals"] == 0.0);  // the decoy inside never counts
    } else if (kind == "stop inside thinking") {
      CHECK(s["reasoning"][0] == "Question: is it " +
                                     s["filtered"]["strict-match"][0].get<std::string>() +
                                     "? Question: check.");
      CHECK(response.find("Question:") == std::string::npos);  // cut after the thinking
      CHECK(s["metrics"]["exact_match,strict-match"] == 1.0);
    } else {
      CHECK_FALSE(s.contains("truncated_thinking"));
      CHECK(s["reasoning"][0].get<std::string>().find("Answer:") != std::string::npos);
      CHECK(s["metrics"]["acc,simple-evals"] == 1.0);
    }
  }
  fs::remove_all(dir);
}

TEST_CASE("reasoning: reasoning_content returned apart counts as thinking, with its tokens",
          "[api][thinking]") {
  const fs::path dir = temp_dir("api-reasoning-content");
  const LoopRun r = answered_run(
      dir, "mmlu@chat", "r1", "deepseek",
      {{"model", "deepseek-reasoner"}, {"generation", {{"temperature", 0.6}, {"top_p", 0.95}}}},
      "");
  const json& mmlu = r.run["suites"]["mmlu@chat"];
  CHECK(mmlu["thinking"]["samples"] == mmlu["n_docs"]);
  CHECK(mmlu["thinking"]["truncated"] == 0);
  CHECK(mmlu["thinking"]["reasoning_tokens"].get<long>() > 0);
  CHECK(mmlu["metrics"]["acc,simple-evals"]["mean"] == 1.0);
  // The model's own sampling settings are the run's.
  CHECK(r.run["backend"]["details"]["generation"]["top_p"] == 0.95);
  fs::remove_all(dir);
}

// o1/o3 count their thinking in completion_tokens but stream none of it: the thinking came
// before the first chunk, so TPOT is timed over the tokens that streamed after it. The server's
// 5 ms between chunks keeps that time well above the clock's microsecond.
TEST_CASE("reasoning: tokens an API thought and never streamed are not timed as output",
          "[api][thinking]") {
  const fs::path dir = temp_dir("api-hidden-reasoning");
  loopback::ServerOptions so = answering(dir, oracle_samples(dir, "gsm8k@chat"));
  so.chunk_ms = 5;
  loopback::Server server(so);
  server.start();
  const fs::path models =
      write_loop_models(dir, "o3", "openai", server.base_url(), {{"model", "o3-mini"}});
  LoopRun r = run_moebench("--backend api:o3 --no-cache --models '" + models.string() +
                               "' --samples --suites gsm8k@chat",
                           dir / "results", dir);
  INFO(r.command.output);
  REQUIRE(r.command.exit_code == 0);
  REQUIRE_FALSE(r.samples.empty());
  for (const json& s : r.samples) {
    INFO(s.dump());
    const long completion = s["tokens"]["completion"], reasoning = s["tokens"]["reasoning"];
    REQUIRE(reasoning == 40);
    CHECK_FALSE(s.contains("reasoning"));
    const double after_first = s["latency_s"].get<double>() - s["ttft_s"].get<double>();
    REQUIRE(after_first > 0.004);
    CHECK(std::abs(s["tpot_s"].get<double>() * (completion - reasoning - 1) - after_first) < 1e-5);
  }
  fs::remove_all(dir);
}

TEST_CASE("reasoning: a thinking budget is Anthropic's extended thinking, said when T is dropped",
          "[api][thinking]") {
  const fs::path dir = temp_dir("api-anthropic-thinking");
  const LoopRun r = answered_run(dir, "gsm8k@chat", "claude", "anthropic", json::object(),
                                 "--gen-kwargs thinking_budget=2048");
  CHECK(r.command.output.find("moebench: warning: suite 'gsm8k@chat': backend 'api:claude' thinks "
                              "with a budget of 2048 tokens; Anthropic's extended thinking takes "
                              "no temperature or top_p, so temperature 0 and top_p 1 are not sent "
                              "(the API samples at its defaults)") != std::string::npos);
  // The server thinks only when the request enables it (its budget_tokens checked there); the
  // request body without temperature is tests/api/test_api_wire.cpp's.
  const json& suite = r.run["suites"]["gsm8k@chat"];
  CHECK(suite["thinking"]["samples"] == suite["n_docs"]);
  CHECK(suite["thinking"]["truncated"] == 0);
  CHECK(suite["metrics"]["exact_match,answer-line"]["mean"] == 1.0);
  // Neither was sent: run.json records the API's defaults it sampled at, not greedy.
  CHECK(suite["spec"]["generation"]["temperature"] == 1.0);
  CHECK(suite["spec"]["generation"]["top_p"] == 1.0);
  fs::remove_all(dir);
}

// Reviewer 71, finding 7: Anthropic's usage has no thinking count (output_tokens holds thinking
// and answer alike), so the reasoning tokens of a Claude run that thought are unknown: null, not
// the 0 that read as "Claude thought 0 tokens" beside a reasoner that counts them.
TEST_CASE("reasoning: Anthropic thinking leaves the reasoning token count unknown",
          "[api][thinking]") {
  const fs::path dir = temp_dir("api-anthropic-reasoning-count");
  const LoopRun r = answered_run(dir, "gsm8k@chat", "claude", "anthropic", json::object(),
                                 "--gen-kwargs thinking_budget=1024");
  const json& suite = r.run["suites"]["gsm8k@chat"];
  CHECK(suite["thinking"]["samples"] == suite["n_docs"]);
  CHECK(suite["thinking"]["reasoning_tokens"].is_null());
  CHECK(suite["tokens"]["billed"]["reasoning"].is_null());
  CHECK(r.run["tokens"]["billed"]["reasoning"].is_null());
  for (const json& s : r.samples) {
    CHECK(s["tokens"]["reasoning"].is_null());
    CHECK(s["tokens"]["completion"].get<long>() > 0);
  }
  // Without thinking there is none to count: 0 is known.
  fs::create_directories(dir / "plain");
  const LoopRun plain =
      answered_run(dir / "plain", "gsm8k@chat", "claude", "anthropic", json::object(), "");
  CHECK(plain.run["suites"]["gsm8k@chat"]["thinking"]["reasoning_tokens"] == 0);
  fs::remove_all(dir);
}

// Reviewer 73, F8: without a thinking budget the Anthropic request sends temperature (capped at
// Anthropic's 1) and so never top_p, since newer Claude models refuse both: code-sampling's
// top-p 0.95 ran at top-p 1 with nothing said.
TEST_CASE("anthropic: a top_p or a temperature above 1 not sent is said once per suite", "[api]") {
  const fs::path dir = temp_dir("api-anthropic-top-p");
  const LoopRun r = answered_run(dir, "gsm8k@chat", "claude", "anthropic", json::object(),
                                 "--gen-kwargs temperature=1.5,top_p=0.95");
  CHECK(r.command.output.find(
            "moebench: warning: suite 'gsm8k@chat': backend 'api:claude' is sent temperature 1 "
            "(Anthropic's maximum; asked 1.5) and no top_p (Claude models refuse temperature and "
            "top_p together), so it samples at top_p 1, not 0.95") != std::string::npos);
  CHECK(count_of(r.command.output, "backend 'api:claude' is sent") == 1);
  // run.json records what the request carried, not what was asked.
  const json& sent = r.run["suites"]["gsm8k@chat"]["spec"]["generation"];
  CHECK(sent["temperature"] == 1.0);
  CHECK(sent["top_p"] == 1.0);
  fs::remove_all(dir);
}
