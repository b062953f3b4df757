// run.json / samples.jsonl serialization and their write (common/file_write).
#include "harness/results/run_writer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>

#include "common/clock.h"
#include "common/error.h"
#include "common/file_write.h"
#include "common/token_cost.h"
#include "harness/results/host_info.h"
#include "harness/results/run_latency.h"
#include "reports/json_fields.h"
#include "tasks/suite_data.h"

namespace moebench {
namespace {

// --include-path: the suite dirs the run added to the tasks dir, as given (absolute).
nlohmann::json include_path_json(const std::vector<std::filesystem::path>& dirs) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& d : dirs) out.push_back(d.string());
  return out;
}

// NOTE: the data dir as typed ("data", the development copy's "../shared/datasets") was recorded
// as such, and a rescore from another directory read another copy there, silently (reviewer 91,
// F1): the path is recorded absolute, as the working directory named it.
std::string absolute_data_dir(const DataSource& source) {
  if (source.data_dir.empty()) return "";
  std::error_code ec;
  const std::filesystem::path abs = std::filesystem::absolute(source.data_dir, ec);
  return (ec ? source.data_dir : abs.lexically_normal()).string();
}

// The tokens a response was billed this run: none from the cache, and of a partial answer
// completed this run only the samples asked now.
TokenCounts billed_tokens(const SuiteRun& run, size_t d) {
  if (run.cached[d]) return TokenCounts{};
  TokenCounts t = run.responses[d].tokens;
  if (d < run.resumed.size()) t -= run.resumed[d];
  return t;
}

TokenCounts token_totals(const SuiteRun& run, bool sent_only) {
  TokenCounts t;
  for (size_t d = 0; d < run.responses.size(); ++d) {
    t += sent_only ? billed_tokens(run, d) : run.responses[d].tokens;
  }
  return t;
}

// Of the tokens a response was billed this run, those at each price table it was sent under.
TokensByPrice billed_by_price(const SuiteRun& run, size_t d) {
  return run.cached[d] ? TokensByPrice{} : run.responses[d].tokens_by_price;
}

// What tokens cost, and the prices record of run.json.
struct Priced {
  std::optional<double> usd;
  nlohmann::json prices;
};

// `billed` at the tables `by_price` names (BackendInfo::price_tables): the one table's record, or
// the list of the tables used, each with the tokens billed at it and their cost; no cost when a
// part was sent under no table. Without parts (a backend without dated tables, nothing sent)
// `billed` is at BackendInfo::prices.
Priced price_by_table(const TokensByPrice& by_price, const TokenCounts& billed,
                      const BackendInfo& backend) {
  if (by_price.empty()) return {tokens_cost_usd(billed, backend.prices), backend.prices};
  Priced out{0.0, nlohmann::json::array()};
  for (const auto& [from, tokens] : by_price) {
    const nlohmann::json table = backend.price_tables.value(from, nlohmann::json());
    const std::optional<double> usd = tokens_cost_usd(tokens, table);
    if (!usd) return {};
    *out.usd += *usd;
    nlohmann::json entry = table;
    entry["tokens"] = tokens_json(tokens);
    entry["usd"] = *usd;
    out.prices.push_back(std::move(entry));
  }
  if (out.prices.size() == 1) out.prices = backend.price_tables[by_price.begin()->first];
  return out;
}

// run.json's cost: the billed tokens' (null when a response had no usage) and the failed
// attempts' (null when one of them had none), each at the tables its attempts were sent under.
nlohmann::json run_cost(const RunOutcome& o, const TokenCounts& billed,
                        const TokensByPrice& by_price, long usage_missing) {
  const Priced p = price_by_table(by_price, billed, o.backend);
  if (usage_missing > 0 || !p.usd) return nullptr;
  nlohmann::json cost = {{"usd", *p.usd}, {"prices", p.prices}};
  // NOTE: an attempt cut before its usage told no prompt count (priced as 0 it would be a
  // confident understatement): their cost is unknown, null.
  const std::optional<double> failed =
      price_by_table(o.failed_attempts.by_price, o.failed_attempts.tokens, o.backend).usd;
  cost["failed_attempts_usd"] = o.failed_attempts.usage_missing > 0 || !failed
                                    ? nlohmann::json(nullptr)
                                    : nlohmann::json(*failed);
  return cost;
}

