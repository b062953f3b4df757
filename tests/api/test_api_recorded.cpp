// What an API run records is what it sent and what it knows (reviewer 71): an explicit
// --gen-kwargs is what is sent, a model the entry's prices are not for is not priced, a date no
// price table covers is said, failed attempts of unknown size are no confident cost, and an
// interrupted --no-cache run says its answers are lost; each request is priced at the table in
// effect when it was sent.

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

namespace {

// $ for a sample's tokens at `rates` (per 1M: input, input_cache_hit, output).
double sample_usd(const json& s, const json& rates) {
  const json& t = s["tokens"];
  const long prompt = t["prompt"].get<long>(), cached = t["cached_prompt"].get<long>();
  return ((prompt - cached) * rates["input"].get<double>() +
          cached * rates["input_cache_hit"].get<double>() +
          t["completion"].get<long>() * rates["output"].get<double>()) /
         1e6;
}

// `moebench run` under MOEBENCH_FAKE_NOW: the backend's clock starts at `start` (its first reading)
// and moves a minute on at each later reading, one per attempt sent.
LoopRun run_at_fake_clock(const std::string& args, const fs::path& dir, const std::string& start) {
  ::setenv("MOEBENCH_FAKE_NOW", (start + "+60").c_str(), 1);
  LoopRun r = run_moebench(args, dir / "results", dir);
  ::unsetenv("MOEBENCH_FAKE_NOW");
  return r;
}

}  // namespace

// Finding 1: table A (all day off-peak) ends at 00:03Z, table B (10x, no off-peak) begins there.
// The clock reads 00:00 when the backend is made, then 00:01, 00:02 (table A), 00:03, ... (B) as
// the attempts are sent: 2 requests at A's off-peak prices, the rest at B's.
TEST_CASE("each request is priced at the table in effect when it was sent") {
  const fs::path dir = temp_dir("api-price-change");
  loopback::ServerOptions so;
  so.answers_file = oracle_answers(dir, "gsm8k,mmlu", false).string();
  loopback::Server server(so);
  server.start();
  const json cheap = {{"input_cache_hit", 0.25}, {"input", 1.0}, {"output", 2.0}};
  const json dear = {{"input_cache_hit", 5.0}, {"input", 20.0}, {"output", 80.0}};
  const json prices = {
      {{"currency", "USD"},
       {"effective_from", "2025-12-01"},
       {"effective_until", "2026-01-01T00:03Z"},
       {"per_million", kLoopPrices},
       {"off_peak", {{"utc", "00:00-24:00"}, {"per_million", cheap}}}},
      {{"currency", "USD"}, {"effective_from", "2026-01-01T00:03Z"}, {"per_million", dear}}};
  const fs::path models =
      write_loop_models(dir, "loop", "deepseek", server.base_url(), {{"prices", prices}});
  LoopRun r = run_at_fake_clock("--backend api:loop --models '" + models.string() +
                                    "' --suites gsm8k,mmlu --samples --no-cache",
                                dir, "2026-01-01T00:00Z");
  INFO(r.command.output);
  REQUIRE(r.command.exit_code == 0);
  REQUIRE(r.samples.size() > 2);
  // Each sample costs its tokens at A's off-peak rates or at B's; two of them at A's.
  double want = 0;
  long at_a = 0, a_prompt = 0, b_prompt = 0;
  for (const json& s : r.samples) {
    INFO(s.dump());
    const double a = sample_usd(s, cheap), b = sample_usd(s, dear);
    const double got = s["cost_usd"].get<double>();
    const bool is_a = std::abs(got - a) < 1e-15;
    CHECK((is_a || std::abs(got - b) < 1e-15));
    at_a += is_a;
    (is_a ? a_prompt : b_prompt) += s["tokens"]["prompt"].get<long>();
    want += is_a ? a : b;
  }
  CHECK(at_a == 2);
  const json& cost = r.run["cost"];
  CHECK(std::abs(cost["usd"].get<double>() - want) < 1e-12);
  CHECK(cost["failed_attempts_usd"] == 0.0);
  CHECK(r.run["tokens"]["billed"]["off_peak"]["prompt"].get<long>() == a_prompt);
  // run.json names both tables with the tokens billed at each and their cost.
  REQUIRE(cost["prices"].is_array());
  REQUIRE(cost["prices"].size() == 2);
  CHECK(cost["prices"][0]["effective_from"] == "2025-12-01");
  CHECK(cost["prices"][0]["tokens"]["prompt"].get<long>() == a_prompt);
  CHECK(cost["prices"][1]["effective_from"] == "2026-01-01T00:03Z");
  CHECK(cost["prices"][1]["tokens"]["prompt"].get<long>() == b_prompt);
  CHECK(std::abs(cost["prices"][0]["usd"].get<double>() + cost["prices"][1]["usd"].get<double>() -
                 want) < 1e-12);
  double suites = 0;
  for (const auto& [name, suite] : r.run["suites"].items())
    suites += suite["cost"]["usd"].get<double>();
  CHECK(std::abs(suites - want) < 1e-12);
  server.stop();
  fs::remove_all(dir);
}

