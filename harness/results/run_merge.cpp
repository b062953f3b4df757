// merge_runs: load the shard runs, check they are shards of one run, interleave their samples back
// into the unsharded order, aggregate again and write the merged run atomically.
#include "harness/results/run_merge.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <optional>
#include <set>
#include <tuple>
#include <utility>

#include "common/clock.h"
#include "common/error.h"
#include "common/file_write.h"
#include "common/json_file.h"
#include "common/thinking.h"
#include "harness/results/host_info.h"
#include "harness/results/run_latency.h"
#include "harness/results/run_writer.h"
#include "harness/scoring/aggregate.h"
#include "reports/json_fields.h"
#include "reports/leaderboard.h"
#include "reports/run_load.h"
#include "reports/run_record.h"
#include "reports/sample_record.h"

namespace moebench {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct ShardRun {
  std::string name;  // the directory as given, for messages
  json raw;          // run.json as read
  RunRecord record;
  int index = 0, count = 1;
  std::vector<std::string> lines;  // samples.jsonl, verbatim
  std::vector<SampleRecord> samples;
  std::map<std::string, std::vector<size_t>> by_suite;  // suite -> its samples, in file order
  std::vector<std::string> suite_order;                 // suites in order of first sample
};

void parse_shard(const json& options, const std::string& where, ShardRun* run) {
  const std::string shard = options.value("shard", std::string("0/1"));
  char rest = 0;
  if (std::sscanf(shard.c_str(), "%d/%d%c", &run->index, &run->count, &rest) != 2 ||
      run->count < 1 || run->index < 0 || run->index >= run->count) {
    throw input_error(where, "field 'options.shard' is '" + shard + "', not i/N with 0 <= i < N");
  }
}

void load_samples(const fs::path& dir, ShardRun* run) {
  run_visit_samples(dir, "", [&](std::string&& line, SampleRecord&& s) {
    auto& of_suite = run->by_suite[s.suite];
    if (of_suite.empty()) run->suite_order.push_back(s.suite);
    of_suite.push_back(run->samples.size());
    run->samples.push_back(std::move(s));
    run->lines.push_back(std::move(line));
  });
}

ShardRun load_shard(const fs::path& dir) {
  ShardRun run;
  run.name = dir.string();
  const std::string where = (dir / "run.json").string();
  run.raw = json_read_file(dir / "run.json", where, "cannot read (not a run directory?)");
  run.record = RunRecord::from_json(run.raw, where);
  parse_shard(run.record.options, where, &run);
  load_samples(dir, &run);
  return run;
}

std::string shown(const json& v) {
  std::string s = v.dump(-1, ' ', false, json::error_handler_t::replace);
  return s.size() > 60 ? s.substr(0, 57) + "..." : s;
}

[[noreturn]] void refuse_pair(const ShardRun& a, const ShardRun& b, const std::string& field,
                              const json& va, const json& vb) {
  throw InputError("runs '" + a.name + "' and '" + b.name + "' differ in " + field + " (" +
                   shown(va) + " vs " + shown(vb) + "): they are not shards of one run");
}

json at_pointer(const json& j, const std::string& pointer) {
  const json::json_pointer p(pointer);
  return j.contains(p) ? j[p] : json();
}

// Two specs differ: the refusal names the first key that does
// ("suites.math500.spec.dataset.subjects_are_tasks (true vs false)"), not the whole spec.
[[noreturn]] void refuse_spec(const ShardRun& a, const ShardRun& b, const std::string& field,
                              const json& sa, const json& sb) {
  const json patch = json::diff(sa, sb);
  const std::string pointer = patch.empty() ? "" : patch[0].value("path", "");
  std::string dotted;
  for (size_t at = 0; at < pointer.size(); ++at) {
    if (pointer[at] == '/') {
      dotted += '.';
    } else if (pointer[at] == '~' && at + 1 < pointer.size()) {
      dotted += pointer[++at] == '1' ? '/' : '~';
    } else {
      dotted += pointer[at];
    }
  }
  json va, vb;
  try {
    va = at_pointer(sa, pointer);
    vb = at_pointer(sb, pointer);
  } catch (const json::exception&) {  // an array's "-": past its end
  }
  refuse_pair(a, b, field + dotted, va, vb);
}

// What shards of one run share: the same backend, seed, data scope and suites run the same way.
void check_same_run(const ShardRun& a, const ShardRun& b) {
  for (const char* field :
       {"backend.id", "backend.family", "backend.cache_tag", "moebench.version", "options.seed",
        "options.limit", "options.samples", "options.repeats"}) {
    std::string pointer = "/" + std::string(field);
    for (char& c : pointer) c = c == '.' ? '/' : c;
    const json va = at_pointer(a.raw, pointer), vb = at_pointer(b.raw, pointer);
    if (va != vb) refuse_pair(a, b, field, va, vb);
  }
  if (a.count != b.count) {
    refuse_pair(a, b, "the shard count (options.shard)", a.record.options["shard"],
                b.record.options["shard"]);
  }
  std::vector<std::string> na, nb;
  for (const SuiteResult& s : a.record.suites) na.push_back(s.name);
  for (const SuiteResult& s : b.record.suites) nb.push_back(s.name);
  if (na != nb) refuse_pair(a, b, "the suites run", na, nb);
  for (size_t i = 0; i < a.record.suites.size(); ++i) {
    const SuiteResult &sa = a.record.suites[i], &sb = b.record.suites[i];
    const std::string prefix = "suites." + sa.name + ".";
    if (sa.version != sb.version) refuse_pair(a, b, prefix + "version", sa.version, sb.version);
    if (sa.scored_by != sb.scored_by) {
      refuse_pair(a, b, prefix + "scored_by", sa.scored_by, sb.scored_by);
    }
    // Own data beside the listed dataset is not one run's shards (reviewers 91 F2, 94 F3).
    if (!sa.same_data(sb)) refuse_pair(a, b, prefix + "data", sa.data, sb.data);
    const json ga = sa.spec.value("generation", json()), gb = sb.spec.value("generation", json());
    if (ga != gb) refuse_pair(a, b, prefix + "spec.generation", ga, gb);
    if (sa.spec != sb.spec) refuse_spec(a, b, prefix + "spec", sa.spec, sb.spec);
    std::vector<std::string> ka, kb;
    for (const auto& [id, m] : sa.metrics) ka.push_back(id);
    for (const auto& [id, m] : sb.metrics) kb.push_back(id);
    if (ka != kb) refuse_pair(a, b, prefix + "metrics", ka, kb);
  }
}

std::string shard_name(int index, int count) {
  return std::to_string(index) + "/" + std::to_string(count);
}

// The runs ordered by shard index; every index 0..N-1 exactly once.
std::vector<const ShardRun*> order_shards(const std::vector<ShardRun>& runs) {
  const int count = runs.front().count;
  std::vector<const ShardRun*> by_index(count, nullptr);
  for (const ShardRun& run : runs) {
    const ShardRun*& slot = by_index[run.index];
    if (slot) {
      throw InputError("runs '" + slot->name + "' and '" + run.name + "' are both shard " +
                       shard_name(run.index, count) + " (overlapping shards)");
    }
    slot = &run;
  }
  std::string missing;
  for (int i = 0; i < count; ++i) {
    if (!by_index[i]) missing += (missing.empty() ? "" : ", ") + shard_name(i, count);
  }
  if (!missing.empty()) {
    throw InputError("shard" + std::string(missing.find(',') == std::string::npos ? " " : "s ") +
                     missing + " missing: pass every shard run of the " + std::to_string(count) +
                     " to merge");
  }
  return by_index;
}

// Shard i of N of a suite of `total` selected documents holds documents i, i+N, ...: checks each
// shard holds that many of the suite, as its run.json says, and no document twice.
void check_suite_counts(const std::vector<const ShardRun*>& shards, const std::string& suite,
                        long total, long per) {
  const long n = static_cast<long>(shards.size());
  std::map<std::string, const ShardRun*> seen;
  for (long i = 0; i < n; ++i) {
    const ShardRun& run = *shards[i];
    const auto it = run.by_suite.find(suite);
    const long have = it == run.by_suite.end() ? 0 : static_cast<long>(it->second.size());
    const long want = (total > i ? (total - i + n - 1) / n : 0) * per;
    if (have != want) {
      throw InputError("run '" + run.name + "' holds " + std::to_string(have) + " samples of " +
                       suite + " where shard " + shard_name(i, n) + " of " + std::to_string(total) +
                       " documents holds " + std::to_string(want) +
                       ": not a shard of the same selection (or an edited samples.jsonl)");
    }
    const SuiteResult* recorded = nullptr;
    for (const SuiteResult& s : run.record.suites) recorded = s.name == suite ? &s : recorded;
    if (!recorded || recorded->n_docs * per != have) {
      throw InputError("run '" + run.name + "': samples.jsonl holds " + std::to_string(have) +
                       " samples of " + suite + " but run.json says " +
                       std::to_string(recorded ? recorded->n_docs : 0));
    }
    if (it == run.by_suite.end()) continue;
    for (size_t k : it->second) {
      if (run.samples[k].repeat.value_or(0) != 0) continue;  // a document's later repeats
      auto [prev, fresh] = seen.emplace(run.samples[k].doc_id, &run);
      if (!fresh) {
        throw InputError("runs '" + prev->second->name + "' and '" + run.name +
                         "' both hold document " + run.samples[k].doc_id + " of " + suite +
                         " (overlapping shards)");
      }
    }
  }
}

const SuiteResult& suite_of(const ShardRun& run, const std::string& name) {
  for (const SuiteResult& s : run.record.suites) {
    if (s.name == name) return s;
  }
  throw InputError("run '" + run.name + "' has no suite " + name + " in run.json");
}

struct MergedSuite {
  SuiteResult result;
  std::vector<const std::string*> lines;     // samples.jsonl lines, unsharded order
  std::vector<const SampleRecord*> samples;  // their records
  LatencySummary latency;
};

// A cost, the tokens it is for and the prices record it was computed at: one table, or the list
// of the tables used, each with its tokens and cost (a run that crossed a price change).
struct Priced {
  std::optional<double> usd;
  json prices;
  TokenCounts tokens;
};

// One table of the merged record: the table, and the tokens and $ billed at it where known.
struct TableUse {
  json table;
  std::optional<TokenCounts> tokens;
  std::optional<double> usd;
};

// Whether something was billed at a table: tokens or $ (a list entry written before they were
// recorded, with neither, is taken as billed).
bool billed_at(const TableUse& u) {
  if (!u.tokens && !u.usd) return true;
  return (u.tokens && u.tokens->total() > 0) || (u.usd && *u.usd > 0);
}

// Adds a part's tables to `uses`: a single table carries the part's tokens and cost; a list's
// entries their own (a list written before they were recorded has none: unknown). A table at
// which nothing was billed (a shard's suite all from the cache) goes to `unbilled` instead.
void add_tables(const Priced& part, std::vector<TableUse>* uses, std::vector<json>* unbilled) {
  std::vector<TableUse> of_part;
  if (part.prices.is_array()) {
    for (const json& e : part.prices) {
      TableUse u{e, std::nullopt, std::nullopt};
      if (e.is_object() && e.contains("tokens") && e["tokens"].is_object()) {
        u.tokens = tokens_of(e["tokens"], "merge", "cost.prices[].tokens.");
      }
      if (e.is_object() && e.contains("usd") && e["usd"].is_number()) {
        u.usd = e["usd"].get<double>();
      }
      if (u.table.is_object()) {
        u.table.erase("tokens");
        u.table.erase("usd");
      }
      of_part.push_back(std::move(u));
    }
  } else {
    of_part.push_back({part.prices, part.tokens, part.usd});
  }
  for (TableUse& u : of_part) {
    if (!billed_at(u)) {
      unbilled->push_back(std::move(u.table));
      continue;
    }
    auto same = std::find_if(uses->begin(), uses->end(),
                             [&](const TableUse& t) { return t.table == u.table; });
    if (same == uses->end()) {
      uses->push_back(std::move(u));
      continue;
    }
    if (same->tokens && u.tokens) *same->tokens += *u.tokens;
    if (!u.tokens) same->tokens.reset();
    same->usd = same->usd && u.usd ? std::optional<double>(*same->usd + *u.usd) : std::nullopt;
  }
}

// In time order: an instant sorts after its date's 00:00, as the models file writes them.
bool earlier_table(const json& a, const json& b) {
  return str_or(a, "effective_from") < str_or(b, "effective_from");
}

// What the shards were billed, summed as each was priced (a night's shards can straddle a price
// change, a run can cross one); unknown when one is. The table when one was used, else the list
// of those used, each with the tokens billed at it and their cost where known; when nothing was
// billed, the latest of the parts' tables (merged_record makes a suite's the run's).
std::pair<std::optional<double>, json> sum_costs(const std::vector<Priced>& parts) {
  std::optional<double> usd = 0.0;
  std::vector<TableUse> uses;
  std::vector<json> unbilled;
  for (const Priced& p : parts) {
    if (!p.usd) return {std::nullopt, json()};
    *usd += *p.usd;
    add_tables(p, &uses, &unbilled);
  }
  if (parts.empty()) return {std::nullopt, json()};
  if (uses.empty()) {
    std::stable_sort(unbilled.begin(), unbilled.end(), earlier_table);
    return {usd, unbilled.empty() ? json() : unbilled.back()};
  }
  if (uses.size() == 1) return {usd, uses[0].table};
  std::stable_sort(uses.begin(), uses.end(), [](const TableUse& a, const TableUse& b) {
    return earlier_table(a.table, b.table);
  });
  json tables = json::array();
  for (const TableUse& u : uses) {
    json e = u.table;
    if (u.tokens) e["tokens"] = tokens_json(*u.tokens);
    if (u.usd) e["usd"] = *u.usd;
    tables.push_back(std::move(e));
  }
  return {usd, tables};
}

// What the shards' answers from the cache cost, each shard's at its own prices (so the merged
// run costs on the leaderboard what its shards pooled do); nullopt when one's is unknown.
std::optional<double> merged_cached_usd(const std::vector<const ShardRun*>& shards,
                                        const std::string& name) {
  double usd = 0;
  for (const ShardRun* run : shards) {
    const SuiteResult& s = suite_of(*run, name);
    const std::optional<double> part = s.cost_usd ? leaderboard_cached_usd(s) : std::nullopt;
    if (!part) return std::nullopt;
    usd += *part;
  }
  return usd;
}

// The document whose samples (its repeats) are [first, last) counted in run.json's thinking as the
// run counts it (harness/runner/score.cpp): it thought when a sample that did not fail kept a
// reasoning of more than whitespace or stopped while thinking; truncated when one stopped so.
void count_thinking(std::vector<const SampleRecord*>::const_iterator first,
                    std::vector<const SampleRecord*>::const_iterator last, SuiteResult* r) {
  bool thought = false, truncated = false;
  for (; first != last; ++first) {
    const SampleRecord& s = **first;
    if (!s.error_type.empty()) continue;
    truncated |= s.truncated_thinking;
    for (const std::string& t : s.reasoning) {
      thought |= !thinking_blank(t);
    }
  }
  r->thinking_samples += thought || truncated;
  r->truncated_thinking += truncated;
}

// One suite merged: samples interleaved (document p is shard p%N's (p/N)-th), metrics aggregated
// again from them, counters summed (thinking counted per document from the samples).
MergedSuite merge_suite(const std::vector<const ShardRun*>& shards, const std::string& name) {
  const long n = static_cast<long>(shards.size());
  MergedSuite m{suite_of(*shards[0], name), {}, {}, {}};
  SuiteResult& r = m.result;
  long total = 0;
  r.errors.clear();
  r.cache_hits = 0;
  r.tokens = r.tokens_all = TokenCounts{};
  r.usage_missing = 0;
  r.thinking_samples = r.truncated_thinking = 0;  // counted per document from the samples
  r.recorded_reasoning = 0;
  r.finish_reasons.clear();
  std::vector<Priced> costs;
  for (const ShardRun* run : shards) {
    const SuiteResult& s = suite_of(*run, name);
    costs.push_back({s.cost_usd, s.prices, s.tokens});
    total += s.n_docs;
    r.cache_hits += s.cache_hits;
    r.tokens += s.tokens;
    r.tokens_all += s.tokens_all;
    r.recorded_reasoning = r.recorded_reasoning && s.recorded_reasoning
                               ? std::optional<long>(*r.recorded_reasoning + *s.recorded_reasoning)
                               : std::nullopt;
    r.usage_missing += s.usage_missing;
    if (r.data.empty()) r.data = s.data;  // a shard from before `data` was recorded has none
    for (const auto& [type, count] : s.errors) r.errors[type] += count;
    for (const auto& [why, count] : s.finish_reasons) r.finish_reasons[why] += count;
  }
  const long per = std::max(1, r.repeats);  // --repeats: consecutive samples per document
  check_suite_counts(shards, name, total, per);
  std::vector<const SampleRecord*>& samples = m.samples;
  std::vector<std::string> subjects;
  std::vector<double> weights;  // doc_weight suites: each document's, as its samples record it
  const bool weighted = !r.doc_weight.is_null();
  for (long p = 0; p < total; ++p) {
    const ShardRun& run = *shards[p % n];
    for (long k = 0; k < per; ++k) {
      const size_t line = run.by_suite.at(name)[(p / n) * per + k];
      samples.push_back(&run.samples[line]);
      m.lines.push_back(&run.lines[line]);
      if (!run.samples[line].cached) m.latency.add(run.samples[line]);
      if (weighted && !run.samples[line].weight) {
        throw InputError("run '" + run.name + "': samples.jsonl line " + std::to_string(line + 1) +
                         " has no 'weight', which suite " + name + " weighs its documents by");
      }
    }
    count_thinking(samples.end() - per, samples.end(), &r);
    subjects.push_back(samples.back()->subject);
    if (weighted) weights.push_back(*samples.back()->weight);
  }
  const bool by_subject = r.spec.value("weight_by_subject", false);
  r.groups = json::object();
  r.repeat_means = json::object();
  for (auto& [id, stat] : r.metrics) {
    std::vector<double> values;
    for (const SampleRecord* s : samples) {
      auto it = s->metrics.find(id);
      values.push_back(it == s->metrics.end() ? 0.0 : it->second);
    }
    std::vector<double> means;
    const MetricAggregate a = aggregate_metric_repeats(
        values, static_cast<int>(per), subjects, by_subject, &means, weighted ? &weights : nullptr);
    if (per > 1) r.repeat_means[id] = means;
    const bool higher = stat.higher_is_better;
    stat = a.overall;
    stat.higher_is_better = higher;
    for (const auto& [subject, g] : a.groups) r.groups[subject][id] = g.to_json();
  }
  r.n_docs = total;
  std::tie(r.cost_usd, r.prices) = sum_costs(costs);
  r.has_cached_usd = r.cost_usd.has_value();
  r.cached_usd = merged_cached_usd(shards, name);
  r.latency = m.latency.to_json();
  return m;
}

// A suite that billed nothing records the merged run's latest table (of `prices`, its cost's), as
// a run's does.
void unbilled_suites_at_latest(const json& prices, std::vector<SuiteResult>* suites) {
  json latest = prices.is_array() && !prices.empty() ? prices.back() : prices;
  if (latest.is_object()) {
    latest.erase("tokens");
    latest.erase("usd");
  }
  for (SuiteResult& s : *suites) {
    if (s.cost_usd && *s.cost_usd == 0 && s.tokens.total() == 0) s.prices = latest;
  }
}

// The merged run.json: shard 0's record with the suites merged, the counters and timings summed
// over the shards, the shard scope "0/1", and "merge" listing the shard runs.
RunRecord merged_record(const std::vector<const ShardRun*>& shards,
                        std::vector<MergedSuite>& suites, const MergeOptions& options) {
  RunRecord m = shards[0]->record;
  m.run_id = options.out.filename().string();
  // Dated by its newest shard, as the unsharded run would be by its start: merging late must not
  // make an older night the latest run (merge.merged_at says when it was merged).
  m.created.clear();
  for (const ShardRun* run : shards) m.created = std::max(m.created, run->record.created);
  m.command = options.command_line;
  m.options["shard"] = "0/1";
  m.options["max_error_rate"] = options.max_error_rate;  // the merged run's gate, not a shard's
  m.suites.clear();
  m.errors.clear();
  m.billed = TokenCounts{};
  LatencySummary latency;
  for (MergedSuite& s : suites) {
    m.billed += s.result.tokens;
    for (const auto& [type, count] : s.result.errors) m.errors[type] += count;
    latency.merge(s.latency);
    m.suites.push_back(s.result);
  }
  std::vector<Priced> costs;
  for (const MergedSuite& s : suites) {
    costs.push_back({s.result.cost_usd, s.result.prices, s.result.tokens});
  }
  const auto [usd, prices] = sum_costs(costs);
  m.cost = usd ? json{{"usd", *usd}, {"prices", prices}} : json();
  if (usd) unbilled_suites_at_latest(prices, &m.suites);
  m.latency = latency.to_json();
  m.requests_sent = m.cache_hits = m.docs = m.prompt_tokens = m.output_tokens = 0;
  m.failed_attempts = FailedAttempts{};
  // What the shards' failed attempts cost: a sum when every shard priced them, null (unknown)
  // when one could not (its attempts told no usage), absent when a shard predates the field.
  double failed_usd = 0;
  bool failed_priced = true, failed_unknown = false;
  m.load_s = m.dispatch_s = m.scoring_s = m.write_s = m.total_s = 0;
  json runs = json::array();
  for (const ShardRun* run : shards) {
    const RunRecord& r = run->record;
    m.requests_sent += r.requests_sent;
    m.cache_hits += r.cache_hits;
    m.docs += r.docs;
    m.prompt_tokens += r.prompt_tokens;
    m.output_tokens += r.output_tokens;
    m.failed_attempts += r.failed_attempts;
    const bool priced = r.cost.is_object() && r.cost.contains("failed_attempts_usd") &&
                        r.cost["failed_attempts_usd"].is_number();
    if (priced) failed_usd += r.cost["failed_attempts_usd"].get<double>();
    failed_priced &= priced;
    failed_unknown |= r.cost.is_object() && r.cost.contains("failed_attempts_usd") &&
                      r.cost["failed_attempts_usd"].is_null();
    m.load_s += r.load_s;
    m.dispatch_s += r.dispatch_s;
    m.scoring_s += r.scoring_s;
    m.write_s += r.write_s;
    m.total_s += r.total_s;
    runs.push_back({{"run_id", r.run_id},
                    {"dir", run->name},
                    {"shard", shard_name(run->index, run->count)},
                    {"created", r.created},
                    {"host", r.host.value("hostname", "")},
                    {"data_dir", r.options.value("data_dir", "")},
                    {"total_s", r.total_s}});
  }
  if (m.cost.is_object() && (failed_priced || failed_unknown)) {
    m.cost["failed_attempts_usd"] = failed_unknown ? json(nullptr) : json(failed_usd);
  }
  m.prompt_tokens_per_s = m.dispatch_s > 0 ? m.prompt_tokens / m.dispatch_s : 0;
  m.output_tokens_per_s = m.dispatch_s > 0 ? m.output_tokens / m.dispatch_s : 0;
  m.docs_per_s = m.total_s > 0 ? m.docs / m.total_s : 0;
  m.merge = {{"shard_count", shards.size()},
             {"merged_at", utc_now_iso()},
             {"runs", runs},
             {"merged_by", build_describe()},
             {"timings_note", "timings are summed over the shards (machine time, not wall time)"}};
  return m;
}

// The merged run's failed samples by error type, in the merged samples.jsonl's order.
std::map<std::string, MergeResult::Failures> failures_of(const std::vector<MergedSuite>& suites) {
  std::map<std::string, MergeResult::Failures> out;
  for (const MergedSuite& suite : suites) {
    for (const SampleRecord* s : suite.samples) {
      if (s->error_type.empty()) continue;
      MergeResult::Failures& f = out[s->error_type];
      if (f.count++ == 0) {
        f.first_doc = s->suite + "/" + s->doc_id;
        f.first_message = s->error_message;
      }
    }
  }
  return out;
}

// Into a claimed partial directory, then published in place of a finished run only with --force.
void write_merged(const fs::path& out, const RunRecord& record,
                  const std::vector<MergedSuite>& suites, bool force) {
  std::optional<RunClaim> held;
  try {
    held.emplace(results_claim_run_id(out.filename().string(), "",
                                      out.parent_path().empty() ? "." : out.parent_path(), force));
  } catch (const RunIdHeld& h) {
    throw RunIdHeld("-o '" + out.string() + "': another moebench is writing " + h.dir().string() +
                        " (it holds " + h.partial().string() + "); wait for it to end",
                    h.dir(), h.partial());
  }
  RunClaim& claim = *held;
  std::string samples;
  for (const MergedSuite& s : suites) {
    for (const std::string* line : s.lines) samples += *line + '\n';
  }
  write_file_atomic(claim.partial() / "samples.jsonl", samples);
  write_file_atomic(claim.partial() / "run.json",
                    record.to_json().dump(2, ' ', false, json::error_handler_t::replace));
  claim.publish(force);
}

}  // namespace