// Latencies and retries of the responses received this run (cache hits excluded).
LatencySummary latency_of(const SuiteRun& run) {
  LatencySummary l;
  for (size_t d = 0; d < run.responses.size(); ++d) {
    if (!run.cached[d]) l.add(run.responses[d]);
  }
  return l;
}

// --gen-kwargs as given ("key=value" in order), null when not given.
nlohmann::json gen_kwargs_json(const std::vector<std::pair<std::string, std::string>>& kw) {
  if (kw.empty()) return nullptr;
  std::string text;
  for (const auto& [k, v] : kw) text += (text.empty() ? "" : ",") + k + "=" + v;
  return text;
}

// The table a run prices its answers from the cache at, the same for all of its suites (they
// were billed before, at no table of this run's): the latest table it billed at, or when it billed
// nothing, the one in effect when its backend was made. Null when that part was sent unpriced.
nlohmann::json cached_answer_table(const RunOutcome& o) {
  TokensByPrice by_price;
  for (const SuiteRun& run : o.suites) {
    for (size_t d = 0; d < run.responses.size(); ++d) by_price += billed_by_price(run, d);
  }
  if (by_price.empty()) return o.backend.prices;
  return o.backend.price_tables.value(by_price.rbegin()->first, nlohmann::json());
}

SuiteResult suite_result(const SuiteRun& run, const BackendInfo& backend,
                         const nlohmann::json& cached_table, const LatencySummary& latency,
                         TokensByPrice* by_price) {
  SuiteResult r;
  const SuiteSpec& spec = run.instance->spec();
  r.name = spec.key();
  r.profile = spec.profile;
  r.profile_info = spec.profile_record;
  r.prompt_form = run.chat && !run.loglikelihood ? "chat" : "completion";
  r.version = run.instance->spec().version;
  r.n_docs = static_cast<long>(run.docs.size()) / std::max(1, run.repeats);
  r.repeats = run.repeats;
  for (const auto& [id, means] : run.repeat_means) r.repeat_means[id] = means;
  r.scored_by = run.loglikelihood ? "loglikelihood" : "generation";
  r.primary_metric = run.scorer->keys().empty() ? "" : run.scorer->keys().front().id();
  for (const MetricKey& k : run.scorer->keys()) {
    MetricStat m = run.metrics.at(k.id());
    m.higher_is_better = k.higher_is_better;
    r.metrics[k.id()] = m;
  }
  for (const auto& [subject, by_key] : run.groups) {
    for (const auto& [id, summary] : by_key) r.groups[subject][id] = summary.to_json();
  }
  r.errors = run.errors;
  r.thinking_samples = run.thinking_samples;
  r.truncated_thinking = run.truncated_thinking;
  r.finish_reasons = run.finish_reasons;
  r.tokens_all = token_totals(run, false);
  r.tokens = token_totals(run, true);
  for (const Response& resp : run.responses) {
    if (!resp.recorded_tokens || !r.recorded_reasoning) continue;
    r.recorded_reasoning =
        resp.recorded_tokens->reasoning_unknown
            ? std::nullopt
            : std::optional<long>(*r.recorded_reasoning + resp.recorded_tokens->reasoning);
  }
  // NOTE: an answer from the cache told no usage either: counted, so that the cost of every
  // sample (the leaderboard's, from tokens.all) stays unknown rather than the client's count.
  for (size_t d = 0; d < run.responses.size(); ++d) {
    r.usage_missing += run.responses[d].usage_missing;
    *by_price += billed_by_price(run, d);
  }
  // NOTE: a response without usage has no prompt count: the sum would be a confident wrong cost.
  if (r.usage_missing == 0) {
    // NOTE: a suite that billed nothing records the run's cached-answer table, not the one in
    // effect when the backend was made (the run may have paid nothing at that one).
    BackendInfo at = backend;
    if (!cached_table.is_null()) at.prices = cached_table;
    Priced p = price_by_table(*by_price, r.tokens, at);
    r.cost_usd = p.usd;
    if (p.usd) r.prices = std::move(p.prices);
    TokenCounts cached = r.tokens_all;
    cached -= r.tokens;
    r.has_cached_usd = p.usd.has_value();
    if (p.usd) r.cached_usd = tokens_cost_usd(cached, cached_table);
  }
  r.latency = latency.to_json();
  r.cache_hits = std::count(run.cached.begin(), run.cached.end(), true);
  r.spec = run.instance->spec().raw;
  r.data = suite_data(*run.instance).kind;
  r.data_why = suite_data(*run.instance).why;
  for (const std::string& key : run.unsent) r.spec["generation"][key] = nullptr;
  if (!spec.doc_weight.empty()) r.doc_weight = spec.doc_weight;
  return r;
}

}  // namespace

