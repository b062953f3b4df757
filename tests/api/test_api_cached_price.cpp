// The leaderboard costs every sample, answers from the cache included: a run prices its cached
// answers at one table for all of its suites, the latest it billed at (reviewer 86, F1), never at
// the table in effect when its backend was made if it paid nothing there.

#include <filesystem>

#include "reports/leaderboard.h"
#include "reports/report_site.h"
#include "tests/api/api_loopback_util.h"
#include "tests/catch.h"

using namespace moebench;
using namespace moebench::testing;
using nlohmann::json;

namespace {

const json kDear = {{"input_cache_hit", 5.0}, {"input", 20.0}, {"output", 80.0}};

// Two tables: the loop prices until `change`, kDear from it.
json two_tables(const std::string& change) {
  return json::array({{{"currency", "USD"},
                       {"effective_from", "2025-12-01"},
                       {"effective_until", change},
                       {"per_million", kLoopPrices}},
                      {{"currency", "USD"}, {"effective_from", change}, {"per_million", kDear}}});
}

double tokens_usd(const json& t, const json& rates) {
  const long prompt = t["prompt"].get<long>(), cached = t["cached_prompt"].get<long>();
  return ((prompt - cached) * rates["input"].get<double>() +
          cached * rates["input_cache_hit"].get<double>() +
          t["completion"].get<long>() * rates["output"].get<double>()) /
         1e6;
}

// The suite's tokens from the cache (all less billed) at `rates`.
double cached_usd(const json& suite, const json& rates) {
  json cached = suite["tokens"]["all"];
  for (const char* f : {"prompt", "cached_prompt", "completion"}) {
    cached[f] = cached[f].get<long>() - suite["tokens"]["billed"][f].get<long>();
  }
  return tokens_usd(cached, rates);
}

LoopRun run_at(const std::string& args, const fs::path& results, const fs::path& dir,
               const std::string& start) {
  ::setenv("MOEBENCH_FAKE_NOW", (start + "+60").c_str(), 1);
  LoopRun r = run_moebench(args, results, dir);
  ::unsetenv("MOEBENCH_FAKE_NOW");
  INFO(r.command.output);
  REQUIRE(r.command.exit_code == 0);
  return r;
}

// The leaderboard's one row of `results`: its cost must be the run's billed cost and every
// suite's cached answers at kDear, the later table (the only one billed, or the latest).
void check_leaderboard(const fs::path& results, const LoopRun& run) {
  double want = run.run["cost"]["usd"].get<double>();
  for (const auto& [name, suite] : run.run["suites"].items()) want += cached_usd(suite, kDear);
  const ReportData data = report_load(results);
  const Leaderboard board = leaderboard_build(data.runs, data.latency, ReportOptions{});
  REQUIRE(board.rows.size() == 1);
  REQUIRE(board.rows[0].cost_usd.has_value());
  CHECK(*board.rows[0].cost_usd == Approx(want).epsilon(1e-9));
}

// A loopback server answering gsm8k and mmlu correctly, priced by two_tables(change), with one
// request in flight; `args` runs it from a shared cache and ends with --suites. `prewarm` runs
// `prewarm_suites` first at a time on the first table, so the later runs find them cached.
struct CachedPriceSetup {
  fs::path dir;
  loopback::Server server;
  std::string args;

  CachedPriceSetup(const std::string& name, const std::string& change,
                   const std::string& prewarm_suites)
      : dir(temp_dir(name)), server(answers_options(dir)) {
    server.start();
    const fs::path models =
        write_loop_models(dir, "loop", "deepseek", server.base_url(),
                          {{"prices", two_tables(change)}, {"limits", {{"max_in_flight", 1}}}});
    args = "--backend api:loop --models '" + models.string() + "' --samples --cache '" +
           (dir / "c.sqlite").string() + "' --suites ";
    run_at(args + prewarm_suites, dir / "pre", dir, "2025-12-31T12:00Z");
  }
  ~CachedPriceSetup() {
    server.stop();
    fs::remove_all(dir);
  }

  static loopback::ServerOptions answers_options(const fs::path& dir) {
    loopback::ServerOptions so;
    so.answers_file = oracle_answers(dir, "gsm8k,mmlu", false).string();
    return so;
  }
};

}  // namespace

