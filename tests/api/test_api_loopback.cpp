// The API backend end to end: `moebench run --backend api:<name>` against the loopback server.
// The full GSM8K test set through ~10% scripted faults (every sample scored, errors exactly where
// the fault was permanent, retries and tokens as the server's ledger counts them), then the same
// command resuming only the failed ones; the Anthropic format; choice suites scored through echo
// logprobs; SIGINT; the key kept out of every output; HTTPS.

#include <cmath>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include "tests/api/api_loopback_util.h"
#include "tests/catch.h"
#include "tests/loopback/server/text_pieces.h"

using namespace moebench;
using namespace moebench::testing;
using nlohmann::json;

namespace {

// The error type the client must report for a fault that never clears.
std::string error_for_fault(const std::string& kind) {
  static const std::map<std::string, std::string> m = {
      {"rate_limit", "rate_limit"},   {"http_500", "http"},
      {"http_503", "http"},           {"bad_request", "http"},
      {"reset", "connection"},        {"truncated_sse", "protocol"},
      {"malformed_json", "protocol"}, {"wrong_content_type", "protocol"},
      {"oversized", "oversized"},     {"slow", "timeout"}};
  return m.at(kind);
}

double usd(long prompt, long cached, long completion) {
  return ((prompt - cached) * kLoopPrices["input"].get<double>() +
          cached * kLoopPrices["input_cache_hit"].get<double>() +
          completion * kLoopPrices["output"].get<double>()) /
         1e6;
}

}  // namespace

