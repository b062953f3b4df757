// `moebench merge`: the shards of a run merge into exactly the unsharded run (samples in the same
// order, every metric, stderr, CI and group to the last digit), from any directories; runs that
// are not shards of one run, missing, overlapping or edited shards are refused with one line.
#include <cmath>
#include <map>
#include <set>

#include "tests/catch.h"
#include "tests/runner/cli_harness.h"

using namespace moebench::testing;
using nlohmann::json;

namespace {

const fs::path kData = fs::path(MOEBENCH_SOURCE_DIR "/../shared/datasets");

// Per-sample fields that differ between any two runs of the same requests (time, cache, retries).
json stable_sample(const std::string& line) {
  json j = json::parse(line);
  for (const char* k : {"latency_s", "ttft_s", "tpot_s", "itl_s", "cached", "retries"}) j.erase(k);
  return j;
}

// The oracle's answers with planted failures (every third document of each suite answers wrong)
// as a replay file, so the merged metrics are neither 0 nor 1 and have subjects of both kinds.
// The suites these tests run: three forms (generation, log-likelihood, code execution).
const char* kSuites = "gsm8k,mmlu,humaneval";

// Gaokao's oracle answer "【答案】B C A" with its first sub-answer wrong ("A" -> "B", else "A"):
// a one-question item scores 0, one of n sub-questions (n-1)/n.
std::string wrong_first_answer(const std::string& oracle) {
  const std::string mark = "【答案】";
  REQUIRE(oracle.rfind(mark, 0) == 0);
  std::string rest = oracle.substr(mark.size());
  const std::string first = rest.substr(0, rest.find(' '));
  return mark + (first == "A" ? "B" : "A") + rest.substr(first.size());
}

fs::path replay_file(const fs::path& dir, const std::string& scope,
                     const std::string& suites = kSuites) {
  const fs::path results = dir / "oracle-results";
  auto r =
      run_command(moebench_bin() + " run --backend oracle --suites " + suites + " " + scope +
                      " --run-id oracle --no-progress --results-dir '" + results.string() + "'",
                  dir);
  REQUIRE(r.exit_code == 0);
  const fs::path out = dir / "replay.jsonl";
  std::ofstream file(out);
  long k = 0;
  for (const std::string& line : read_lines(results / "oracle" / "samples.jsonl")) {
    json j = json::parse(line);
    if (k++ % 3 == 1) {
      if (j["suite"] == "gsm8k") j["responses"] = {"The total is 7.\n#### 7"};
      if (j["suite"] == "humaneval") j["responses"] = {"    return None\n"};
      if (j["suite"] == "gaokao") j["responses"] = {wrong_first_answer(j["responses"][0])};
      if (j["suite"] == "mmlu") {
        std::reverse(j["logliks"].begin(), j["logliks"].end());
        j["logliks"][0] = j["logliks"][0].get<double>() + 0.5;  // no tie with the gold's
      }
    }
    file << j.dump() << "\n";
  }
  return out;
}

std::string run_args(const fs::path& replay, const std::string& scope, const fs::path& results,
                     const std::string& suites = kSuites) {
  return moebench_bin() + " run --backend 'replay:" + replay.string() + "' --suites " + suites +
         " " + scope + " --no-progress --results-dir '" + results.string() + "' --cache '" +
         (results / "cache.sqlite").string() + "'";
}

void require_same_run(const fs::path& a, const fs::path& b) {
  const auto la = read_lines(a / "samples.jsonl"), lb = read_lines(b / "samples.jsonl");
  REQUIRE(la.size() == lb.size());
  for (size_t i = 0; i < la.size(); ++i) {
    INFO("sample line " << i + 1);
    REQUIRE(stable_sample(la[i]) == stable_sample(lb[i]));
  }
  const json ra = json::parse(read_file(a / "run.json")),
             rb = json::parse(read_file(b / "run.json"));
  REQUIRE(ra["suites"].size() == rb["suites"].size());
  for (const auto& [name, suite] : ra["suites"].items()) {
    INFO(name);
    for (const char* field : {"metrics", "groups", "n_docs", "errors", "version", "spec"}) {
      INFO(field);
      CHECK(suite[field] == rb["suites"][name][field]);
    }
  }
  CHECK(ra["requests"]["docs"] == rb["requests"]["docs"]);
  CHECK(ra["backend"]["id"] == rb["backend"]["id"]);
}

}  // namespace

