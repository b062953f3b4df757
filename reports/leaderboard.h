// The leaderboard as data: one row per (model, data scope), one cell per suite holding that
// model's latest run of the suite, with cost, throughput and latency where measured. The HTML
// page and the Markdown summary both render this.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "reports/run_load.h"

namespace moebench {

struct ReportOptions {
  // Price of the machine a built-in model ran on, $ per hour per GPU (or per machine when it had
  // none); 0 = built-in runs have no cost. API runs are priced by their backend's price table.
  double machine_usd_per_hour = 0;
  // Kernel benchmark history: a change of the median beyond this is a regression candidate.
  double bench_threshold = 0.05;
  double alpha = 0.05;
  std::string title = "moebench leaderboard";
  // --rank-suites: the suites the ranking averages over; empty = the default rule
  // (leaderboard_rank).
  std::vector<std::string> rank_suites;
  // The published scores table (reports/published_scores.h) for the "Published vs measured"
  // view; "" or a missing file = no such view, a malformed one an InputError.
  std::filesystem::path published_scores;
  void validate() const;  // InputError naming the bad option
};

// Latency of the samples a run's suite actually sent (cached and failed samples excluded).
struct LatencyStats {
  std::vector<double> seconds;
  std::optional<double> quantile(double q) const;  // linear interpolation, as numpy's default
};

// One suite of one row: the latest run of it, or for a sharded row the latest run of each shard
// pooled into one result (leaderboard_pool_shards). A run over its error gate is the latest only
// when no run of the suite (of that shard) is within its gate.
struct LeaderboardCell {
  const RunSummary* run = nullptr;      // the latest run pooled (the cell links to it)
  std::vector<const RunSummary*> runs;  // every run pooled: one, or one per shard present
  // Shards left out: they ran another suite version, metric or profile than the newest shard.
  std::vector<const RunSummary*> left_out;
  bool failed = false;  // a pooled run is over its error gate (RunSummary::over_error_gate)
  SuiteResult suite;    // that run's result, or the shards' pooled result
  std::optional<double> cost_usd;
  bool cost_estimated = false;  // from machine time, not an API price table
};

struct LeaderboardRow {
  std::string model;       // backend id (a rescore's: the original run's)
  std::string scope;       // "samples", "full", "full, limit 50", "full, 4/4 shards", ...
  std::string base_scope;  // without the shards: rows rank only against rows of the same one
  std::string family, device;
  std::map<std::string, LeaderboardCell> cells;  // suite -> the latest run of it
  const RunSummary* latest = nullptr;  // the row's newest run, one within its error gate if any
  int runs = 0;
  int shard_count = 1;      // N of --shard i/N; above 1 the cells pool the shards
  int shards_present = 1;   // distinct shard indices among the row's runs
  bool incomplete = false;  // some suite lacks a shard: the row is never ranked
  bool failed = false;      // a cell's run is over its error gate: the row is never ranked
  // The same model has a newer row in this data scope (its runs sharded where these were not,
  // or the reverse): one model holds one place, so this row is never ranked.
  bool superseded = false;
  bool rescored = false;  // a cell comes from `moebench rescore` of a recorded run
  // Ranking (leaderboard_rank). A row that ran every ranking suite has a rank and rank_score, the
  // unweighted mean of its primary metrics over exactly those suites; the others have neither and
  // list in `missing` the ranking suites they lack.
  std::optional<int> rank;
  std::optional<double> rank_score;
  std::vector<std::string> missing;
  // The row's own mean over all its suites (higher-is-better primary metrics only); shown, never
  // ranked: rows with different suites are not comparable by it.
  std::optional<double> mean_score;
  int mean_suites = 0;             // suites in mean_score
  std::optional<double> cost_usd;  // sum over the cells, when every cell is costed
  bool cost_estimated = false;
  // Prompt + completion over the cells, every sample (cached ones too); a rescored cell's from
  // its original run, as its cost.
  long tokens = 0;
  std::optional<double> usd_per_million() const;
  std::optional<double> output_tokens_per_s;  // the latest run's
  std::optional<double> latency_p50, latency_p95;
  // Latency, throughput and cost of a rescore are its original run's (RescoreSource::of_run);
  // when that run is not among the runs, why they are not measured, else "".
  std::string not_measured;
  long errors = 0;
  std::string label() const;  // "model (scope)"
};

struct Leaderboard {
  std::vector<std::string> suites;       // columns, by name
  std::vector<std::string> rank_suites;  // the ranking set, by name
  bool rank_suites_given = false;        // from --rank-suites, not the default rule
  // A row ran an older version of a suite than another row: it ranks in a scope of its own.
  bool older_versions = false;
  // A row ran a suite set up otherwise (suite_setup_diff: another primary metric or scoring, ...)
  // than most rows of its data scope: it ranks in a scope of its own.
  bool other_setups = false;
  std::vector<std::string> lower_is_better;  // suites whose primary metric is in no mean
  // By base_scope; in each, ranked rows by rank, then the unranked ones.
  std::vector<LeaderboardRow> rows;
};

// Why a row is not ranked, "; "-joined: "incomplete shards", "failed: errors over
// --max-error-rate", "superseded by a newer row of this model", "missing: a, b"; "" for none.
std::string leaderboard_unranked_why(const LeaderboardRow& row);

// `latency` maps run_id + '\x1f' + suite to that suite's latencies (may be empty).
Leaderboard leaderboard_build(const std::vector<RunSummary>& runs,
                              const std::map<std::string, LatencyStats>& latency,
                              const ReportOptions& options);

// A run's cost: its backend's price table, else machine time at options.machine_usd_per_hour
// for built-in runs (*estimated = true); nullopt when neither applies.
std::optional<double> leaderboard_run_cost(const RunSummary& run, const ReportOptions& options,
                                           bool* estimated);

// What a priced suite's answers from the cache cost (its every-sample cost less cost_usd): the
// run's record of it (cost.cached_usd: a run prices them at its latest billed table, a merged run
// keeps its shards'), for a run.json written before it the suite's table (the latest of a list);
// 0 when none came from the cache; nullopt when unknown.
std::optional<double> leaderboard_cached_usd(const SuiteResult& s);

std::string leaderboard_latency_key(const std::string& run_id, const std::string& suite);

// The ranking set, chosen and applied (reports/leaderboard_rank.cpp). Candidates are the suite
// sets of the rows that may rank (not an incomplete set of shards), counting only suites whose
// primary metric is higher-is-better. The default set is the candidate S maximising
// (rows that ran every suite of S) x |S|, ties to the larger set, then the first by name;
// options.rank_suites overrides it. Rows of one data scope (base_scope) are ranked among
// themselves only, each scope from 1: its ranked rows first, by rank_score (ties share a rank),
// then the others by their own mean.
void leaderboard_rank(Leaderboard* board, const ReportOptions& options);

// InputError when options.rank_suites names a suite no run has, or one whose primary metric is
// lower-is-better (it cannot enter a mean).
void leaderboard_check_rank_suites(const std::vector<RunSummary>& runs,
                                   const ReportOptions& options);

// In words, which suites the ranking uses and why: "Ranked on the 9 suites every ranked model
// ran: a, b, ... 3 of 5 models ran all of them; ...". Plain text (the caller escapes it).
std::string leaderboard_rank_sentence(const Leaderboard& board);

// "4 models", or "4 rows (3 models)" when a model has rows of several data scopes.
std::string leaderboard_rows_text(const Leaderboard& board);

// Suites of one model run as N shards, pooled into one result: per metric the n-weighted mean and
// the exact stderr of the union (per-shard variances with Bessel's correction, plus the spread
// of the shard means); errors, tokens, documents and cost summed (cost only when every shard has
// one). The latest shard's version and primary metric are kept.
SuiteResult leaderboard_pool_shards(const std::vector<const SuiteResult*>& shards);

}  // namespace moebench