TEST_CASE("full GSM8K through 10 percent faults: all scored, errors only where permanent") {
  if (!fs::is_directory(kData / "gsm8k")) MOEBENCH_SKIP("no GSM8K at " + kData.string());
  const fs::path dir = temp_dir("api-gsm8k");
  const fs::path answers = oracle_answers(dir, "gsm8k", true);

  loopback::ServerOptions so;
  so.answers_file = answers.string();
  so.faults.rate = 0.10;
  so.faults.permanent_share = 0.25;
  so.faults.seed = 20261123;
  so.faults.slow_ms = 6000;                            // past the client's 3 s read timeout
  so.faults.oversized_bytes = 2u << 20;                // past its 1 MiB cap
  so.faults.kinds = loopback::loopback_fault_kinds();  // bad_request included
  loopback::Server server(so);
  server.start();
  const nlohmann::json limits = {{"limits", {{"max_in_flight", 32}}}};
  const fs::path models = write_loop_models(dir, "loop", "deepseek", server.base_url(), limits);
  const std::string cmd = "--backend api:loop --models '" + models.string() +
                          "' --suites gsm8k --data-dir '" + kData.string() + "'";
  LoopRun r = run_moebench(cmd, dir / "results", dir);
  INFO(r.command.output);
  REQUIRE(r.command.exit_code == 0);
  const json ledger = server.ledger();

  // Every document scored; an error exactly where the server's fault never cleared.
  REQUIRE(r.samples.size() == 1319);
  std::map<std::string, long> expected_errors;
  long permanent = 0, faulted = 0, attempts = 0;
  for (const json& k : ledger["keys"]) {
    attempts += k["attempts"].get<long>();
    if (k["fault"].is_null()) continue;
    ++faulted;
    // A 400 is never retried: even a "transient" one is final for the client.
    if (k["permanent"].get<bool>() || k["fault"] == "bad_request") {
      ++permanent;
      ++expected_errors[error_for_fault(k["fault"])];
    }
  }
  CHECK(ledger["keys"].size() == 1319);
  CHECK(faulted > 100);  // ~10% of 1319
  CHECK(faulted < 165);
  std::map<std::string, long> errors;
  long retries = 0, correct = 0;
  for (const json& s : r.samples) {
    retries += s.value("retries", 0L);
    if (!s["error"].is_null()) {
      ++errors[s["error"]["type"].get<std::string>()];
    } else {
      correct += s["metrics"]["exact_match,strict-match"].get<double>() == 1.0;
    }
  }
  // A failed sample counts as wrong: the score is over all 1319.
  CHECK(r.run["suites"]["gsm8k"]["metrics"]["exact_match,strict-match"]["n"] == 1319);
  CHECK(errors == expected_errors);
  // The server answers with the gold responses, cut at the suite's stop sequences like any
  // model's; the few cut short are wrong in the fault-free run below too.
  CHECK(correct >= 1319 - permanent - 3);
  CHECK(retries + 1319 == attempts);  // every attempt the server saw, as counted by the client
  CHECK(r.run["latency"]["retries"].get<long>() == retries);

  // Tokens and cost: what the run bills is what the server served, cache hits included.
  const json& billed = r.run["tokens"]["billed"];
  CHECK(billed["prompt"].get<long>() == ledger_served(ledger, "prompt"));
  CHECK(billed["cached_prompt"].get<long>() == ledger_served(ledger, "cached_prompt"));
  CHECK(billed["completion"].get<long>() == ledger_served(ledger, "completion"));
  CHECK(billed["cached_prompt"].get<long>() > 0);  // the shared few-shot prefix
  const double expected_usd =
      usd(ledger_served(ledger, "prompt"), ledger_served(ledger, "cached_prompt"),
          ledger_served(ledger, "completion"));
  CHECK(std::abs(r.run["cost"]["usd"].get<double>() - expected_usd) < 1e-9);
  double sample_usd = 0;
  for (const json& s : r.samples) sample_usd += s.value("cost_usd", 0.0);
  CHECK(std::abs(sample_usd - expected_usd) < 1e-9);
  CHECK(r.run["latency"]["ttft"]["n"].get<long>() == 1319 - permanent);

  // The same command resumes: cached answers stay, only the failed documents are asked again,
  // and with the faults gone every one is answered.
  server.stop();
  loopback::ServerOptions clean = so;
  clean.faults.rate = 0;
  loopback::Server healed(clean);
  healed.start();
  write_loop_models(dir, "loop", "deepseek", healed.base_url(), limits);
  LoopRun again = run_moebench(cmd, dir / "results", dir);
  INFO(again.command.output);
  REQUIRE(again.command.exit_code == 0);
  CHECK(again.run["requests"]["cache_hits"].get<long>() == 1319 - permanent);
  CHECK(again.run["requests"]["sent"].get<long>() == permanent);
  CHECK(static_cast<long>(healed.ledger()["keys"].size()) == permanent);
  long wrong_without_faults = 0;
  for (const json& s : again.samples) {
    CHECK(s["error"].is_null());
    wrong_without_faults += s["metrics"]["exact_match,strict-match"].get<double>() != 1.0;
  }
  CHECK(correct == 1319 - permanent - wrong_without_faults);
  fs::remove_all(dir);
}

TEST_CASE("anthropic messages: streamed answers, usage with cache reads, reasoning kept apart") {
  const fs::path dir = temp_dir("api-anthropic");
  loopback::ServerOptions so;
  so.answers_file = oracle_answers(dir, "gsm8k", false).string();
  so.api_key = "ak-loop-secret-7f3a";
  so.chunk_ms = 2;
  loopback::Server server(so);
  server.start();
  const fs::path models = write_loop_models(dir, "claude", "anthropic", server.base_url(),
                                            {{"api_key_env", "LOOP_ANTHROPIC_KEY"}});
  ::setenv("LOOP_ANTHROPIC_KEY", "ak-loop-secret-7f3a", 1);
  LoopRun r = run_moebench(
      "--backend api:claude --models '" + models.string() + "' --suites gsm8k --samples",
      dir / "results", dir);
  ::unsetenv("LOOP_ANTHROPIC_KEY");
  INFO(r.command.output);
  REQUIRE(r.command.exit_code == 0);
  CHECK(r.run["suites"]["gsm8k"]["metrics"]["exact_match,strict-match"]["mean"].get<double>() ==
        1.0);
  CHECK(r.run["backend"]["family"] == "anthropic");
  const json ledger = server.ledger();
  CHECK(ledger["keys"][0]["route"] == "/v1/messages");
  CHECK(r.run["tokens"]["billed"]["prompt"].get<long>() == ledger_served(ledger, "prompt"));
  CHECK(r.run["tokens"]["billed"]["cached_prompt"].get<long>() ==
        ledger_served(ledger, "cached_prompt"));
  CHECK(r.run["tokens"]["billed"]["completion"].get<long>() == ledger_served(ledger, "completion"));
  for (const json& s : r.samples) {
    CHECK(s["ttft_s"].get<double>() > 0);
    CHECK(s["itl_s"].size() + 1 == static_cast<size_t>(s["tokens"]["completion"].get<long>()));
  }
  fs::remove_all(dir);
}