TEST_CASE("merge: four shards give the unsharded run to the last digit, from any directories",
          "[runner][merge]") {
  const fs::path dir = temp_dir("merge-equal");
  // NOTE: --limit counts per subject: 7 documents of gsm8k and humaneval, 7 of each of MMLU's 57
  // subjects (413 in all, not a multiple of 4); every metric has failures and successes.
  const std::string scope = "--data-dir '" + kData.string() + "' --limit 7";
  const fs::path replay = replay_file(dir, scope);
  const fs::path whole = dir / "whole", parts = dir / "parts";
  REQUIRE(run_command(run_args(replay, scope, whole) + " --run-id all", dir).exit_code == 0);
  for (int i = 0; i < 4; ++i) {
    // Each shard in a directory of its own, as if written on another machine.
    const fs::path results = parts / ("machine" + std::to_string(i));
    const std::string shard = std::to_string(i) + "/4";
    auto r =
        run_command(run_args(replay, scope, results) + " --shard " + shard + " --run-id s", dir);
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
  }
  // Given in any order.
  auto r = run_command(moebench_bin() + " merge " + (parts / "machine2/s").string() + " " +
                           (parts / "machine0/s").string() + " " + (parts / "machine3/s").string() +
                           " " + (parts / "machine1/s").string() + " -o " +
                           (dir / "merged" / "nightly").string(),
                       dir);
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK(r.output.find("merged 4 shards (413 documents)") != std::string::npos);
  require_same_run(whole / "all", dir / "merged" / "nightly");

  const json merged = json::parse(read_file(dir / "merged" / "nightly" / "run.json"));
  CHECK(merged["run_id"] == "nightly");
  CHECK(merged["options"]["shard"] == "0/1");
  CHECK(merged["merge"]["shard_count"] == 4);
  CHECK(merged["merge"]["runs"].size() == 4);
  // The planted failures make every metric informative: not all right, not all wrong, and MMLU
  // pools its 57 subjects.
  for (const auto& [name, suite] : merged["suites"].items()) {
    for (const auto& [id, m] : suite["metrics"].items()) {
      INFO(name << " " << id);
      CHECK(m["mean"].get<double>() > 0.5);
      CHECK(m["mean"].get<double>() < 0.8);
      CHECK(m["stderr"].get<double>() > 0);
    }
  }
  CHECK(merged["suites"]["mmlu"]["groups"].size() == 57);

  // An existing merged run is replaced only with --force.
  const std::string again =
      moebench_bin() + " merge " + (parts / "machine0/s").string() + " " +
      (parts / "machine1/s").string() + " " + (parts / "machine2/s").string() + " " +
      (parts / "machine3/s").string() + " -o " + (dir / "merged" / "nightly").string();
  auto refused = run_command(again, dir);
  CHECK(refused.exit_code == 2);
  CHECK(refused.output.find("already exists; pass --force") != std::string::npos);
  CHECK(run_command(again + " --force", dir).exit_code == 0);
  fs::remove_all(dir);
}

