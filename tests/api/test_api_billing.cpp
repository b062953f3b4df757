// What an API run pays for is what it counts, and nothing paid is asked for twice: the samples of
// a document asked in separate calls survive a later call's failure in the cache; attempts that
// fail after their HTTP 200 (billed by the provider) are counted apart from the samples' tokens.
#include <cmath>
#include <filesystem>

#include "tests/api/api_loopback_util.h"
#include "tests/catch.h"

using namespace moebench;
using namespace moebench::testing;
using nlohmann::json;

namespace {

long served_requests(const json& ledger) {
  long n = 0;
  for (const json& k : ledger["keys"]) n += k["served"]["requests_ok"].get<long>();
  return n;
}

// What `tokens` (a samples.jsonl or run.json token record) cost at the test models' prices.
double tokens_usd(const json& tokens) {
  const long prompt = tokens["prompt"].get<long>();
  const long cached = tokens["cached_prompt"].get<long>();
  return ((prompt - cached) * kLoopPrices["input"].get<double>() +
          cached * kLoopPrices["input_cache_hit"].get<double>() +
          tokens["completion"].get<long>() * kLoopPrices["output"].get<double>()) /
         1e6;
}

}  // namespace

TEST_CASE("n separate sample calls: samples answered before a later call failed are kept") {
  const fs::path dir = temp_dir("api-partial");
  loopback::ServerOptions so;
  so.answers_file = oracle_answers(dir, "gsm8k", false).string();
  // Every document's first call is answered; every later one fails for good (a 500 retried 3
  // times). One key per document: its 3 calls send the same body.
  so.faults.rate = 1.0;
  so.faults.permanent_share = 1.0;
  so.faults.kinds = {"http_500"};
  so.faults.first_attempt = 1;
  loopback::Server server(so);
  server.start();
  const json separate = {{"api", {{"n_per_request", false}}}};
  const fs::path models =
      write_loop_models(dir, "loop", "openai-compatible", server.base_url(), separate);
  const std::string cmd = "--backend api:loop --models '" + models.string() +
                          "' --suites gsm8k --samples --gen-kwargs n_samples=3";
  LoopRun first = run_moebench(cmd, dir / "results", dir);
  INFO(first.command.output);
  REQUIRE(first.command.exit_code == 4);  // every document failed
  REQUIRE_FALSE(first.samples.empty());
  const json paid = server.ledger();
  const long docs = static_cast<long>(first.samples.size());
  CHECK(served_requests(paid) == docs);  // one answered call per document
  std::map<std::string, std::string> kept;
  for (const json& s : first.samples) {
    CHECK(s["error"]["type"] == "http");
    REQUIRE(s["responses"].size() == 1);
    kept[s["doc_id"].get<std::string>()] = s["responses"][0].get<std::string>();
  }
  // The paid answers are counted and priced in the run that paid for them.
  CHECK(first.run["tokens"]["billed"]["completion"].get<long>() ==
        ledger_served(paid, "completion"));
  CHECK(first.run["tokens"]["billed"]["prompt"].get<long>() == ledger_served(paid, "prompt"));

  // The same command once the server is healed asks each document for its 2 missing samples
  // only, and bills only those.
  server.stop();
  loopback::ServerOptions clean = so;
  clean.faults.rate = 0;
  loopback::Server healed(clean);
  healed.start();
  write_loop_models(dir, "loop", "openai-compatible", healed.base_url(), separate);
  LoopRun again = run_moebench(cmd, dir / "results", dir);
  INFO(again.command.output);
  REQUIRE(again.command.exit_code == 0);
  const json asked = healed.ledger();
  CHECK(served_requests(asked) == 2 * docs);
  for (const json& k : asked["keys"]) CHECK(k["attempts"] == 2);
  for (const json& s : again.samples) {
    CHECK(s["error"].is_null());
    REQUIRE(s["responses"].size() == 3);
    CHECK(s["responses"][0] == kept[s["doc_id"].get<std::string>()]);
  }
  const json& billed = again.run["tokens"]["billed"];
  CHECK(billed["completion"].get<long>() == ledger_served(asked, "completion"));
  CHECK(billed["prompt"].get<long>() == ledger_served(asked, "prompt"));
  CHECK(again.run["throughput"]["output_tokens"].get<long>() == ledger_served(asked, "completion"));
  // The samples' own tokens are all three calls'.
  const json& all = again.run["suites"]["gsm8k"]["tokens"]["all"];
  CHECK(all["completion"].get<long>() ==
        ledger_served(paid, "completion") + ledger_served(asked, "completion"));
  // Each resumed sample records what this run sent as its `tokens` (priced as its cost_usd) and
  // the cache's part apart: the samples add up to run.json's billed and all tokens.
  json sent = {{"prompt", 0}, {"cached_prompt", 0}, {"completion", 0}};
  json whole = sent;
  for (const json& s : again.samples) {
    REQUIRE(s["cached"] == false);
    CHECK(std::abs(s["cost_usd"].get<double>() - tokens_usd(s["tokens"])) < 1e-12);
    CHECK(s.contains("tokens_cached_part"));
    const json part = s.value("tokens_cached_part", json::object());
    for (const char* field : {"prompt", "cached_prompt", "completion"}) {
      sent[field] = sent[field].get<long>() + s["tokens"][field].get<long>();
      whole[field] =
          whole[field].get<long>() + s["tokens"][field].get<long>() + part.value(field, 0L);
    }
  }
  for (const char* field : {"prompt", "cached_prompt", "completion"}) {
    INFO(field);
    CHECK(sent[field] == billed[field]);
    CHECK(whole[field] == all[field]);
  }
  CHECK(std::abs(again.run["cost"]["usd"].get<double>() - tokens_usd(sent)) < 1e-12);
  // A third run finds every sample in the cache and asks nothing.
  LoopRun third = run_moebench(cmd, dir / "results", dir);
  REQUIRE(third.command.exit_code == 0);
  CHECK(third.run["requests"]["cache_hits"].get<long>() == docs);
  CHECK(served_requests(healed.ledger()) == 2 * docs);
  fs::remove_all(dir);
}