TEST_CASE("choice suites through completions echo logprobs are scored by likelihood") {
  const fs::path dir = temp_dir("api-echo");
  loopback::Server server(loopback::ServerOptions{});
  server.start();
  const fs::path models =
      write_loop_models(dir, "vllm", "openai-compatible", server.base_url(),
                        {{"api", {{"endpoint", "completions"}, {"prompt_logprobs", true}}}});
  LoopRun r = run_moebench(
      "--backend api:vllm --models '" + models.string() + "' --suites arc_challenge --samples",
      dir / "results", dir);
  INFO(r.command.output);
  REQUIRE(r.command.exit_code == 0);
  REQUIRE_FALSE(r.samples.empty());
  for (const json& s : r.samples) {
    CHECK(s["scored_by"] == "loglikelihood");
    const std::string context = s["prompt"];
    const auto& conts = s["continuations"];
    REQUIRE(s["logliks"].size() == conts.size());
    for (size_t i = 0; i < conts.size(); ++i) {
      // The server's stand-in tokens of context + continuation; those overlapping the
      // continuation are summed.
      const std::string full = context + conts[i].get<std::string>();
      const size_t lo = loopback::text_count_code_points(context);
      const size_t hi = loopback::text_count_code_points(full);
      double expect = 0;
      size_t at = 0;
      for (const std::string& piece : loopback::text_split_pieces(full)) {
        const size_t end = at + loopback::text_count_code_points(piece);
        if (end > lo && at < hi) expect += loopback::text_piece_logprob(piece);
        at = end;
      }
      CHECK(std::abs(s["logliks"][i].get<double>() - expect) < 1e-9);
    }
  }
  fs::remove_all(dir);
}

TEST_CASE("a wrong key fails every sample once with a 401 that never shows the key") {
  const fs::path dir = temp_dir("api-auth");
  loopback::ServerOptions so;
  so.api_key = "sk-right-key";
  loopback::Server server(so);
  server.start();
  // No attempt here is meant to time out: a generous read timeout keeps a loaded machine's slow
  // answer from being retried, so `retries` counts only what the 401 itself would cause.
  const fs::path models = write_loop_models(
      dir, "loop", "openai", server.base_url(),
      {{"api_key_env", "LOOP_OPENAI_KEY"}, {"transport", {{"read_timeout_s", 60}}}});
  ::setenv("LOOP_OPENAI_KEY", "sk-wrong-key-d41d8cd9", 1);
  LoopRun r =
      run_moebench("--backend api:loop --models '" + models.string() + "' --suites gsm8k --samples",
                   dir / "results", dir);
  ::unsetenv("LOOP_OPENAI_KEY");
  // Errors are data: the run completes and is written, but every sample failed, so it exits 4
  // with the summary.
  REQUIRE(r.command.exit_code == 4);
  CHECK(r.command.output.find("samples failed (100.0%)") != std::string::npos);
  CHECK(r.command.output.find("HTTP 401") != std::string::npos);
  for (const json& s : r.samples) {
    CHECK(s["error"]["type"] == "http");
    CHECK(s["error"]["message"].get<std::string>().find("HTTP 401") == 0);
    CHECK(s.value("retries", 0) == 0);
  }
  // The key is nowhere: not in the output, run.json, samples, nor the cache.
  CHECK(r.command.output.find("sk-wrong-key") == std::string::npos);
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    INFO(e.path().string());
    CHECK(read_file(e.path()).find("sk-wrong-key") == std::string::npos);
  }
  fs::remove_all(dir);
}