TEST_CASE("merge: runs that are not the shards of one run are refused with one line",
          "[runner][merge]") {
  const fs::path dir = temp_dir("merge-refuse");
  const std::string scope = "--samples";
  const fs::path replay = replay_file(dir, scope);
  const fs::path results = dir / "results";
  auto shard = [&](const std::string& id, const std::string& which, const std::string& extra) {
    auto r = run_command(
        run_args(replay, scope, results) + " --shard " + which + " --run-id " + id + " " + extra,
        dir);
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    return (results / id).string();
  };
  const std::string s0 = shard("s0", "0/3", ""), s1 = shard("s1", "1/3", ""),
                    s2 = shard("s2", "2/3", "");
  const std::string other_seed = shard("seed7", "2/3", "--seed 7");
  const std::string of_four = shard("of4", "2/4", "");
  const std::string limited = shard("lim", "2/3", "--limit 2");
  fs::copy(results / "s1", dir / "s1-copy", fs::copy_options::recursive);
  // As the built-in backend writes a shard run with --backend-opt truncate=left: its answers are
  // another backend's (the cache keeps them apart by this tag).
  fs::copy(results / "s2", dir / "s2-left", fs::copy_options::recursive);
  json left = json::parse(read_file(dir / "s2-left" / "run.json"));
  left["backend"]["cache_tag"] = "truncate-left";
  std::ofstream(dir / "s2-left" / "run.json", std::ios::trunc) << left.dump(2);
  // As a shard written by a moebench whose suite asked another way: the refusal names the key.
  fs::copy(results / "s2", dir / "s2-spec", fs::copy_options::recursive);
  json respec = json::parse(read_file(dir / "s2-spec" / "run.json"));
  const std::string first_suite = respec["suites"].begin().key();
  json& shots = respec["suites"][first_suite]["spec"]["prompt"]["num_fewshot"];
  const std::string spec_was = shots.dump();
  shots = 99;
  std::ofstream(dir / "s2-spec" / "run.json", std::ios::trunc) << respec.dump(2);
  const std::string out = " -o " + (dir / "out" / "m").string();
  auto refused = [&](const std::string& runs, const std::string& needle) {
    auto r = run_command(moebench_bin() + " merge " + runs + out, dir);
    INFO(r.output);
    CHECK(r.exit_code == 2);
    CHECK(r.output.find(needle) != std::string::npos);
    CHECK(std::count(r.output.begin(), r.output.end(), '\n') == 1);
    CHECK(!fs::exists(dir / "out" / "m"));
  };
  refused(s0 + " " + s1 + " " + other_seed,
          "runs '" + s0 + "' and '" + other_seed + "' differ in options.seed (1234 vs 7)");
  refused(s0 + " " + s1 + " " + of_four, "differ in the shard count (options.shard");
  refused(s0 + " " + s1 + " " + limited, "differ in options.limit (null vs 2)");
  refused(s0 + " " + s1 + " " + (dir / "s2-left").string(),
          "differ in backend.cache_tag (null vs \"truncate-left\")");
  refused(s0 + " " + s1 + " " + (dir / "s2-spec").string(),
          "differ in suites." + first_suite + ".spec.prompt.num_fewshot (" + spec_was + " vs 99)");
  refused(s0 + " " + s1, "shard 2/3 missing");
  refused(s0, "shards 1/3, 2/3 missing");
  refused(s0 + " " + s1 + " " + (dir / "s1-copy").string() + " " + s2,
          "are both shard 1/3 (overlapping shards)");
  refused(s0 + " " + s1 + " " + (dir / "nowhere").string(), "cannot read (not a run directory?)");

  // Merged beside its shards, the leaderboard shows the run once, through the merged run.
  const fs::path site = dir / "site-results";
  fs::create_directories(site);
  for (const char* id : {"s0", "s1", "s2"}) {
    fs::copy(results / id, site / id, fs::copy_options::recursive);
  }
  REQUIRE(run_command(moebench_bin() + " merge " + (site / "s0").string() + " " +
                          (site / "s1").string() + " " + (site / "s2").string() + " -o " +
                          (site / "merged").string(),
                      dir)
              .exit_code == 0);
  auto md = run_command(moebench_bin() + " report " + site.string() + " --format md", dir);
  INFO(md.output);
  CHECK(md.exit_code == 0);
  CHECK(md.output.find("| 1 | replay:") != std::string::npos);
  CHECK(md.output.find("| 2 |") == std::string::npos);
  CHECK(md.output.find("shards") == std::string::npos);

  // A shard whose samples.jsonl lost a line no longer holds its share of the documents.
  auto lines = read_lines(results / "s2" / "samples.jsonl");
  std::ofstream(results / "s2" / "samples.jsonl") << lines.front() << "\n";
  refused(s0 + " " + s1 + " " + s2, "not a shard of the same selection");
  fs::remove_all(dir);
}

