// leaderboard_build: runs grouped into (model, data scope) rows with each suite's latest result,
// the shards of a sharded run pooled into one row.
#include "reports/leaderboard.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <tuple>

#include "common/error.h"
#include "common/token_cost.h"

namespace moebench {
namespace {

// Every response's tokens, answers from the cache included (tokens.all; the billed ones for a
// run.json written before it was recorded).
const TokenCounts& all_tokens(const SuiteResult& s) {
  return s.tokens_all.total() > 0 ? s.tokens_all : s.tokens;
}

// Built-in runs cost machine time: dispatch seconds x $/hour for the engine's one device (not
// every GPU of the host), shared among the run's suites by their billed tokens, and scaled to
// every sample: answers from the cache took no time this run. Validation backends (oracle,
// replay) cost nothing to anyone.
std::optional<double> estimated_cost(const RunSummary& run, const SuiteResult& suite,
                                     const ReportOptions& options) {
  if (run.backend_family != "builtin" || options.machine_usd_per_hour <= 0) return std::nullopt;
  const double run_usd = run.dispatch_s / 3600.0 * options.machine_usd_per_hour;
  const long run_tokens = run.tokens().total();
  if (run_tokens <= 0) {
    if (suite.cache_hits > 0) return std::nullopt;  // nothing was timed
    return run_usd / std::max<size_t>(1, run.suites.size());
  }
  return run_usd * static_cast<double>(all_tokens(suite).total()) / run_tokens;
}

// A priced suite's cost for every sample at its run's prices: what the eval costs, whether or not
// some answers came from the cache (the run paid only for the rest).
std::optional<double> priced_cost(const SuiteResult& s) {
  if (!s.cost_usd) return std::nullopt;
  const std::optional<double> cached = leaderboard_cached_usd(s);
  return cached ? std::optional<double>(*s.cost_usd + *cached) : std::nullopt;
}

using RunsById = std::map<std::string, const RunSummary*>;

// The run whose latency, throughput and cost stand for `run`: itself, or for a rescore (a replay
// of recorded responses, which measures nothing) the run it rescored; nullptr when that is absent.
const RunSummary* measured_run(const RunSummary* run, const RunsById& by_id) {
  if (!run->rescore) return run;
  auto it = by_id.find(run->rescore->of_run);
  return it == by_id.end() ? nullptr : it->second;
}

// The cell's cost: every pooled run's cost of the suite (price table, else machine time), a
// rescore's from its original run; none when one of them has neither.
void cost_cell(LeaderboardCell* cell, const std::string& suite, const RunsById& by_id,
               const ReportOptions& options) {
  double usd = 0;
  for (const RunSummary* pooled : cell->runs) {
    const RunSummary* run = measured_run(pooled, by_id);
    const SuiteResult* s = run ? run->suite(suite) : nullptr;
    if (!s) return;
    std::optional<double> part = priced_cost(*s);
    if (!part) {
      part = estimated_cost(*run, *s, options);
      cell->cost_estimated |= part.has_value();
    }
    if (!part) return;
    usd += *part;
  }
  cell->cost_usd = usd;
}

// The cell's tokens that its cost is for: every pooled run's of the suite, a rescore's (which
// sends none) its original run's; the rescore's own when that run is absent (the cell has no cost).
long cell_tokens(const LeaderboardCell& cell, const std::string& suite, const RunsById& by_id) {
  long tokens = 0;
  for (const RunSummary* pooled : cell.runs) {
    const RunSummary* run = measured_run(pooled, by_id);
    const SuiteResult* s = run ? run->suite(suite) : nullptr;
    tokens += all_tokens(s ? *s : *pooled->suite(suite)).total();
  }
  return tokens;
}

void finish_row(LeaderboardRow* row, const std::map<std::string, LatencyStats>& latency,
                const RunsById& by_id) {
  double score_sum = 0, usd = 0;
  bool all_costed = !row->cells.empty();
  LatencyStats pooled;
  for (const auto& [name, cell] : row->cells) {
    const MetricStat* m = cell.suite.primary();
    if (m && m->higher_is_better) {
      score_sum += m->mean;
      ++row->mean_suites;
    }
    row->tokens += cell_tokens(cell, name, by_id);
    row->errors += cell.suite.error_count();
    if (cell.cost_usd) {
      usd += *cell.cost_usd;
      row->cost_estimated |= cell.cost_estimated;
    } else {
      all_costed = false;
    }
    for (const RunSummary* shown : cell.runs) {
      row->rescored |= shown->rescore.has_value();
      const RunSummary* run = measured_run(shown, by_id);
      if (!run) {
        row->not_measured = "a rescore replays recorded responses; the original run " +
                            shown->rescore->of_run + " is not in this results directory";
        continue;
      }
      auto it = latency.find(leaderboard_latency_key(run->run_id, name));
      if (it == latency.end()) continue;
      pooled.seconds.insert(pooled.seconds.end(), it->second.seconds.begin(),
                            it->second.seconds.end());
    }
  }
  if (row->mean_suites > 0) row->mean_score = score_sum / row->mean_suites;
  if (all_costed) row->cost_usd = usd;
  row->latency_p50 = pooled.quantile(0.5);
  row->latency_p95 = pooled.quantile(0.95);
  const RunSummary* timed = measured_run(row->latest, by_id);
  if (timed) row->output_tokens_per_s = timed->output_tokens_per_s;
}

// The runs of one row, oldest first, and per suite the latest run of each shard index.
struct RowRuns {
  std::vector<const RunSummary*> runs;
  std::map<std::string, std::map<int, const RunSummary*>> latest;  // suite -> shard -> run
};

// The row of one group of runs (same model, base scope and shard count).
LeaderboardRow build_row(const RowRuns& group, const RunsById& by_id,
                         const ReportOptions& options) {
  LeaderboardRow row;
  const RunSummary* newest = group.runs.back();
  for (const RunSummary* run : group.runs) {
    if (!run->over_error_gate) newest = run;
  }
  const RunSummary& last = *newest;
  row.model = last.backend_id;
  row.family =
      last.rescore && !last.rescore->family.empty() ? last.rescore->family : last.backend_family;
  row.device = last.device;
  row.latest = &last;
  row.runs = static_cast<int>(group.runs.size());
  row.shard_count = last.shard_count;
  std::set<int> shards;
  for (const RunSummary* run : group.runs) shards.insert(run->shard_index);
  row.shards_present = static_cast<int>(shards.size());
  std::string mixed_why;  // the first shard's setup the newest shard's does not pool with
  for (const auto& [suite, by_shard] : group.latest) {
    LeaderboardCell cell;
    for (const auto& [shard, run] : by_shard) {
      if (!cell.run ||
          std::tie(cell.run->created, cell.run->run_id) < std::tie(run->created, run->run_id)) {
        cell.run = run;
      }
    }
    // Only shards that ran the newest one's setup pool (as `moebench merge` requires).
    const SuiteResult& newest = *cell.run->suite(suite);
    std::vector<const SuiteResult*> parts;
    for (const auto& [shard, run] : by_shard) {
      const SuiteResult& s = *run->suite(suite);
      const std::string change = suite_setup_change(s, newest);
      if (change.empty()) {
        cell.runs.push_back(run);
        parts.push_back(&s);
        cell.failed |= run->over_error_gate;
      } else {
        cell.left_out.push_back(run);
        if (mixed_why.empty()) mixed_why = suite + " " + change;
      }
    }

    row.failed |= cell.failed;
    row.incomplete |= static_cast<int>(parts.size()) < row.shard_count;
    cell.suite = parts.size() == 1 ? *parts[0] : leaderboard_pool_shards(parts);
    if (cell.suite.n_docs == 0) continue;  // every shard past the suite's end: no score
    cost_cell(&cell, suite, by_id, options);
    row.cells[suite] = std::move(cell);
  }
  row.scope = last.base_scope;
  row.base_scope = last.base_scope;
  if (row.shard_count > 1) {
    row.scope += ", " + std::to_string(row.shards_present) + "/" + std::to_string(row.shard_count) +
                 " shards" +
                 (!mixed_why.empty() ? " (incomplete: a shard ran another setup, " + mixed_why + ")"
                  : row.incomplete   ? " (incomplete)"
                                     : "");
  }
  return row;
}

}  // namespace

std::optional<double> leaderboard_cached_usd(const SuiteResult& s) {
  if (all_tokens(s).total() == s.tokens.total()) return 0.0;
  if (s.has_cached_usd) return s.cached_usd;
  // NOTE: a run.json written before cost.cached_usd: its one table, or the latest of its list.
  const nlohmann::json& table =
      s.prices.is_array() && !s.prices.empty() ? s.prices.back() : s.prices;
  if (table.is_array()) return std::nullopt;
  TokenCounts cached = all_tokens(s);
  cached -= s.tokens;
  return tokens_cost_usd(cached, table);
}

void ReportOptions::validate() const {
  if (!(machine_usd_per_hour >= 0)) throw InputError("--machine-usd-per-hour: must be >= 0");
  if (!(bench_threshold >= 0)) throw InputError("--bench-threshold: must be >= 0");
  if (!(alpha > 0 && alpha < 1)) throw InputError("--alpha: must be in (0, 1)");
  std::set<std::string> seen;
  for (const std::string& s : rank_suites) {
    if (s.empty()) throw InputError("--rank-suites: an empty suite name");
    if (!seen.insert(s).second) throw InputError("--rank-suites: '" + s + "' given twice");
  }
}

std::optional<double> LatencyStats::quantile(double q) const {
  if (seconds.empty()) return std::nullopt;
  std::vector<double> v = seconds;
  std::sort(v.begin(), v.end());
  const double pos = q * (v.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (pos - lo);
}

std::optional<double> LeaderboardRow::usd_per_million() const {
  if (!cost_usd || tokens <= 0) return std::nullopt;
  return *cost_usd / tokens * 1e6;
}

std::optional<double> leaderboard_run_cost(const RunSummary& run, const ReportOptions& options,
                                           bool* estimated) {
  *estimated = false;
  if (auto priced = run.cost_usd()) return priced;
  double usd = 0;
  for (const SuiteResult& s : run.suites) {
    auto e = estimated_cost(run, s, options);
    if (!e) return std::nullopt;
    usd += *e;
  }
  *estimated = !run.suites.empty();
  return run.suites.empty() ? std::nullopt : std::optional(usd);
}

std::string leaderboard_latency_key(const std::string& run_id, const std::string& suite) {
  return run_id + '\x1f' + suite;
}

std::string LeaderboardRow::label() const { return model + " (" + scope + ")"; }

namespace {

// Of a model's rows in one data scope (unsharded and sharded runs make two), all but the one with
// the newest run are superseded. A row that cannot rank (shards missing, over its error gate)
// supersedes none: a shard job still running would take the model's complete result away.
void mark_superseded(std::vector<LeaderboardRow>* rows) {
  std::map<std::pair<std::string, std::string>, LeaderboardRow*> newest;
  auto key = [](const LeaderboardRow* r) {
    return std::tie(r->latest->created, r->latest->run_id);
  };
  for (LeaderboardRow& row : *rows) {
    if (!row.latest || row.incomplete || row.failed) continue;
    LeaderboardRow*& slot = newest[{row.model, row.base_scope}];
    if (!slot) {
      slot = &row;
    } else if (key(slot) < key(&row)) {
      slot->superseded = true;
      slot = &row;
    } else {
      row.superseded = true;
    }
  }
}

// Dotted versions compare by number ("1.10" > "1.9"), then by text.
bool version_less(const std::string& a, const std::string& b) {
  auto number = [](const std::string& p) {
    return !p.empty() && p.size() < 19 && p.find_first_not_of("0123456789") == std::string::npos;
  };
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    const size_t ei = a.find('.', i), ej = b.find('.', j);
    const std::string pa = a.substr(i, ei - i), pb = b.substr(j, ej - j);
    const bool na = number(pa), nb = number(pb);
    if (na && nb && std::stoull(pa) != std::stoull(pb)) return std::stoull(pa) < std::stoull(pb);
    if (!(na && nb) && pa != pb) return pa < pb;
    i = ei == std::string::npos ? a.size() : ei + 1;
    j = ej == std::string::npos ? b.size() : ej + 1;
  }
  return a.size() - i < b.size() - j;
}

// A row's data scope with `tag` added (", gsm8k v1.4"), its shards kept last.
void rescope(LeaderboardRow* row, const std::string& tag) {
  const std::string shards = row->scope.substr(row->base_scope.size());  // ", 2/2 shards"
  row->base_scope += tag;
  row->scope = row->base_scope + shards;
}

// Scores of two versions of a suite are not comparable (compare refuses them): a row whose cell
// ran an older version than the newest on the board gets a data scope of its own, named for it
// ("full, gaokao v1.4"), so it ranks only against rows of that version. True when any did.
bool scope_older_versions(std::vector<LeaderboardRow>* rows) {
  std::map<std::string, std::string> newest;
  for (const LeaderboardRow& row : *rows) {
    for (const auto& [name, cell] : row.cells) {
      auto [it, fresh] = newest.emplace(name, cell.suite.version);
      if (!fresh && version_less(it->second, cell.suite.version)) it->second = cell.suite.version;
    }
  }
  bool any = false;
  for (LeaderboardRow& row : *rows) {
    std::string older;
    for (const auto& [name, cell] : row.cells) {
      if (cell.suite.version == newest[name]) continue;
      older += ", " + name + " v" + (cell.suite.version.empty() ? "?" : cell.suite.version);
    }
    if (older.empty()) continue;
    any = true;
    rescope(&row, older);
  }
  return any;
}

// A column's reference setup in one data scope: the one most of its cells ran, ties to the
// oldest run's (the setup the column had first).
const SuiteResult& reference_setup(const std::vector<const LeaderboardCell*>& cells) {
  struct Setup {
    const LeaderboardCell* first;  // its oldest cell
    size_t count;
  };
  std::vector<Setup> setups;
  for (const LeaderboardCell* cell : cells) {
    auto same = [&](const Setup& s) {
      return suite_scoring_diff(s.first->suite, cell->suite).empty();
    };
    auto it = std::find_if(setups.begin(), setups.end(), same);
    if (it == setups.end()) {
      setups.push_back({cell, 1});
      continue;
    }
    ++it->count;
    if (std::tie(cell->run->created, cell->run->run_id) <
        std::tie(it->first->run->created, it->first->run->run_id)) {
      it->first = cell;
    }
  }
  auto before = [](const Setup& a, const Setup& b) {
    if (a.count != b.count) return a.count > b.count;
    return std::tie(a.first->run->created, a.first->run->run_id) <
           std::tie(b.first->run->created, b.first->run->run_id);
  };
  const Setup* best = &setups.front();
  for (const Setup& s : setups) {
    if (before(s, *best)) best = &s;
  }
  return best->first->suite;
}

// "mmlu acc,answer-letter", "mmlu scored by generation", "gsm8k num_fewshot 0": the setup a cell
// ran where its column's reference ran another.
std::string setup_tag(const std::string& suite, const SuiteSetupChange& change) {
  const std::string to = change.to.empty() ? "?" : change.to;
  if (change.what == "suite version") return suite + " v" + to;
  if (change.what == "primary metric") return suite + " " + to;
  return suite + " " + change.what + " " + to;
}

// Scores of a suite set up differently are not comparable either (compare refuses them by the
// same rule, suite_scoring_diff: another primary metric or scoring, profile version or few-shot
// count; the sampling sent is each model's own and does not split). In each data scope, per suite,
// the setup most rows ran keeps the scope; a row whose cell ran another gets a scope of its own
// named for it ("full, mmlu acc,answer-letter"), until every column of every scope holds one setup.
// True when any row moved.
bool scope_other_setups(std::vector<LeaderboardRow>* rows) {
  bool any = false;
  for (bool moved = true; moved;) {
    std::map<std::pair<std::string, std::string>, std::vector<const LeaderboardCell*>> columns;
    std::map<const LeaderboardCell*, LeaderboardRow*> row_of;
    for (LeaderboardRow& row : *rows) {
      for (const auto& [name, cell] : row.cells) {
        columns[{row.base_scope, name}].push_back(&cell);
        row_of[&cell] = &row;
      }
    }
    std::map<LeaderboardRow*, std::string> tags;
    for (const auto& [column, cells] : columns) {
      const SuiteResult& reference = reference_setup(cells);
      for (const LeaderboardCell* cell : cells) {
        const SuiteSetupChange change = suite_scoring_diff(reference, cell->suite);
        if (!change.empty()) tags[row_of[cell]] += ", " + setup_tag(column.second, change);
      }
    }
    for (const auto& [row, tag] : tags) rescope(row, tag);
    moved = !tags.empty();
    any |= moved;
  }
  return any;
}

}  // namespace

Leaderboard leaderboard_build(const std::vector<RunSummary>& runs,
                              const std::map<std::string, LatencyStats>& latency,
                              const ReportOptions& options) {
  std::vector<const RunSummary*> ordered;
  RunsById by_id;
  for (const auto& r : runs) {
    ordered.push_back(&r);
    by_id[r.run_id] = &r;
  }
  std::stable_sort(ordered.begin(), ordered.end(), [](const RunSummary* a, const RunSummary* b) {
    return std::tie(a->created, a->run_id) < std::tie(b->created, b->run_id);
  });
  // One row per model and data scope; runs that differ only by --shard i/N share a row. A shard
  // run that a merged run holds (`moebench merge`) is shown through the merged run only.
  std::set<std::string> merged;
  for (const RunSummary* run : ordered)
    merged.insert(run->merged_runs.begin(), run->merged_runs.end());
  std::map<std::tuple<std::string, std::string, int>, RowRuns> groups;
  std::set<std::string> suites;
  for (const RunSummary* run : ordered) {  // oldest first: later runs overwrite cells
    if (run->shard_count > 1 && merged.count(run->run_id)) continue;
    RowRuns& g = groups[{run->backend_id, run->base_scope, run->shard_count}];
    g.runs.push_back(run);
    for (const SuiteResult& s : run->suites) {
      // A suite that scored no document is no result (a shard's may be: the row pools the rest).
      if (s.n_docs == 0 && run->shard_count == 1) continue;
      suites.insert(s.name);
      // A run over its error gate does not displace one within its gate.
      const RunSummary*& slot = g.latest[s.name][run->shard_index];
      if (!slot || !run->over_error_gate || slot->over_error_gate) slot = run;
    }
  }
  Leaderboard board;
  board.suites.assign(suites.begin(), suites.end());
  for (const auto& [key, group] : groups) {
    LeaderboardRow row = build_row(group, by_id, options);
    finish_row(&row, latency, by_id);
    board.rows.push_back(std::move(row));
  }
  board.older_versions = scope_older_versions(&board.rows);
  board.other_setups = scope_other_setups(&board.rows);
  mark_superseded(&board.rows);
  leaderboard_rank(&board, options);
  return board;
}

}  // namespace moebench
