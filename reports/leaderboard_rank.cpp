// leaderboard_rank: the suites the leaderboard ranks on, and each row's rank over exactly those
// suites. A row that did not run them all is listed after the ranked ones with what it misses:
// a mean over 2 suites and one over 11 are not comparable.
#include <algorithm>
#include <cmath>
#include <set>

#include "common/error.h"
#include "reports/leaderboard.h"

namespace moebench {
namespace {

using SuiteSet = std::set<std::string>;

// The suites of a row that can enter a mean: a primary metric that is higher-is-better.
SuiteSet scorable_suites(const LeaderboardRow& row) {
  SuiteSet out;
  for (const auto& [name, cell] : row.cells) {
    const MetricStat* m = cell.suite.primary();
    if (m && m->higher_is_better) out.insert(name);
  }
  return out;
}

bool covers(const SuiteSet& have, const SuiteSet& want) {
  return std::includes(have.begin(), have.end(), want.begin(), want.end());
}

// Default rule: among the rows' own suite sets, the one maximising (rows that ran all of it) x
// (its size); ties to the larger set, then the first by name, so the choice is deterministic.
SuiteSet choose_rank_suites(const std::vector<SuiteSet>& candidates) {
  SuiteSet best;
  size_t best_score = 0;
  for (const SuiteSet& s : candidates) {
    if (s.empty()) continue;
    size_t rows = 0;
    for (const SuiteSet& other : candidates) rows += covers(other, s);
    const size_t score = rows * s.size();
    const bool better =
        score > best_score ||
        (score == best_score && (s.size() > best.size() || (s.size() == best.size() && s < best)));
    if (best.empty() || better) {
      best = s;
      best_score = score;
    }
  }
  return best;
}

// --rank-suites against the suites the runs have: a one-line InputError for a name no run has or
// a suite whose primary metric is lower-is-better.
void check_names(const std::vector<std::string>& given, const SuiteSet& known,
                 const SuiteSet& lower) {
  for (const std::string& name : given) {
    if (lower.count(name)) {
      throw InputError("--rank-suites: '" + name +
                       "' has a lower-is-better primary metric; it cannot enter the mean");
    }
    if (known.count(name)) continue;
    std::string list;
    for (const std::string& k : known) list += (list.empty() ? "" : ", ") + k;
    throw InputError("--rank-suites: no run has suite '" + name +
                     "' (suites: " + (list.empty() ? "none" : list) + ")");
  }
}

// Suites whose primary metric is lower-is-better in some row: they are in no mean.
SuiteSet lower_is_better(const std::vector<LeaderboardRow>& rows) {
  SuiteSet out;
  for (const LeaderboardRow& row : rows) {
    for (const auto& [name, cell] : row.cells) {
      const MetricStat* m = cell.suite.primary();
      if (m && !m->higher_is_better) out.insert(name);
    }
  }
  return out;
}

// Means summed in another order differ in their last bits (0.1 + 0.2 + 0.3 != 0.3 + 0.2 + 0.1):
// scores this close are one score.
bool same_score(double a, double b) {
  return std::abs(a - b) <= 1e-9 * std::max(std::abs(a), std::abs(b));
}

// Rows by data scope (rows of two scopes are not comparable), in each the ranked rows by
// rank_score, then the unranked ones; ties by own mean, then by label.
bool rank_order(const LeaderboardRow& a, const LeaderboardRow& b) {
  if (a.base_scope != b.base_scope) return a.base_scope < b.base_scope;
  if (a.rank_score.has_value() != b.rank_score.has_value()) return a.rank_score.has_value();
  if (a.rank_score && *a.rank_score != *b.rank_score) return *a.rank_score > *b.rank_score;
  const double ma = a.mean_score.value_or(-1), mb = b.mean_score.value_or(-1);
  if (ma != mb) return ma > mb;
  return a.label() < b.label();
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

}  // namespace

void leaderboard_check_rank_suites(const std::vector<RunSummary>& runs,
                                   const ReportOptions& options) {
  SuiteSet known, lower;
  for (const RunSummary& run : runs) {
    for (const SuiteResult& s : run.suites) {
      known.insert(s.name);
      const MetricStat* m = s.primary();
      if (m && !m->higher_is_better) lower.insert(s.name);
    }
  }
  check_names(options.rank_suites, known, lower);
}

void leaderboard_rank(Leaderboard* board, const ReportOptions& options) {
  const SuiteSet lower = lower_is_better(board->rows);
  board->lower_is_better.assign(lower.begin(), lower.end());
  SuiteSet rank_set;
  if (!options.rank_suites.empty()) {
    check_names(options.rank_suites, SuiteSet(board->suites.begin(), board->suites.end()), lower);
    rank_set.insert(options.rank_suites.begin(), options.rank_suites.end());
    board->rank_suites_given = true;
  } else {
    std::vector<SuiteSet> candidates;
    for (const LeaderboardRow& row : board->rows) {
      if (!row.incomplete && !row.failed && !row.superseded) {
        candidates.push_back(scorable_suites(row));
      }
    }
    rank_set = choose_rank_suites(candidates);
  }
  board->rank_suites.assign(rank_set.begin(), rank_set.end());
  for (LeaderboardRow& row : board->rows) {
    const SuiteSet have = scorable_suites(row);
    for (const std::string& s : rank_set) {
      if (!have.count(s)) row.missing.push_back(s);
    }
    if (row.incomplete || row.failed || row.superseded || !row.missing.empty() ||
        rank_set.empty()) {
      continue;
    }
    double sum = 0;
    for (const std::string& s : rank_set) sum += row.cells.at(s).suite.primary()->mean;
    row.rank_score = sum / static_cast<double>(rank_set.size());
  }
  std::stable_sort(board->rows.begin(), board->rows.end(), rank_order);
  // A score within rounding of the one before it in its scope becomes that score, and the sort
  // runs again so that tied rows order by their own mean and label.
  for (size_t i = 1; i < board->rows.size(); ++i) {
    const LeaderboardRow& prev = board->rows[i - 1];
    std::optional<double>& score = board->rows[i].rank_score;
    if (score && prev.rank_score && prev.base_scope == board->rows[i].base_scope &&
        same_score(*prev.rank_score, *score)) {
      score = prev.rank_score;
    }
  }
  std::stable_sort(board->rows.begin(), board->rows.end(), rank_order);
  // Competition ranking in each data scope: equal scores share a rank, the next rank skips
  // ("1, 1, 3").
  for (size_t i = 0, first = 0; i < board->rows.size(); ++i) {
    LeaderboardRow& row = board->rows[i];
    if (row.base_scope != board->rows[first].base_scope) first = i;
    if (!row.rank_score) continue;
    const bool tie = i > first && *board->rows[i - 1].rank_score == *row.rank_score;
    row.rank = tie ? *board->rows[i - 1].rank : static_cast<int>(i - first) + 1;
  }
}

std::string leaderboard_unranked_why(const LeaderboardRow& row) {
  std::vector<std::string> why;
  if (row.incomplete) why.push_back("incomplete shards");
  if (row.failed) why.push_back("failed: errors over --max-error-rate");
  if (row.superseded) why.push_back("superseded by a newer row of this model");
  if (!row.missing.empty()) why.push_back("missing: " + joined(row.missing));
  std::string out;
  for (const std::string& w : why) out += (out.empty() ? "" : "; ") + w;
  return out;
}

std::string leaderboard_rows_text(const Leaderboard& board) {
  std::set<std::string> models;
  for (const LeaderboardRow& row : board.rows) models.insert(row.model);
  auto count = [](size_t n, const char* what) {
    return std::to_string(n) + " " + what + (n == 1 ? "" : "s");
  };
  if (models.size() == board.rows.size()) return count(models.size(), "model");
  return count(board.rows.size(), "row") + " (" + count(models.size(), "model") + ")";
}

std::string leaderboard_rank_sentence(const Leaderboard& board) {
  const size_t k = board.rank_suites.size(), n = board.rows.size();
  size_t ranked = 0, incomplete = 0, failed = 0, superseded = 0;
  std::set<std::string> scopes;
  for (const LeaderboardRow& row : board.rows) {
    ranked += row.rank.has_value();
    incomplete += row.incomplete;
    failed += row.failed;
    superseded += row.superseded;
    scopes.insert(row.base_scope);
  }
  std::string h;
  if (k == 0) {
    h = "No model is ranked: no suite has a higher-is-better primary metric.";
  } else {
    const std::string suites = std::to_string(k) + (k == 1 ? " suite" : " suites");
    h = board.rank_suites_given ? "Ranked on the " + suites + " given by --rank-suites: "
                                : "Ranked on the " + suites + " every ranked model ran: ";
    h += joined(board.rank_suites) + ". ";
    if (!board.rank_suites_given) {
      h += "(Of the models' own suite sets, the one that maximises models that ran all of it "
           "times its size.) ";
    }
    h += "The rank is the unweighted mean of the primary metrics over exactly these suites; ";
    const std::string rows = leaderboard_rows_text(board);
    h += ranked == n ? "all " + rows + " ran them."
                     : std::to_string(ranked) + " of " + rows +
                           " ran them all; the others follow, unranked, with the suites they "
                           "miss.";
    if (scopes.size() > 1) {
      h += " A row ranks only against rows of the same data scope (" +
           std::to_string(scopes.size()) + " scopes), each ranked from 1.";
    }
    h += " A model's own mean over all its suites is shown small and does not rank.";
  }
  if (board.older_versions) {
    h += " Scores of two versions of a suite are not comparable: a row that ran an older suite "
         "version than the newest here is its own data scope, named for it (\"gsm8k v1.4\").";
  }
  if (board.other_setups) {
    h += " Scores of a suite scored differently (another primary metric or scoring, profile "
         "version or few-shot count: what compare refuses) are not comparable either: in each "
         "data scope the setup most rows ran keeps the scope, and a row that ran another is its "
         "own data scope, named for it (\"mmlu acc,answer-letter\"). The sampling a model was "
         "sent does not split a scope.";
  }
  if (incomplete > 0) h += " A model with an incomplete set of shards is never ranked.";
  if (superseded > 0) {
    h += " An older row of a model in the same data scope is not ranked (its runs sharded where "
         "the newer row's are not, or the reverse): one model holds one place.";
  }
  if (failed > 0) {
    h += " A row whose run failed its error gate (more than --max-error-rate of the samples "
         "failed) is never ranked.";
  }
  if (!board.lower_is_better.empty()) {
    h += " Not in any mean (lower is better): " + joined(board.lower_is_better) + ".";
  }
  return h;
}

}  // namespace moebench