TEST_CASE("merge: the error-rate gate applies to the merged run, not to each shard",
          "[runner][merge]") {
  // Shards of a few documents each: one failed sample is a large share of a shard and a small one
  // of the run. The shards run with --max-error-rate 1; the merge decides on the whole.
  const fs::path dir = temp_dir("merge-errors");
  const std::string scope = "--data-dir '" + kData.string() + "' --limit 12";
  const std::string suites = "gsm8k,mmlu:abstract_algebra,humaneval";  // 36 documents
  const fs::path full = replay_file(dir, scope, suites);
  const fs::path replay = dir / "missing-one.jsonl";
  auto lines = read_lines(full);
  lines.erase(lines.begin() + 4);  // gsm8k document 4: "no recorded response"
  std::ofstream(replay) << [&] {
    std::string all;
    for (const auto& l : lines) all += l + "\n";
    return all;
  }();
  const fs::path results = dir / "results";
  std::string runs;
  for (int i = 0; i < 4; ++i) {
    auto r = run_command(run_args(replay, scope, results, suites) + " --max-error-rate 1 --shard " +
                             std::to_string(i) + "/4 --run-id s" + std::to_string(i),
                         dir);
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    runs += " " + (results / ("s" + std::to_string(i))).string();
  }
  // Alone, shard 0 (1 of its 9 samples failed, 11%) fails the default 5% gate.
  auto alone =
      run_command(run_args(replay, scope, results, suites) + " --shard 0/4 --run-id alone", dir);
  CHECK(alone.exit_code == 4);
  // 1 of the 36 samples failed (2.8%): under the default 5%.
  auto ok = run_command(moebench_bin() + " merge" + runs + " -o " + (dir / "m1").string(), dir);
  INFO(ok.output);
  CHECK(ok.exit_code == 0);
  // The failures are listed as `run` lists them, by type with the first (reviewer 83, F9).
  CHECK(ok.output.find("moebench: 1 of 36 samples failed (2.8%); they count 0:") !=
        std::string::npos);
  CHECK(ok.output.find("  not_found         1  first: gsm8k/") != std::string::npos);
  auto strict = run_command(
      moebench_bin() + " merge" + runs + " -o " + (dir / "m2").string() + " --max-error-rate 0.02",
      dir);
  INFO(strict.output);
  CHECK(strict.exit_code == 4);
  CHECK(strict.output.find("moebench: error: 2.8% of the merged samples failed, more than "
                           "--max-error-rate 2.0%; the run is written") != std::string::npos);
  CHECK(fs::exists(dir / "m2" / "run.json"));
  fs::remove_all(dir);
}