TEST_CASE("attempts that fail after their HTTP 200 are counted apart from the samples") {
  const fs::path dir = temp_dir("api-failed-attempts");
  loopback::ServerOptions so;
  so.answers_file = oracle_answers(dir, "gsm8k", false).string();
  // Every request's first attempt streams everything but its terminator, usage included (a
  // provider bills it); the retry is answered.
  so.faults.rate = 1.0;
  so.faults.kinds = {"truncated_sse"};
  so.faults.transient_attempts_max = 1;
  loopback::Server server(so);
  server.start();
  const fs::path models = write_loop_models(dir, "loop", "openai", server.base_url());
  LoopRun r = run_moebench(
      "--backend api:loop --models '" + models.string() + "' --suites gsm8k --samples --no-cache",
      dir / "results", dir);
  INFO(r.command.output);
  REQUIRE(r.command.exit_code == 0);
  const json ledger = server.ledger();
  const long docs = static_cast<long>(r.samples.size());
  REQUIRE(docs > 0);
  // The samples' tokens are the answered attempts' only.
  CHECK(r.run["tokens"]["billed"]["completion"].get<long>() == ledger_served(ledger, "completion"));
  long sample_completion = 0;
  for (const json& s : r.samples) sample_completion += s["tokens"]["completion"].get<long>();
  CHECK(sample_completion == ledger_served(ledger, "completion"));
  // The failed attempts' own field holds what their streams reported.
  const json& failed = r.run["tokens"]["failed_attempts"];
  CHECK(failed["attempts"] == docs);
  CHECK(failed["usage_missing"] == 0);
  for (const char* field : {"prompt", "cached_prompt", "completion"}) {
    INFO(field);
    CHECK(failed[field].get<long>() == ledger_served(ledger, field, "billed_failed"));
  }
  CHECK(ledger_served(ledger, "completion", "billed_failed") > 0);
  const json& cost = r.run["cost"];
  const auto usd = [&](const char* what) {
    return ((ledger_served(ledger, "prompt", what) - ledger_served(ledger, "cached_prompt", what)) *
                kLoopPrices["input"].get<double>() +
            ledger_served(ledger, "cached_prompt", what) *
                kLoopPrices["input_cache_hit"].get<double>() +
            ledger_served(ledger, "completion", what) * kLoopPrices["output"].get<double>()) /
           1e6;
  };
  CHECK(std::abs(cost["usd"].get<double>() - usd("served")) < 1e-12);
  CHECK(std::abs(cost["failed_attempts_usd"].get<double>() - usd("billed_failed")) < 1e-12);
  // The server processed them too: the run's throughput counts them.
  CHECK(r.run["throughput"]["output_tokens"].get<long>() ==
        ledger_served(ledger, "completion") + ledger_served(ledger, "completion", "billed_failed"));
  const CommandResult report =
      run_command(moebench_bin() + " cost --run '" + r.dir.string() +
                      "' --gpu-hour-usd 2 --models '" + models.string() + "'",
                  dir);
  INFO(report.output);
  CHECK(report.exit_code == 0);
  CHECK(report.output.find(" attempts that failed after their HTTP 200 (billed, no answer)") !=
        std::string::npos);
  fs::remove_all(dir);
}

// A price table with an off-peak window (DeepSeek's UTC 16:30-00:30 until 2025-09-05) bills the
// calls sent in it at its off-peak prices. A window of the whole day makes every call one.
TEST_CASE("calls sent in their price table's off-peak window are billed at its off-peak prices") {
  const fs::path dir = temp_dir("api-off-peak");
  loopback::ServerOptions so;
  so.answers_file = oracle_answers(dir, "gsm8k", false).string();
  loopback::Server server(so);
  server.start();
  const json off_peak = {{"input_cache_hit", 0.25}, {"input", 1.0}, {"output", 2.0}};
  const json prices = {{{"currency", "USD"},
                        {"effective_from", "2020-01-01T00:00Z"},
                        {"per_million", kLoopPrices},
                        {"off_peak", {{"utc", "00:00-24:00"}, {"per_million", off_peak}}}}};
  const fs::path models =
      write_loop_models(dir, "loop", "deepseek", server.base_url(), {{"prices", prices}});
  LoopRun r = run_moebench(
      "--backend api:loop --models '" + models.string() + "' --suites gsm8k --samples --no-cache",
      dir / "results", dir);
  INFO(r.command.output);
  REQUIRE(r.command.exit_code == 0);
  const json ledger = server.ledger();
  const long prompt = ledger_served(ledger, "prompt");
  const long cached = ledger_served(ledger, "cached_prompt");
  const long completion = ledger_served(ledger, "completion");
  const json& billed = r.run["tokens"]["billed"];
  CHECK(billed["completion"].get<long>() == completion);
  CHECK(billed["off_peak"]["prompt"].get<long>() == prompt);
  CHECK(billed["off_peak"]["cached_prompt"].get<long>() == cached);
  CHECK(billed["off_peak"]["completion"].get<long>() == completion);
  const double want = ((prompt - cached) * 1.0 + cached * 0.25 + completion * 2.0) / 1e6;
  CHECK(std::abs(r.run["cost"]["usd"].get<double>() - want) < 1e-12);
  double samples = 0;
  for (const json& s : r.samples) samples += s["cost_usd"].get<double>();
  CHECK(std::abs(samples - want) < 1e-12);
  fs::remove_all(dir);
}
