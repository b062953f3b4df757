// Reviewer 85, F4: the models file's generation (max_tokens, temperature, top_p, thinking_budget)
// is what an API request carries in place of the suite's; run.json's spec.generation records those
// values (an explicit --gen-kwargs setting still wins), and a rescore of the run records the same,
// so the run compares with itself and with its rescore.
#include "tests/api/api_loopback_util.h"
#include "tests/catch.h"

using namespace moebench;
using namespace moebench::testing;
using nlohmann::json;

namespace {

const json kReasoner = {
    {"generation",
     {{"max_tokens", 1000}, {"thinking_budget", 500}, {"temperature", 0.6}, {"top_p", 0.95}}}};

// gsm8k@chat through api:`name` (`provider`, models-file `extra`) on a loopback server answering
// what the oracle answers; `flags` added. Results under dir/results.
LoopRun sent_run(const fs::path& dir, const std::string& name, const std::string& provider,
                 const json& extra, const std::string& flags) {
  const fs::path answers = oracle_answers(dir, "gsm8k@chat", false);
  loopback::ServerOptions so;
  so.answers_file = answers.string();
  loopback::Server server(so);
  server.start();
  const fs::path models = write_loop_models(dir, name, provider, server.base_url(), extra);
  LoopRun r = run_moebench("--backend api:" + name + " --no-cache --models '" + models.string() +
                               "' --samples --suites gsm8k@chat " + flags,
                           dir / "results", dir);
  INFO(r.command.output);
  REQUIRE(r.command.exit_code == 0);
  return r;
}

// A spec.generation of kReasoner's settings, max_tokens `max_tokens`.
void check_reasoner_generation(const json& g, int max_tokens) {
  INFO(g.dump());
  CHECK(g["max_tokens"] == max_tokens);
  CHECK(g["thinking_budget"] == 500);
  CHECK(g["temperature"] == 0.6);
  CHECK(g["top_p"] == 0.95);
}

// `moebench compare` of the run `a` with each of `others`: the same setup, exit 0.
void check_same_setup(const fs::path& dir, const fs::path& a, const std::vector<fs::path>& others) {
  for (const fs::path& b : others) {
    const CommandResult c =
        run_command(moebench_bin() + " compare '" + a.string() + "' '" + b.string() + "'", dir);
    INFO(c.output);
    CHECK(c.exit_code == 0);
    CHECK(c.output.find("set up differently") == std::string::npos);
  }
}

}  // namespace

TEST_CASE("sent generation: run.json records the models file's settings as sent", "[api]") {
  const fs::path dir = temp_dir("api-sent-generation");
  const LoopRun r = sent_run(dir, "ocg", "openai-compatible", kReasoner, "");
  check_reasoner_generation(r.run["suites"]["gsm8k@chat"]["spec"]["generation"], 1000);

  // --gen-kwargs wins over the entry's value of the setting it names; the others stay the entry's.
  fs::create_directories(dir / "kw");
  const LoopRun kw =
      sent_run(dir / "kw", "ocg", "openai-compatible", kReasoner, "--gen-kwargs max_tokens=50");
  check_reasoner_generation(kw.run["suites"]["gsm8k@chat"]["spec"]["generation"], 50);

  // Anthropic: the budget is extended thinking (budget_tokens), sent and recorded.
  fs::create_directories(dir / "claude");
  const LoopRun c = sent_run(dir / "claude", "claude", "anthropic",
                             json{{"generation", {{"thinking_budget", 2000}}}}, "");
  CHECK(c.run["suites"]["gsm8k@chat"]["spec"]["generation"]["thinking_budget"] == 2000);
  fs::remove_all(dir);
}