// A night's shards can straddle a price change (DeepSeek's took effect mid-day): the merged cost
// is what each shard was billed at its own prices, not every shard's tokens at shard 0's.
TEST_CASE("merge: the cost is the shards' costs summed, each at its own prices",
          "[runner][merge]") {
  const fs::path dir = temp_dir("merge-prices");
  const std::string scope = "--data-dir '" + kData.string() + "' --limit 2";
  const fs::path replay = replay_file(dir, scope);
  const fs::path results = dir / "results";
  std::string runs;
  const json tables[2] = {{{"input", 0.27}, {"output", 1.10}}, {{"input", 0.56}, {"output", 1.68}}};
  for (int i = 0; i < 2; ++i) {
    const std::string id = "p" + std::to_string(i);
    auto r = run_command(
        run_args(replay, scope, results) + " --shard " + std::to_string(i) + "/2 --run-id " + id,
        dir);
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    // As an API backend's run writes it: each suite and the run priced at the shard's table.
    const fs::path file = results / id / "run.json";
    json run = json::parse(read_file(file));
    double total = 0;
    for (auto& [name, suite] : run["suites"].items()) {
      suite["cost"] = {{"usd", 0.125 * (i + 1)}, {"prices", tables[i]}};
      total += 0.125 * (i + 1);
    }
    run["cost"] = {{"usd", total}, {"prices", tables[i]}, {"failed_attempts_usd", 0.5 * (i + 1)}};
    // Attempts billed without an answer are counted per run: the merge sums the shards'.
    run["tokens"]["failed_attempts"] = {{"attempts", i + 1},       {"usage_missing", i},
                                        {"prompt", 100 * (i + 1)}, {"cached_prompt", 0},
                                        {"completion", 10},        {"reasoning", 0}};
    std::ofstream(file, std::ios::trunc) << run.dump(2);
    runs += " " + (results / id).string();
  }
  auto merged = run_command(moebench_bin() + " merge" + runs + " -o " + (dir / "m").string(), dir);
  INFO(merged.output);
  REQUIRE(merged.exit_code == 0);
  const json run = json::parse(read_file(dir / "m" / "run.json"));
  // Each table with the tokens and $ billed at it (the shard's suite's), as a run crossing a
  // price change lists them.
  for (const auto& [name, suite] : run["suites"].items()) {
    INFO(name);
    CHECK(suite["cost"]["usd"] == 0.375);
    const json& prices = suite["cost"]["prices"];
    REQUIRE(prices.size() == 2);
    for (int i = 0; i < 2; ++i) {
      json t = prices[i];
      CHECK(t["usd"] == 0.125 * (i + 1));
      CHECK(t["tokens"].is_object());
      t.erase("usd");
      t.erase("tokens");
      CHECK(t == tables[i]);
    }
  }
  CHECK(run["cost"]["usd"] == 0.375 * run["suites"].size());
  CHECK(run["cost"]["prices"].size() == 2);
  CHECK(run["cost"]["failed_attempts_usd"] == 1.5);
  const json& failed = run["tokens"]["failed_attempts"];
  CHECK(failed["attempts"] == 3);
  CHECK(failed["usage_missing"] == 1);
  CHECK(failed["prompt"] == 300);
  CHECK(failed["completion"] == 20);
  // A shard whose failed attempts told no usage has them unpriced (null): so has the merge, as a
  // run writes it, rather than leave the key out (reviewer 83, F14).
  const fs::path p1 = results / "p1" / "run.json";
  json shard = json::parse(read_file(p1));
  shard["cost"]["failed_attempts_usd"] = nullptr;
  std::ofstream(p1, std::ios::trunc) << shard.dump(2);
  auto again = run_command(moebench_bin() + " merge" + runs + " -o " + (dir / "m2").string(), dir);
  INFO(again.output);
  REQUIRE(again.exit_code == 0);
  const json m2 = json::parse(read_file(dir / "m2" / "run.json"));
  CHECK(m2["cost"].contains("failed_attempts_usd"));
  CHECK(m2["cost"]["failed_attempts_usd"].is_null());
  fs::remove_all(dir);
}

