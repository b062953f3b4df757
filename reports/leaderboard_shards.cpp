// leaderboard_pool_shards: the results of one suite run as N shards (--shard i/N), pooled into the
// result the unsharded run would have had.
#include <map>

#include "reports/json_fields.h"
#include "reports/leaderboard.h"

namespace moebench {
using nlohmann::json;
namespace {

// A subject-weighted suite (MMLU) pooled as its unsharded run aggregates: each subject's
// documents over the shards, then lm-eval's pooled stderr over the subjects (a shard's suite
// stderr is that pooled one, no s/sqrt(n) to unite). Sets out->groups; false when a shard lacks
// its subjects' stats for `key` (older runs), and the documents' union stands.
bool pool_by_subject(const std::vector<const SuiteResult*>& shards, const std::string& key,
                     const MetricStat& all, SuiteResult* out) {
  std::map<std::string, std::vector<MetricStat>> parts;
  long n = 0;
  for (const SuiteResult* s : shards) {
    if (!s->spec.is_object() || s->spec.value("weight_by_subject", false) != true) return false;
    for (const auto& [subject, metrics] : s->groups.items()) {
      const json* g = metrics.is_object() && metrics.contains(key) ? &metrics[key] : nullptr;
      if (!g || !g->is_object() || !(*g)["mean"].is_number() || !(*g)["n"].is_number()) continue;
      MetricStat m;
      m.mean = (*g)["mean"].get<double>();
      m.stderr_ = num_or(*g, "stderr");  // null below two documents
      m.n = (*g)["n"].get<long>();
      n += m.n;
      parts[subject].push_back(m);
    }
  }
  if (n != all.n) return false;  // the subjects do not cover the documents
  std::vector<MetricStat> subjects;
  for (const auto& [subject, p] : parts) {
    subjects.push_back(metric_stat_union(p));
    out->groups[subject][key] = subjects.back().to_json();
  }
  if (!metric_stat_pools_subjects(subjects.size(), n)) return true;
  MetricStat& m = out->metrics[key];
  m.stderr_ = metric_stat_pooled(subjects).stderr_;
  return true;
}

}  // namespace

SuiteResult leaderboard_pool_shards(const std::vector<const SuiteResult*>& shards) {
  if (shards.empty()) return SuiteResult{};
  const SuiteResult& last = *shards.back();
  SuiteResult out;
  out.name = last.name;
  out.version = last.version;
  out.primary_metric = last.primary_metric;
  out.scored_by = last.scored_by;
  out.cost_usd = 0.0;
  for (const SuiteResult* s : shards) {
    out.n_docs += s->n_docs;
    out.cache_hits += s->cache_hits;
    for (const auto& [type, count] : s->errors) out.errors[type] += count;
    out.tokens += s->tokens;
    out.tokens_all += s->tokens_all;
    if (!s->cost_usd) out.cost_usd.reset();
    if (out.cost_usd) *out.cost_usd += *s->cost_usd;
  }
  // A metric is pooled when every shard reports it; one missing from a shard would be a mean over
  // part of the documents.
  for (const auto& [key, unused] : last.metrics) {
    std::vector<MetricStat> parts;
    for (const SuiteResult* s : shards) {
      auto it = s->metrics.find(key);
      if (it != s->metrics.end()) parts.push_back(it->second);
    }
    if (parts.size() != shards.size()) continue;
    out.metrics[key] = metric_stat_union(parts);
    pool_by_subject(shards, key, out.metrics[key], &out);
  }
  return out;
}

}  // namespace moebench