TEST_CASE("SIGINT stops sending, keeps what arrived in the cache, and the command resumes") {
  const fs::path dir = temp_dir("api-sigint");
  loopback::ServerOptions so;
  so.latency_ms = 150;
  loopback::Server server(so);
  server.start();
  const fs::path models = write_loop_models(dir, "loop", "openai-compatible", server.base_url(),
                                            {{"limits", {{"max_in_flight", 2}}}});
  const int stopped = interrupted_loop_run(dir, server, models, {});
  INFO(read_file(dir / "first.out"));
  CHECK(stopped == 130);
  CHECK(run_dirs(dir / "results").empty());
  const size_t first = server.ledger()["keys"].size();
  LoopRun r = run_moebench(
      "--backend api:loop --models '" + models.string() + "' --samples --suites gsm8k,math500,mmlu",
      dir / "results", dir);
  INFO(r.command.output);
  REQUIRE(r.command.exit_code == 0);
  const long docs = r.run["requests"]["docs"].get<long>();
  CHECK(docs > static_cast<long>(first));
  // Everything answered before the stop came from the cache; nothing was asked twice.
  CHECK(r.run["requests"]["cache_hits"].get<long>() == static_cast<long>(first));
  CHECK(static_cast<long>(server.ledger()["keys"].size()) == docs);
  const json ledger = server.ledger();
  for (const json& k : ledger["keys"]) {  // no request was answered twice
    CHECK(std::count(k["outcomes"].begin(), k["outcomes"].end(), "ok") == 1);
  }
  fs::remove_all(dir);
}

TEST_CASE("responses slower than the timeout are retried, then fail as timeouts") {
  const fs::path dir = temp_dir("api-slow");
  loopback::ServerOptions so;
  so.faults.rate = 1.0;
  so.faults.kinds = {"slow"};
  so.faults.transient_attempts_max = 1;
  so.faults.permanent_share = 0;
  so.faults.slow_ms = 6000;  // past the client's 3 s read timeout
  loopback::Server server(so);
  server.start();
  const fs::path models = write_loop_models(dir, "loop", "openai", server.base_url());
  LoopRun r =
      run_moebench("--backend api:loop --models '" + models.string() + "' --suites gsm8k --samples",
                   dir / "results", dir);
  INFO(r.command.output);
  REQUIRE(r.command.exit_code == 0);
  for (const json& s : r.samples) {
    CHECK(s["error"].is_null());
    CHECK(s["retries"] == 1);  // the first attempt timed out after 3 s
  }
  fs::remove_all(dir);
}

TEST_CASE("HTTPS with the server's certificate as the CA") {
  const fs::path dir = temp_dir("api-tls");
  const std::string cert = (dir / "cert.pem").string(), key = (dir / "key.pem").string();
  CommandResult made = run_command(
      "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 -addext "
      "subjectAltName=IP:127.0.0.1 -keyout '" +
          key + "' -out '" + cert + "'",
      dir);
  REQUIRE(made.exit_code == 0);
  loopback::ServerOptions so;
  so.tls_cert = cert;
  so.tls_key = key;
  loopback::Server server(so);
  server.start();
  REQUIRE(server.base_url().rfind("https://", 0) == 0);
  const fs::path models = write_loop_models(dir, "tls", "openai", server.base_url());
  const std::string base =
      "--backend api:tls --models '" + models.string() + "' --suites gsm8k --samples --no-cache";
  LoopRun ok = run_moebench(base + " --backend-opt ca_file=" + cert, dir / "results", dir);
  INFO(ok.command.output);
  REQUIRE(ok.command.exit_code == 0);
  for (const json& s : ok.samples) CHECK(s["error"].is_null());
  // Without the CA the certificate is refused: a connection error, never a silent downgrade.
  LoopRun refused = run_moebench(base + " --backend-opt max_retries=0", dir / "results", dir);
  REQUIRE(refused.command.exit_code == 4);  // every sample failed
  for (const json& s : refused.samples) CHECK(s["error"]["type"] == "connection");
  fs::remove_all(dir);
}