// A merged run is dated by its newest shard, not by when merge ran: the leaderboard and the
// published-vs-measured view take a suite's latest run by that date, so a night merged late
// displaced a newer night's unsharded run.
// A shard that crossed a price change lists its tables with their tokens and $: the merge adds
// each table's up over the shards, a shard priced at one table counting its suite's tokens there.
TEST_CASE("merge: tables listed by a shard are summed per table with the others",
          "[runner][merge]") {
  const fs::path dir = temp_dir("merge-tables");
  const std::string scope = "--data-dir '" + kData.string() + "' --limit 2";
  const fs::path replay = replay_file(dir, scope);
  const fs::path results = dir / "results";
  const json a = {{"input", 0.27}, {"output", 1.10}, {"effective_from", "2025-02-26"}};
  const json b = {{"input", 0.56}, {"output", 1.68}, {"effective_from", "2025-09-05T16:00Z"}};
  const json tokens = {{"prompt", 5}, {"cached_prompt", 0}, {"completion", 1}};
  const json half = {{"prompt", 10}, {"cached_prompt", 0}, {"completion", 2}};
  std::string runs;
  for (int i = 0; i < 2; ++i) {
    const std::string id = "t" + std::to_string(i);
    auto r = run_command(run_args(replay, scope, results, "gsm8k") + " --shard " +
                             std::to_string(i) + "/2 --run-id " + id,
                         dir);
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    const fs::path file = results / id / "run.json";
    json run = json::parse(read_file(file));
    json& suite = run["suites"]["gsm8k"];
    json ua = a, ub = b;
    ua["tokens"] = ub["tokens"] = half;
    ua["usd"] = 0.05;
    ub["usd"] = 0.2;
    suite["tokens"]["billed"] =
        i == 0 ? tokens : json{{"prompt", 20}, {"cached_prompt", 0}, {"completion", 4}};
    suite["cost"] = i == 0 ? json{{"usd", 0.125}, {"prices", a}}
                           : json{{"usd", 0.25}, {"prices", json::array({ua, ub})}};
    run["cost"] = suite["cost"];
    std::ofstream(file, std::ios::trunc) << run.dump(2);
    runs += " " + (results / id).string();
  }
  auto merged = run_command(moebench_bin() + " merge" + runs + " -o " + (dir / "m").string(), dir);
  INFO(merged.output);
  REQUIRE(merged.exit_code == 0);
  const json run = json::parse(read_file(dir / "m" / "run.json"));
  for (const json& cost : {run["suites"]["gsm8k"]["cost"], run["cost"]}) {
    INFO(cost.dump());
    CHECK(cost["usd"] == 0.375);
    REQUIRE(cost["prices"].size() == 2);
    CHECK(cost["prices"][0]["effective_from"] == "2025-02-26");
    CHECK(cost["prices"][0]["tokens"]["prompt"] == 15);
    CHECK(std::abs(cost["prices"][0]["usd"].get<double>() - 0.175) < 1e-12);
    CHECK(cost["prices"][1]["effective_from"] == "2025-09-05T16:00Z");
    CHECK(cost["prices"][1]["tokens"]["prompt"] == 10);
    CHECK(cost["prices"][1]["usd"] == 0.2);
  }
  fs::remove_all(dir);
}

TEST_CASE("merge: the merged run is dated by its newest shard", "[runner][merge]") {
  const fs::path dir = temp_dir("merge-created");
  const std::string base = moebench_bin() +
                           " run --backend oracle --samples --suites gsm8k --no-progress "
                           "--results-dir '" +
                           (dir / "results").string() + "'";
  const char* created[] = {"2026-01-02T03:04:09Z", "2026-01-02T03:04:05Z"};
  for (int i = 0; i < 2; ++i) {
    const std::string id = "s" + std::to_string(i);
    REQUIRE(
        run_command(base + " --shard " + std::to_string(i) + "/2 --run-id " + id, dir).exit_code ==
        0);
    const fs::path file = dir / "results" / id / "run.json";
    json j = json::parse(read_file(file));
    j["created"] = created[i];
    std::ofstream(file) << j.dump(2);
  }
  auto r = run_command(moebench_bin() + " merge " + (dir / "results/s0").string() + " " +
                           (dir / "results/s1").string() + " -o " + (dir / "merged").string(),
                       dir);
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  const json merged = json::parse(read_file(dir / "merged" / "run.json"));
  CHECK(merged["created"] == "2026-01-02T03:04:09Z");
  CHECK(merged["merge"]["merged_at"].get<std::string>() > "2026-01-02T03:04:09Z");
  fs::remove_all(dir);
}