nlohmann::json results_run_json(const RunOutcome& o, const RunOptions& options) {
  RunRecord r;
  LatencySummary latency;
  long usage_missing = 0;
  TokensByPrice by_price;
  const nlohmann::json cached_table = cached_answer_table(o);
  for (const SuiteRun& run : o.suites) {
    const LatencySummary suite_latency = latency_of(run);
    TokensByPrice suite_by_price;
    SuiteResult suite = suite_result(run, o.backend, cached_table, suite_latency, &suite_by_price);
    by_price += suite_by_price;
    r.billed += suite.tokens;
    usage_missing += suite.usage_missing;
    for (const auto& [type, n] : run.errors) r.errors[type] += n;
    latency.merge(suite_latency);
    r.suites.push_back(std::move(suite));
  }
  const RunTimings& t = o.timings;
  r.run_id = o.run_id;
  r.created = utc_now_iso();
  r.moebench = build_describe();
  r.command = options.command_line;
  r.config = options.config;
  r.host = host_describe();
  r.backend = o.backend.to_json();
  r.options = {
      {"seed", options.seed},
      {"limit", options.limit ? nlohmann::json(*options.limit) : nlohmann::json(nullptr)},
      {"num_fewshot",
       options.num_fewshot ? nlohmann::json(*options.num_fewshot) : nlohmann::json(nullptr)},
      {"gen_kwargs", gen_kwargs_json(options.gen_kwargs)},
      {"repeats", options.repeats},
      {"shard", std::to_string(options.shard_index) + "/" + std::to_string(options.shard_count)},
      {"data_dir",
       options.source.samples ? "(bundled samples)" : absolute_data_dir(options.source)},
      {"include_path", include_path_json(options.source.include_dirs)},
      {"samples", options.source.samples},
      {"max_error_rate", options.max_error_rate}};
  r.sandbox = o.sandbox_isolation;
  r.sandbox_accounting =
      o.sandbox_accounting.empty() ? nlohmann::json(nullptr) : nlohmann::json(o.sandbox_accounting);
  r.requests_sent = o.requests_sent;
  r.cache_hits = o.cache_hits;
  r.docs = o.docs;
  r.failed_attempts = o.failed_attempts;
  r.cost = run_cost(o, r.billed, by_price, usage_missing);
  r.latency = latency.to_json();
  r.prompt_tokens = o.prompt_tokens;
  r.output_tokens = o.output_tokens;
  r.prompt_tokens_per_s = t.dispatch_s > 0 ? o.prompt_tokens / t.dispatch_s : 0;
  r.output_tokens_per_s = t.dispatch_s > 0 ? o.output_tokens / t.dispatch_s : 0;
  r.load_s = t.load_s;
  r.dispatch_s = t.dispatch_s;
  r.scoring_s = t.scoring_s;
  r.write_s = t.write_s;
  r.total_s = t.total_s;
  r.docs_per_s = t.total_s > 0 ? o.docs / t.total_s : 0;
  return r.to_json();
}