TEST_CASE("sent generation: a run of the models file's settings compares with its rescore",
          "[api][rescore]") {
  const fs::path dir = temp_dir("api-sent-generation-rescore");
  const LoopRun r = sent_run(dir, "ocg", "openai-compatible", kReasoner, "");
  std::string output;
  const fs::path again = rescore_into(dir, r.dir / "samples.jsonl", "rescored", "", &output);
  const json rj = json::parse(read_file(again / "run.json"));
  CHECK(rj["suites"]["gsm8k@chat"]["spec"]["generation"] ==
        r.run["suites"]["gsm8k@chat"]["spec"]["generation"]);
  check_same_setup(dir, r.dir, {r.dir, again});
  fs::remove_all(dir);
}

// f95's leftover: an entry whose `api.omit` leaves temperature and top_p out of every request
// (OpenAI's o1/o3) ran with the suite's values recorded in spec.generation, as if sent. They are
// null there (and "not sent" in --dry-run's line); the request hashes are those of the same entry
// without the omit (its cache entries are not: the cache tag covers the omit); two runs of the
// entry, its rescore and the shards' merge still go together.
TEST_CASE("sent generation: a setting the models file omits is recorded null", "[api]") {
  const fs::path dir = temp_dir("api-sent-generation-omit");
  const json omit = {{"api", {{"omit", {"temperature", "top_p"}}}}};
  const std::string kw = "--gen-kwargs temperature=0.5,top_p=0.9 ";
  const LoopRun r = sent_run(dir, "reasoner", "openai-compatible", omit, kw);
  const json& g = r.run["suites"]["gsm8k@chat"]["spec"]["generation"];
  INFO(g.dump());
  CHECK(g.contains("temperature"));
  CHECK(g["temperature"].is_null());
  CHECK(g.contains("top_p"));
  CHECK(g["top_p"].is_null());

  // The same entry without the omit: the same request hashes, its values recorded.
  fs::create_directories(dir / "sent");
  const LoopRun s = sent_run(dir / "sent", "reasoner", "openai-compatible", json::object(), kw);
  CHECK(s.run["suites"]["gsm8k@chat"]["spec"]["generation"]["temperature"] == 0.5);
  CHECK(s.run["suites"]["gsm8k@chat"]["spec"]["generation"]["top_p"] == 0.9);
  REQUIRE(r.samples.size() == s.samples.size());
  for (size_t i = 0; i < r.samples.size(); ++i) {
    CHECK(r.samples[i]["request_hash"] == s.samples[i]["request_hash"]);
  }

  // Two runs of the entry, and its rescore, compare as the same setup; its shards merge.
  fs::create_directories(dir / "again");
  const LoopRun a = sent_run(dir / "again", "reasoner", "openai-compatible", omit, kw);
  std::string output;
  const fs::path rescored = rescore_into(dir, r.dir / "samples.jsonl", "rescored", "", &output);
  CHECK(json::parse(
            read_file(rescored / "run.json"))["suites"]["gsm8k@chat"]["spec"]["generation"] == g);
  check_same_setup(dir, r.dir, {a.dir, rescored});
  std::vector<fs::path> shards;
  for (const char* shard : {"0/2", "1/2"}) {
    const fs::path d = dir / ("shard" + std::string(1, shard[0]));
    fs::create_directories(d);
    shards.push_back(
        sent_run(d, "reasoner", "openai-compatible", omit, kw + "--shard " + shard).dir);
  }
  const CommandResult m =
      run_command(moebench_bin() + " merge '" + shards[0].string() + "' '" + shards[1].string() +
                      "' -o '" + (dir / "merged").string() + "'",
                  dir);
  INFO(m.output);
  CHECK(m.exit_code == 0);

  // --dry-run says so.
  const fs::path models =
      write_loop_models(dir, "reasoner", "openai-compatible", "http://127.0.0.1:9", omit);
  const CommandResult dry =
      run_command(moebench_bin() + " run --backend api:reasoner --models '" + models.string() +
                      "' --samples --suites gsm8k@chat --limit 1 --dry-run " + kw,
                  dir);
  INFO(dry.output);
  REQUIRE(dry.exit_code == 0);
  CHECK(dry.output.find(", temperature not sent, top_p not sent, n 1,") != std::string::npos);
  fs::remove_all(dir);
}
