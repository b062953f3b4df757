// What an API run records is what it sent and what it knows (reviewer 71): an explicit
// --gen-kwargs is what is sent, a model the entry's prices are not for is not priced, a date no
// price table covers is said, failed attempts of unknown size are no confident cost, and an
// interrupted --no-cache run says its answers are lost.

#include <filesystem>

#include "tests/api/api_loopback_util.h"
#include "tests/catch.h"

using namespace moebench;
using namespace moebench::testing;
using nlohmann::json;

// Finding 5: a stream cut before its usage tells no prompt count; its attempt's cost is unknown.
TEST_CASE("failed attempts without usage leave their cost null") {
  const fs::path dir = temp_dir("api-failed-unknown");
  loopback::ServerOptions so;
  so.answers_file = oracle_answers(dir, "gsm8k", false).string();
  so.faults.rate = 1.0;
  so.faults.kinds = {"reset"};
  so.faults.transient_attempts_max = 1;
  loopback::Server server(so);
  server.start();
  const fs::path models = write_loop_models(dir, "loop", "deepseek", server.base_url());
  LoopRun r = run_moebench(
      "--backend api:loop --models '" + models.string() + "' --suites gsm8k --samples --no-cache",
      dir / "results", dir);
  INFO(r.command.output);
  REQUIRE(r.command.exit_code == 0);
  const json& failed = r.run["tokens"]["failed_attempts"];
  REQUIRE(failed["usage_missing"].get<long>() > 0);
  CHECK(r.run["cost"]["usd"].is_number());  // the answers' cost is known
  CHECK(r.run["cost"]["failed_attempts_usd"].is_null());
  fs::remove_all(dir);
}

// Finding 4: the loopback cuts an answer at the max_tokens it is sent (finish_reason length).
TEST_CASE("an explicit --gen-kwargs wins over the models file's generation") {
  const fs::path dir = temp_dir("api-gen-kwargs");
  loopback::ServerOptions so;
  so.answers_file = oracle_answers(dir, "gsm8k", false).string();
  loopback::Server server(so);
  server.start();
  const fs::path models = write_loop_models(dir, "loop", "openai-compatible", server.base_url(),
                                            {{"generation", {{"max_tokens", 3}}}});
  const std::string cmd =
      "--backend api:loop --models '" + models.string() + "' --suites gsm8k --samples --no-cache";
  LoopRun file_wins = run_moebench(cmd, dir / "results", dir);
  INFO(file_wins.command.output);
  REQUIRE_FALSE(file_wins.samples.empty());
  CHECK(file_wins.samples[0]["finish_reasons"] == json::array({"length"}));
  LoopRun flag_wins = run_moebench(cmd + " --gen-kwargs max_tokens=512", dir / "results", dir);
  INFO(flag_wins.command.output);
  REQUIRE(flag_wins.command.exit_code == 0);
  for (const json& s : flag_wins.samples) CHECK(s["finish_reasons"] == json::array({"stop"}));
  const json& suite = flag_wins.run["suites"]["gsm8k"];
  CHECK(suite["metrics"]["exact_match,strict-match"]["mean"] == 1.0);
  CHECK(suite["spec"]["generation"]["max_tokens"] == 512);
  CHECK_FALSE(flag_wins.run["backend"]["details"]["generation"].contains("max_tokens"));
  server.stop();
  fs::remove_all(dir);
}

// Finding 6: --backend-opt model= asks another model than the one the entry's prices are for.
TEST_CASE("another model than the entry's is not priced at the entry's prices") {
  const fs::path dir = temp_dir("api-model-opt");
  loopback::ServerOptions so;
  so.answers_file = oracle_answers(dir, "gsm8k", false).string();
  loopback::Server server(so);
  server.start();
  const fs::path models = write_loop_models(dir, "loop", "openai-compatible", server.base_url());
  const std::string cmd =
      "--backend api:loop --models '" + models.string() + "' --suites gsm8k --samples --no-cache";
  LoopRun other = run_moebench(cmd + " --backend-opt model=bigger-model", dir / "results", dir);
  INFO(other.command.output);
  REQUIRE(other.command.exit_code == 0);
  CHECK(other.run["cost"].is_null());
  CHECK(other.run["backend"]["prices"] == json::object());
  CHECK(other.command.output.find("warning: api:loop: --backend-opt model=bigger-model is not "
                                  "the entry's model (loop-model)") != std::string::npos);
  LoopRun same = run_moebench(cmd + " --backend-opt model=loop-model", dir / "results", dir);
  INFO(same.command.output);
  CHECK(same.run["cost"]["usd"].is_number());
  CHECK(same.command.output.find("warning") == std::string::npos);
  server.stop();
  fs::remove_all(dir);
}

// Finding 10: every table of the entry ended (or starts later): the run is unpriced, and says so.
TEST_CASE("a run on a date no price table covers says so naming model and date") {
  const fs::path dir = temp_dir("api-no-table");
  loopback::ServerOptions so;
  so.answers_file = oracle_answers(dir, "gsm8k", false).string();
  loopback::Server server(so);
  server.start();
  for (const json& table :
       {json{{"effective_from", "2020-01-01"}, {"effective_until", "2021-01-01"}},
        json{{"effective_from", "2999-01-01"}}}) {
    INFO(table.dump());
    json t = table;
    t["currency"] = "USD";
    t["per_million"] = kLoopPrices;
    const fs::path models = write_loop_models(dir, "loop", "openai-compatible", server.base_url(),
                                              {{"prices", json::array({t})}});
    LoopRun r = run_moebench(
        "--backend api:loop --models '" + models.string() + "' --suites gsm8k --samples --no-cache",
        dir / "results", dir);
    INFO(r.command.output);
    REQUIRE(r.command.exit_code == 0);
    CHECK(r.run["cost"].is_null());
    const std::string today = r.run["created"].get<std::string>().substr(0, 10);
    CHECK(r.command.output.find("warning: no price table of models.loop covers " + today) !=
          std::string::npos);
  }
  server.stop();
  fs::remove_all(dir);
}

// Finding 8: with --no-cache nothing received is kept; "run the same command again to resume"
// had the user pay for every answer again without a word.
TEST_CASE("an interrupted --no-cache run says its answers are lost") {
  const fs::path dir = temp_dir("api-sigint-no-cache");
  loopback::ServerOptions so;
  so.latency_ms = 150;
  loopback::Server server(so);
  server.start();
  const fs::path models = write_loop_models(dir, "loop", "openai-compatible", server.base_url(),
                                            {{"limits", {{"max_in_flight", 2}}}});
  CHECK(interrupted_loop_run(dir, server, models, {"--no-cache"}) == 130);
  const std::string out = read_file(dir / "first.out");
  INFO(out);
  CHECK(out.find("--no-cache: the answers received so far are lost") != std::string::npos);
  CHECK(out.find("sends every request again") != std::string::npos);
  CHECK(out.find("to resume") == std::string::npos);
  server.stop();
  fs::remove_all(dir);
}