// GAOKAO-Bench's scoring rate (Bench/OBJ_score_evaluation.py) is correct points / possible points,
// each sub-question worth the item's `score`: a document weighs score x sub-questions. Every sample
// records its weight, so the whole run, its shards merged and its rescore give one number, and the
// suite and subject means are sum(w v) / sum(w) with the ratio estimator's stderr.
TEST_CASE("merge: gaokao is point-weighted alike whole merged and rescored", "[runner][merge]") {
  const fs::path dir = temp_dir("merge-gaokao");
  const std::string scope = "--data-dir '" + kData.string() + "' --limit 7";  // 7 of each file
  const fs::path replay = replay_file(dir, scope, "gaokao");
  const fs::path whole = dir / "whole", parts = dir / "parts";
  REQUIRE(run_command(run_args(replay, scope, whole, "gaokao") + " --run-id all", dir).exit_code ==
          0);
  std::string merge = moebench_bin() + " merge";
  for (int i = 0; i < 3; ++i) {
    const fs::path results = parts / ("machine" + std::to_string(i));
    auto r = run_command(run_args(replay, scope, results, "gaokao") + " --shard " +
                             std::to_string(i) + "/3 --run-id s",
                         dir);
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    merge += " " + (results / "s").string();
  }
  auto r = run_command(merge + " -o " + (dir / "merged").string(), dir);
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  require_same_run(whole / "all", dir / "merged");
  auto again = run_command(moebench_bin() + " rescore --no-progress --data-dir '" + kData.string() +
                               "' --results-dir '" + (dir / "rescored").string() + "' '" +
                               (whole / "all" / "samples.jsonl").string() + "'",
                           dir);
  INFO(again.output);
  REQUIRE(again.exit_code == 0);
  const json run = json::parse(read_file(whole / "all" / "run.json"));
  const json re = json::parse(read_file(run_dirs(dir / "rescored").at(0) / "run.json"));
  CHECK(re["suites"]["gaokao"]["metrics"] == run["suites"]["gaokao"]["metrics"]);
  CHECK(re["suites"]["gaokao"]["groups"] == run["suites"]["gaokao"]["groups"]);

  // The weights and the mean, from the samples alone.
  std::map<std::string, double> per_point;  // subject -> weight / sub-questions (its `score`)
  std::vector<double> w, v;
  double plain = 0;
  for (const std::string& line : read_lines(whole / "all" / "samples.jsonl")) {
    const json j = json::parse(line);
    REQUIRE(j.contains("weight"));
    const std::string gold = j["gold"];
    const double subquestions = 1.0 + std::count(gold.begin(), gold.end(), ' ');
    const double score = j["weight"].get<double>() / subquestions;
    if (per_point.count(j["subject"])) CHECK(per_point[j["subject"]] == score);
    per_point[j["subject"]] = score;
    w.push_back(j["weight"]);
    v.push_back(j["metrics"]["subquestion_match,answer-letters"]);
    plain += v.back();
  }
  CHECK(per_point.at("2010-2022_English_Fill_in_Blanks") == 1.5);
  CHECK(per_point.at("2010-2022_Math_I_MCQs") == 5);
  double sw = 0, swv = 0, ss = 0;
  for (size_t i = 0; i < w.size(); ++i) sw += w[i], swv += w[i] * v[i];
  const double mean = swv / sw;
  for (size_t i = 0; i < w.size(); ++i) ss += w[i] * w[i] * (v[i] - mean) * (v[i] - mean);
  const double n = static_cast<double>(w.size());
  const json& m = run["suites"]["gaokao"]["metrics"]["subquestion_match,answer-letters"];
  CHECK(m["n"] == 98);
  CHECK(m["mean"].get<double>() == Approx(mean).epsilon(1e-12));
  CHECK(std::abs(mean - plain / n) > 0.01);  // the weighting changes the number
  CHECK(m["stderr"].get<double>() == Approx(std::sqrt(n / (n - 1) * ss) / sw).epsilon(1e-12));
  CHECK(run["suites"]["gaokao"]["doc_weight"] == json{"{{score}}", "{{answer|count}}"});
  fs::remove_all(dir);
}