TEST_CASE("deepseek-reasoner: reasoning kept apart from the answer and counted as output") {
  const fs::path dir = temp_dir("api-reasoner");
  loopback::ServerOptions so;
  so.answers_file = oracle_answers(dir, "gsm8k", false).string();
  loopback::Server server(so);
  server.start();
  const fs::path models =
      write_loop_models(dir, "r1", "deepseek", server.base_url(), {{"model", "deepseek-reasoner"}});
  for (const char* stream : {"1", "0"}) {
    LoopRun r = run_moebench("--backend api:r1 --no-cache --models '" + models.string() +
                                 "' --suites gsm8k --samples --backend-opt stream=" + stream,
                             dir / "results", dir);
    INFO(r.command.output);
    REQUIRE(r.command.exit_code == 0);
    CHECK(r.run["suites"]["gsm8k"]["metrics"]["exact_match,strict-match"]["mean"] == 1.0);
    for (const json& s : r.samples) {
      REQUIRE(s["reasoning"].size() == 1);
      CHECK_FALSE(s["reasoning"][0].get<std::string>().empty());
      CHECK(s["responses"][0].get<std::string>().find(s["reasoning"][0].get<std::string>()) ==
            std::string::npos);
      CHECK(s["tokens"]["reasoning"].get<long>() > 0);
      CHECK(s["tokens"]["reasoning"].get<long>() < s["tokens"]["completion"].get<long>());
    }
  }
  const json ledger = server.ledger();
  CHECK(ledger_served(ledger, "reasoning") > 0);
  fs::remove_all(dir);
}

TEST_CASE("a 429 with Retry-After is waited out, then answered") {
  const fs::path dir = temp_dir("api-retry-after");
  loopback::ServerOptions so;
  so.faults.rate = 1.0;
  so.faults.kinds = {"rate_limit"};
  so.faults.transient_attempts_max = 1;
  so.faults.retry_after_s = 1;
  loopback::Server server(so);
  server.start();
  const fs::path models = write_loop_models(dir, "loop", "openai", server.base_url());
  LoopRun r = run_moebench(
      "--backend api:loop --models '" + models.string() + "' --suites gsm8k --samples --no-cache",
      dir / "results", dir);
  INFO(r.command.output);
  REQUIRE(r.command.exit_code == 0);
  for (const json& s : r.samples) {
    CHECK(s["error"].is_null());
    CHECK(s["retries"] == 1);
  }
  // Full-jitter backoff is capped at 0.05 s here: only the header can make the run wait 1 s.
  CHECK(r.run["timings"]["dispatch_s"].get<double>() >= 1.0);
  fs::remove_all(dir);
}

// A server that sends no usage (here: asked without stream_options, as servers that refuse it
// must be) leaves the client counting streamed chunks and no prompt: the tokens are an estimate
// and the cost unknown, never a confident wrong figure.
TEST_CASE("responses without usage give no cost and are counted as such") {
  const fs::path dir = temp_dir("api-no-usage");
  loopback::ServerOptions so;
  so.answers_file = oracle_answers(dir, "gsm8k", false).string();
  loopback::Server server(so);
  server.start();
  const fs::path models = write_loop_models(dir, "loop", "openai", server.base_url(),
                                            {{"api", {{"omit", {"stream_options"}}}}});
  LoopRun r = run_moebench(
      "--backend api:loop --models '" + models.string() + "' --suites gsm8k --samples --no-cache",
      dir / "results", dir);
  INFO(r.command.output);
  REQUIRE(r.command.exit_code == 0);
  const json& suite = r.run["suites"]["gsm8k"];
  CHECK(suite["metrics"]["exact_match,strict-match"]["mean"] == 1.0);
  CHECK(suite["tokens"]["usage_missing"] == r.samples.size());
  CHECK(suite["cost"].is_null());
  CHECK(r.run["cost"].is_null());
  for (const json& s : r.samples) {
    CHECK(s["usage_missing"] == true);
    CHECK_FALSE(s.contains("cost_usd"));
  }
  fs::remove_all(dir);
}