// A table that ends mid-run and none after it: the requests sent after it are unpriced, the run's
// cost is null, and the warning comes once, naming the minute.
TEST_CASE("a price table ending mid-run leaves the cost null and warns once") {
  const fs::path dir = temp_dir("api-price-ends");
  loopback::ServerOptions so;
  so.answers_file = oracle_answers(dir, "gsm8k", false).string();
  loopback::Server server(so);
  server.start();
  const json prices = {{{"currency", "USD"},
                        {"effective_from", "2025-12-01"},
                        {"effective_until", "2026-01-01T00:02Z"},
                        {"per_million", kLoopPrices}}};
  const fs::path models =
      write_loop_models(dir, "loop", "deepseek", server.base_url(), {{"prices", prices}});
  LoopRun r = run_at_fake_clock(
      "--backend api:loop --models '" + models.string() + "' --suites gsm8k --samples --no-cache",
      dir, "2026-01-01T00:00Z");
  INFO(r.command.output);
  REQUIRE(r.command.exit_code == 0);
  REQUIRE(r.samples.size() > 2);
  CHECK(r.run["cost"].is_null());
  CHECK(count_of(r.command.output, "warning: no price table of models.loop covers") == 1);
  CHECK(r.command.output.find("covers 2026-01-01T00:02Z (UTC)") != std::string::npos);
  server.stop();
  fs::remove_all(dir);
}

// Failed attempts are billed at the table of their own send time too. One request at a time, each
// first attempt cut after its usage (billed) and retried: document 1's two attempts are sent at
// 00:01 and 00:02 (table A), every later one from 00:03 (table B, 10x). A failed attempt and its
// retry bill the same prompt and answer (cache hits at the input price), so the failed attempts
// cost what the answers do, each at its own table.
TEST_CASE("failed attempts are priced at the table in effect when they were sent") {
  const fs::path dir = temp_dir("api-price-change-failed");
  loopback::ServerOptions so;
  so.answers_file = oracle_answers(dir, "gsm8k", false).string();
  so.faults.rate = 1.0;
  so.faults.kinds = {"truncated_sse"};
  so.faults.transient_attempts_max = 1;
  loopback::Server server(so);
  server.start();
  const json cheap = {{"input_cache_hit", 1.0}, {"input", 1.0}, {"output", 2.0}};
  const json dear = {{"input_cache_hit", 10.0}, {"input", 10.0}, {"output", 20.0}};
  const json prices = {
      {{"currency", "USD"},
       {"effective_from", "2025-12-01"},
       {"effective_until", "2026-01-01T00:03Z"},
       {"per_million", cheap}},
      {{"currency", "USD"}, {"effective_from", "2026-01-01T00:03Z"}, {"per_million", dear}}};
  const fs::path models =
      write_loop_models(dir, "loop", "openai", server.base_url(),
                        {{"prices", prices}, {"limits", {{"max_in_flight", 1}}}});
  LoopRun r = run_at_fake_clock(
      "--backend api:loop --models '" + models.string() + "' --suites gsm8k --samples --no-cache",
      dir, "2026-01-01T00:00Z");
  INFO(r.command.output);
  REQUIRE(r.command.exit_code == 0);
  REQUIRE(r.samples.size() > 1);
  double want = 0;
  long at_a = 0;
  for (const json& s : r.samples) {
    const double a = sample_usd(s, cheap), b = sample_usd(s, dear);
    const bool is_a = std::abs(s["cost_usd"].get<double>() - a) < 1e-15;
    at_a += is_a;
    want += is_a ? a : b;
  }
  CHECK(at_a == 1);
  const json& cost = r.run["cost"];
  CHECK(r.run["tokens"]["failed_attempts"]["attempts"] == r.samples.size());
  CHECK(std::abs(cost["usd"].get<double>() - want) < 1e-12);
  CHECK(std::abs(cost["failed_attempts_usd"].get<double>() - want) < 1e-12);
  server.stop();
  fs::remove_all(dir);
}