nlohmann::json results_sample_json(const SuiteRun& run, size_t d, const BackendInfo& backend) {
  const Doc& doc = *run.docs[d];
  const Request& req = run.requests[d];
  const Response& resp = run.responses[d];
  const DocScore& score = run.scores[d];
  SampleRecord s;
  s.suite = req.suite;
  s.doc_id = doc.id;
  s.subject = doc.subject;
  s.request_hash = run.hashes[d];
  if (!req.messages.empty()) {
    s.prompt = nlohmann::json::array();
    for (const auto& m : req.messages) {
      s.prompt.push_back({{"role", m.role}, {"content", m.content}});
    }
  } else {
    s.prompt = req.prompt;
  }
  s.responses = resp.texts;
  s.filtered = score.filtered;
  s.gold = run.instance->spec().output == OutputKind::kChoice
               ? nlohmann::json(run.instance->gold_choices(doc))
               : nlohmann::json(run.instance->target(doc));
  s.metrics = score.values;
  s.details = score.details;
  s.scored_by = run.loglikelihood ? "loglikelihood" : "generation";
  // NOTE: a partial answer completed this run: its sample records what this run sent, which its
  // cost_usd prices and run.json's billed tokens add up, and the cache's part apart.
  s.tokens = run.cached[d] ? resp.tokens : billed_tokens(run, d);
  if (resp.recorded_tokens) s.tokens = *resp.recorded_tokens;  // a replay's, as recorded
  if (!run.cached[d] && d < run.resumed.size() && run.resumed[d].total() > 0) {
    s.tokens_cached_part = run.resumed[d];
  }
  s.latency_s = resp.total_s;
  s.ttft_s = resp.ttft_s;
  s.cached = run.cached[d];
  if (!req.continuations.empty()) {
    s.continuations = req.continuations;
    s.logliks = resp.logliks;
  }
  if (resp.error) {
    s.error_type = error_type_name(resp.error->type);
    s.error_message = resp.error->message;
  }
  s.reasoning = resp.reasoning;
  s.finish_reasons = resp.finish_reasons;
  s.truncated_thinking = score.truncated_thinking;
  if (run.repeats > 1) s.repeat = req.repeat;
  if (!run.instance->spec().doc_weight.empty()) s.weight = doc.weight;
  s.thinking_s = resp.thinking_s;
  s.retries = resp.retries;
  s.truncated_prompt_tokens = resp.truncated_prompt_tokens;
  s.tpot_s = response_tpot_s(resp);
  for (double t : response_itl_s(resp)) {
    s.itl_s.push_back(std::round(t * 1e6) / 1e6);  // to the microsecond: the clock's precision
  }
  s.usage_missing = resp.usage_missing;
  if (!run.cached[d] && !resp.usage_missing) {
    s.cost_usd = price_by_table(billed_by_price(run, d), billed_tokens(run, d), backend).usd;
  }
  return s.to_json();
}

std::filesystem::path results_write(const RunOutcome& o, const RunOptions& options,
                                    RunClaim& claim) {
  const std::filesystem::path partial = claim.partial();
  auto t0 = Clock::now();
  std::string samples;
  for (const SuiteRun& run : o.suites) {
    for (size_t d = 0; d < run.docs.size(); ++d) {
      samples += results_sample_json(run, d, o.backend)
                     .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      samples += '\n';
    }
  }
  write_file_atomic(partial / "samples.jsonl", samples);
  nlohmann::json run = results_run_json(o, options);
  if (!options.rescore.is_null()) run["rescore"] = options.rescore;
  // NOTE: run.json cannot time its own write; write_s covers samples.jsonl, the bulk of it.
  run["timings"]["write_s"] = seconds_since(t0);
  write_file_atomic(partial / "run.json",
                    run.dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
  return claim.publish(options.force);
}

}  // namespace moebench