// An answer without usage keeps that fact in the cache: a later run taking it from there marks
// the sample, counts it and leaves the cost null, where it priced the client's count (no prompt)
// as a confident figure, on run.json and the leaderboard.
TEST_CASE("answers without usage taken from the cache keep their cost unknown") {
  const fs::path dir = temp_dir("api-no-usage-cached");
  loopback::ServerOptions so;
  so.answers_file = oracle_answers(dir, "gsm8k", false).string();
  loopback::Server server(so);
  server.start();
  const fs::path models = write_loop_models(dir, "loop", "openai", server.base_url(),
                                            {{"api", {{"omit", {"stream_options"}}}}});
  const std::string cmd =
      "--backend api:loop --models '" + models.string() + "' --suites gsm8k --samples";
  LoopRun first = run_moebench(cmd, dir / "results", dir);
  INFO(first.command.output);
  REQUIRE(first.command.exit_code == 0);
  LoopRun again = run_moebench(cmd, dir / "results", dir);
  INFO(again.command.output);
  REQUIRE(again.command.exit_code == 0);
  REQUIRE(again.run["requests"]["cache_hits"] == again.samples.size());
  const json& suite = again.run["suites"]["gsm8k"];
  CHECK(suite["tokens"]["usage_missing"] == again.samples.size());
  CHECK(suite["cost"].is_null());
  CHECK(again.run["cost"].is_null());
  for (const json& s : again.samples) {
    CHECK(s["cached"] == true);
    CHECK(s["usage_missing"] == true);
  }
  // The leaderboard's cost of every sample stays unknown: no dollar figure on the model's row.
  const CommandResult md =
      run_command(moebench_bin() + " report '" + (dir / "results").string() + "' --format md", dir);
  INFO(md.output);
  REQUIRE(md.exit_code == 0);
  std::string row, line;
  std::istringstream lines(md.output);
  while (std::getline(lines, line)) {
    if (line.find("| api:loop |") != std::string::npos) row = line;
  }
  REQUIRE_FALSE(row.empty());
  CHECK(row.find('$') == std::string::npos);
  fs::remove_all(dir);
}

// Answers not streamed have no TTFT: with n samples in separate calls, the second call took the
// first call's whole latency as the response's TTFT (run.json counted them "streamed").
TEST_CASE("samples asked in separate calls without streaming report no TTFT") {
  const fs::path dir = temp_dir("api-no-stream-ttft");
  loopback::ServerOptions so;
  so.answers_file = oracle_answers(dir, "gsm8k", false).string();
  loopback::Server server(so);
  server.start();
  const fs::path models =
      write_loop_models(dir, "loop", "openai-compatible", server.base_url(),
                        {{"api", {{"stream", false}, {"n_per_request", false}}}});
  LoopRun r = run_moebench("--backend api:loop --models '" + models.string() +
                               "' --suites gsm8k --samples --no-cache --gen-kwargs n_samples=2",
                           dir / "results", dir);
  INFO(r.command.output);
  REQUIRE(r.command.exit_code == 0);
  CHECK(r.run["latency"]["streamed"] == 0);
  CHECK(r.run["latency"]["ttft"]["n"] == 0);
  for (const json& s : r.samples) CHECK(s["ttft_s"] == 0);
  fs::remove_all(dir);
}