// lb8: the backend is made at 00:00 (the first table), its first request goes out at 00:01, the
// change: everything billed is at the later table, and gsm8k, all from the cache, too.
TEST_CASE("a suite all from the cache is priced at the table its run billed at") {
  CachedPriceSetup setup("api-cached-price", "2026-01-01T00:01Z", "gsm8k");
  const fs::path& dir = setup.dir;
  const std::string& args = setup.args;
  const LoopRun r = run_at(args + "gsm8k,mmlu", dir / "results", dir, "2026-01-01T00:00Z");
  const json& gsm8k = r.run["suites"]["gsm8k"];
  REQUIRE(gsm8k["tokens"]["billed"]["prompt"] == 0);
  REQUIRE(r.run["cost"]["prices"]["effective_from"] == "2026-01-01T00:01Z");
  // Not the table in effect when the backend was made, at which nothing was billed.
  CHECK(gsm8k["cost"]["prices"]["effective_from"] == "2026-01-01T00:01Z");
  CHECK(gsm8k["cost"].value("cached_usd", -1.0) == Approx(cached_usd(gsm8k, kDear)));
  check_leaderboard(dir / "results", r);
}

// lb7: one gsm8k answer is in the cache; the run sends gsm8k's other two at the first table and
// mmlu's at the second: both suites' cached answers are priced at the second, the run's latest.
TEST_CASE("every suite of a run prices its cached answers at the run's latest table") {
  CachedPriceSetup setup("api-cached-price-latest", "2026-01-01T00:03Z", "gsm8k --limit 1");
  const fs::path& dir = setup.dir;
  const std::string& args = setup.args;
  const LoopRun r = run_at(args + "gsm8k,mmlu", dir / "results", dir, "2026-01-01T00:00Z");
  const json& gsm8k = r.run["suites"]["gsm8k"];
  REQUIRE(gsm8k["cache_hits"] == 1);
  REQUIRE(gsm8k["cost"]["prices"]["effective_from"] == "2025-12-01");  // billed there only
  REQUIRE(r.run["cost"]["prices"].size() == 2);
  CHECK(gsm8k["cost"].value("cached_usd", -1.0) == Approx(cached_usd(gsm8k, kDear)));
  check_leaderboard(dir / "results", r);
}

// r86 F2 (lb4): shard 0 runs wholly at the first table, shard 1 wholly at the second, gsm8k all
// from the cache in both. Merged, gsm8k lists no table at which nothing was billed, and the
// leaderboard costs the merged run as the two shards pooled: each shard's cached answers at its
// own table.
TEST_CASE("merged shards cost on the leaderboard what the shards pooled cost") {
  CachedPriceSetup setup("api-cached-price-merge", "2026-01-01T00:01Z", "gsm8k");
  const fs::path& dir = setup.dir;
  const std::string& args = setup.args;
  const LoopRun s0 =
      run_at(args + "gsm8k,mmlu --shard 0/2", dir / "shards", dir, "2025-12-31T20:00Z");
  const LoopRun s1 =
      run_at(args + "gsm8k,mmlu --shard 1/2", dir / "shards", dir, "2026-01-01T05:00Z");
  REQUIRE(s0.run["cost"]["prices"]["effective_from"] == "2025-12-01");
  REQUIRE(s1.run["cost"]["prices"]["effective_from"] == "2026-01-01T00:01Z");
  double want = s0.run["cost"]["usd"].get<double>() + s1.run["cost"]["usd"].get<double>();
  for (const auto& [name, suite] : s0.run["suites"].items()) want += cached_usd(suite, kLoopPrices);
  for (const auto& [name, suite] : s1.run["suites"].items()) want += cached_usd(suite, kDear);
  const CommandResult merged =
      run_command(moebench_bin() + " merge '" + s0.dir.string() + "' '" + s1.dir.string() +
                      "' -o '" + (dir / "merged" / "m").string() + "'",
                  dir);
  INFO(merged.output);
  REQUIRE(merged.exit_code == 0);
  const json run = json::parse(read_file(dir / "merged" / "m" / "run.json"));
  const json& gsm8k = run["suites"]["gsm8k"];
  REQUIRE(gsm8k["tokens"]["billed"]["prompt"] == 0);
  // Nothing was billed for gsm8k: the merged run's latest table, as a run that billed nothing.
  json latest = run["cost"]["prices"].back();
  latest.erase("tokens");
  latest.erase("usd");
  CHECK(gsm8k["cost"]["prices"] == latest);
  CHECK(gsm8k["cost"]["prices"]["effective_from"] == "2026-01-01T00:01Z");
  for (const json& t : run["cost"]["prices"]) {
    CHECK((t["tokens"]["prompt"].get<long>() > 0 || t["usd"].get<double>() > 0));
  }
  for (const fs::path& results : {dir / "shards", dir / "merged"}) {
    INFO(results.string());
    const ReportData data = report_load(results);
    const Leaderboard board = leaderboard_build(data.runs, data.latency, ReportOptions{});
    REQUIRE(board.rows.size() == 1);
    REQUIRE(board.rows[0].cost_usd.has_value());
    CHECK(*board.rows[0].cost_usd == Approx(want).epsilon(1e-9));
  }
}