MergeResult merge_runs(const MergeOptions& options) {
  if (options.runs.empty()) throw InputError("merge: no run directories given");
  const std::string out_name = options.out.filename().string();
  if (out_name.empty() || out_name == "." || out_name == "..") {
    throw InputError("-o '" + options.out.string() + "': name the merged run's directory");
  }
  results_check_run_id(out_name, options.out.parent_path(), options.force);
  std::vector<ShardRun> runs;
  for (const fs::path& dir : options.runs) runs.push_back(load_shard(dir));
  for (size_t i = 1; i < runs.size(); ++i) check_same_run(runs[0], runs[i]);
  const std::vector<const ShardRun*> shards = order_shards(runs);
  // Shard 0 holds the first document of every suite that has one, so its samples give the
  // unsharded suite order; suites without documents follow in run.json's order.
  std::vector<std::string> order = shards[0]->suite_order;
  for (const SuiteResult& s : shards[0]->record.suites) {
    if (!shards[0]->by_suite.count(s.name)) order.push_back(s.name);
  }
  std::vector<MergedSuite> suites;
  for (const std::string& name : order) suites.push_back(merge_suite(shards, name));
  const RunRecord record = merged_record(shards, suites, options);
  write_merged(options.out, record, suites, options.force);
  return {options.out, static_cast<int>(shards.size()), record, failures_of(suites)};
}

}  // namespace moebench
