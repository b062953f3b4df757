// kill -9 loses no paid answer that arrived (README "Runs are resumable"): the samples of a
// document asked in n separate calls reach the cache as each call returns, not when the last
// does, and so does each request of a `--batch-size N` batch, which an API worker answers one
// after another. The loopback server hangs a scripted call for good; once the calls before it are
// answered and in the cache, the run is killed and the same command resumes against a healed
// server, whose ledger shows exactly the calls that had not been answered.
#include <signal.h>
#include <sqlite3.h>

#include <filesystem>

#include "tests/api/api_loopback_util.h"
#include "tests/catch.h"

using namespace moebench;
using namespace moebench::testing;
using nlohmann::json;

namespace {

// The samples the response cache holds, over every response (partial ones included).
long cached_samples(const fs::path& db_file) {
  long n = 0;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(db_file.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK) {
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db, "SELECT response FROM responses", -1, &st, nullptr);
    while (st && sqlite3_step(st) == SQLITE_ROW) {
      const json r = json::parse(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)));
      n += static_cast<long>(r.value("texts", json::array()).size());
    }
    sqlite3_finalize(st);
  }
  sqlite3_close(db);
  return n;
}

long served_requests(const json& ledger) {
  long n = 0;
  for (const json& k : ledger["keys"]) n += k["served"]["requests_ok"].get<long>();
  return n;
}

// Calls the server began and never answered (the hung ones).
long hung_calls(const json& ledger) {
  long n = 0;
  for (const json& k : ledger["keys"]) n += k["attempts"].get<long>() - k["outcomes"].size();
  return n;
}

// Every request key's attempts from `first` on hang (until the server stops): the calls of a
// document (or of its repeats) with identical bodies share a key, so its first `first` are
// answered. Timeouts far above the test's life: the hung calls are never retried.
struct Hanging {
  fs::path dir;
  loopback::ServerOptions options;
  std::unique_ptr<loopback::Server> server;
  json entry = {{"transport", {{"read_timeout_s", 600}, {"total_timeout_s", 600}}}};
  fs::path models;

  Hanging(const std::string& tag, int first, const json& extra) : dir(temp_dir(tag)) {
    options.faults.rate = 1.0;
    options.faults.permanent_share = 1.0;
    options.faults.kinds = {"slow"};
    options.faults.slow_ms = 600000;
    entry.update(extra, true);
    hang_from(first);
  }

  // A new server (a fresh ledger) hanging each key's calls from `first` on.
  void hang_from(int first) {
    if (server) server->stop();
    options.faults.first_attempt = first;
    server = std::make_unique<loopback::Server>(options);
    server->start();
    models = write_loop_models(dir, "loop", "openai-compatible", server->base_url(), entry);
  }

  // Starts `moebench run --backend api:loop` with `args`, waits until `hung` calls hang and
  // `answered` were answered, then until the cache holds `samples` samples, and kills the run
  // with SIGKILL.
  void run_and_kill(const std::vector<std::string>& args, long hung, long answered, long samples) {
    std::vector<std::string> argv = {
        moebench_bin(), "run",           "--backend",     "api:loop",
        "--models",     models.string(), "--results-dir", (dir / "results").string(),
        "--no-progress"};
    argv.insert(argv.end(), args.begin(), args.end());
    const pid_t pid = spawn(argv, dir / "first.out");
    const bool in_place = wait_until([&] {
      const json l = server->ledger();
      return hung_calls(l) == hung && served_requests(l) == answered;
    });
    // NOTE: 30 s is far above the cache's 0.2 s commit delay on a loaded machine.
    const fs::path cache = dir / "results" / "cache.sqlite";
    if (in_place) wait_until([&] { return cached_samples(cache) == samples; }, 30);
    ::kill(pid, SIGKILL);
    CHECK(wait_exit(pid) == 128 + SIGKILL);
    INFO(read_file(dir / "first.out"));
    REQUIRE(in_place);
    CHECK(cached_samples(cache) == samples);
  }

  // The same command against a server without faults (the models file pointed at it).
  LoopRun resume(const std::string& args, loopback::Server& healed) {
    server->stop();
    write_loop_models(dir, "loop", "openai-compatible", healed.base_url(), entry);
    return run_moebench("--backend api:loop --models '" + models.string() + "' " + args,
                        dir / "results", dir);
  }
};

}  // namespace

TEST_CASE("kill -9 keeps the samples a document's separate calls answered before it") {
  // code-sampling asks 10 samples of each HumanEval and MBPP document; without n_per_request
  // that is 10 calls, the documents all in flight at once (16 allowed), the third call of each
  // hangs.
  const long docs = 6, n = 10, first = 2;
  Hanging h("api-kill-samples", first, {{"api", {{"n_per_request", false}}}});
  const std::string args = "--profile code-sampling --samples --suites humaneval,mbpp";
  const std::vector<std::string> argv = {"--profile", "code-sampling", "--samples", "--suites",
                                         "humaneval,mbpp"};
  h.run_and_kill(argv, docs, first * docs, first * docs);
  // Killed again once the resumed run has 2 more samples of each: the cache holds those after
  // the 2 it had.
  h.hang_from(first);
  h.run_and_kill(argv, docs, first * docs, 2 * first * docs);

  loopback::ServerOptions clean;
  loopback::Server healed(clean);
  healed.start();
  LoopRun r = h.resume(args, healed);
  INFO(r.command.output);
  REQUIRE(r.command.exit_code == 0);
  CHECK(r.run["requests"]["docs"].get<long>() == docs);
  // Only the samples not answered before the kills were asked for.
  CHECK(served_requests(healed.ledger()) == (n - 2 * first) * docs);
  REQUIRE(r.samples.size() == static_cast<size_t>(docs));
  for (const json& s : r.samples) {
    CHECK(s["error"].is_null());
    CHECK(s["responses"].size() == static_cast<size_t>(n));
  }
  fs::remove_all(h.dir);
}

TEST_CASE("kill -9 keeps the answers of a --batch-size batch answered before it") {
  // One worker answers the whole batch, one request after another: a document's 4 repeats send
  // the same body (one key), and the 4th hangs, after 3 answers.
  const long repeats = 4, answered = repeats - 1;
  Hanging h("api-kill-batch", static_cast<int>(answered), {{"limits", {{"max_in_flight", 1}}}});
  const std::string args = "--samples --suites gsm8k --repeats 4 --batch-size 64";
  h.run_and_kill({"--samples", "--suites", "gsm8k", "--repeats", "4", "--batch-size", "64"}, 1,
                 answered, answered);

  loopback::ServerOptions clean;
  loopback::Server healed(clean);
  healed.start();
  LoopRun r = h.resume(args, healed);
  INFO(r.command.output);
  REQUIRE(r.command.exit_code == 0);
  const long requests = static_cast<long>(r.samples.size());
  CHECK(requests > repeats);
  CHECK(r.run["requests"]["cache_hits"].get<long>() == answered);
  CHECK(served_requests(healed.ledger()) == requests - answered);
  fs::remove_all(h.dir);
}
