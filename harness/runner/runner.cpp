// run_evaluation: the pipeline of DESIGN.md's "flow of one run".
#include "harness/runner/runner.h"

#include <atomic>
#include <chrono>
#include <optional>

#include "common/clock.h"
#include "common/hash.h"
#include "harness/results/run_claim.h"
#include "harness/results/run_writer.h"
#include "harness/runner/backend_factory.h"
#include "harness/runner/cache.h"
#include "harness/runner/dispatch.h"
#include "harness/runner/plan.h"
#include "harness/runner/score.h"
#include "harness/scoring/registry.h"

namespace moebench {
namespace {

// Same command and same backend -> same hash: every option that changes the results is in it (one
// at its default adds nothing, so such runs keep the hash they had before it counted). The UTC
// time, and -2, -3, ... for runs of one second (results_claim_run_id), keep run ids unique.
std::string make_run_id(const RunOptions& o, const BackendInfo& b) {
  std::string config = b.id + '\x1f' + std::to_string(o.seed) + '\x1f' +
                       std::to_string(o.shard_index) + '/' + std::to_string(o.shard_count) +
                       '\x1f' + (o.limit ? std::to_string(*o.limit) : "all") + '\x1f' +
                       (o.source.samples ? "samples" : o.source.data_dir.string());
  for (const auto& s : o.suites) config += '\x1f' + s;
  auto add = [&config](const std::string& key, const std::string& value) {
    config += '\x1f' + key + '=' + value;
  };
  if (!b.cache_tag.empty()) add("cache_tag", b.cache_tag);
  if (o.profile != kDefaultProfile) add("profile", o.profile);
  if (o.num_fewshot) add("num_fewshot", std::to_string(*o.num_fewshot));
  if (o.repeats != 1) add("repeats", std::to_string(o.repeats));
  for (const auto& [k, v] : o.gen_kwargs) add("gen_kwargs." + k, v);
  for (const auto& dir : o.source.include_dirs) add("include_path", dir.string());
  for (const auto& [suite, ids] : o.only_docs) {
    for (const std::string& id : ids) add("only_docs." + suite, id);
  }
  std::string name = b.id.substr(0, b.id.find(':'));
  return utc_now_format("%Y%m%dT%H%M%SZ") + "-" + name + "-" + sha256_hex(config).substr(0, 8);
}

bool any_needs_sandbox(const std::vector<SuiteRun>& runs) {
  for (const SuiteRun& r : runs) {
    if (r.scorer->needs_sandbox() && !r.docs.empty()) return true;
  }
  return false;
}

// --dry-run: the first prompts of each suite as the backend would read them, and how many of the
// requests an existing cache already answers; nothing is sent or written.
RunOutcome dry_run(const RunOptions& options, const Backend& backend, RunOutcome out) {
  out.dry_run = true;
  for (SuiteRun& run : out.suites) {
    const size_t n = std::min(run.requests.size(), static_cast<size_t>(options.dry_run_prompts));
    for (size_t i = 0; i < n; ++i) run.rendered.push_back(backend.render(run.requests[i]));
  }
  const std::filesystem::path file =
      options.cache_file.empty() ? options.results_dir / "cache.sqlite" : options.cache_file;
  if (options.use_cache && std::filesystem::exists(file)) {
    ResponseCache cache(file);
    const std::string id = out.backend.cache_key();
    for (const SuiteRun& run : out.suites) {
      for (const auto& [hash, response] : cache.get_many(id, run.hashes)) {
        out.cached_already += !response.partial();
      }
    }
  }
  return out;
}

}  // namespace

RunOutcome run_evaluation(const RunOptions& options) {
  auto t_start = Clock::now();
  scoring_register_builtins();
  RunOutcome out;
  // A bad or taken --run-id fails here, before the model loads or a request is sent.
  if (!options.run_id.empty())
    results_check_run_id(options.run_id, options.results_dir, options.force);
  // Set when the cache stops taking writes: the backend then admits no more work, as on Ctrl-C.
  std::atomic<bool> stop_sending{false};
  std::unique_ptr<Backend> backend =
      backend_create(options, [&stop_sending] { return stop_sending.load(); });
  out.suites = plan_suites(options, backend->info());
  std::optional<Sandbox> sandbox;
  if (any_needs_sandbox(out.suites)) sandbox.emplace(options.sandbox);  // refuses loudly
  out.sandbox_isolation = sandbox ? sandbox->isolation() : "not needed";
  if (sandbox) out.sandbox_accounting = sandbox->accounting();
  backend_give_answers(*backend, out.suites);
  out.backend = backend->info();
  if (!options.published_as.empty()) out.backend.published_as = options.published_as;
  for (const SuiteRun& r : out.suites) out.docs += static_cast<long>(r.docs.size());
  out.timings.load_s = seconds_since(t_start);
  const std::string generated = make_run_id(options, out.backend);
  if (options.dry_run) {
    out.run_id =
        results_choose_run_id(options.run_id, generated, options.results_dir, options.force);
    return dry_run(options, *backend, std::move(out));
  }
  // The run's directory is its own from here on, before a request is sent: an id that another run
  // holds or a results dir that cannot be written fails now.
  RunClaim claim =
      results_claim_run_id(options.run_id, generated, options.results_dir, options.force);
  out.run_id = claim.id();

  auto t_dispatch = Clock::now();
  std::optional<ResponseCache> cache;
  if (options.use_cache) {
    cache.emplace(options.cache_file.empty() ? options.results_dir / "cache.sqlite"
                                             : options.cache_file);
  }
  DispatchStats stats =
      dispatch_requests(out.suites, *backend, cache ? &*cache : nullptr, options, &stop_sending);
  out.requests_sent = stats.sent;
  out.cache_hits = stats.cache_hits;
  out.prompt_tokens = stats.prompt_tokens;
  out.output_tokens = stats.output_tokens;
  out.failed_attempts = stats.failed_attempts;
  out.timings.dispatch_s = seconds_since(t_dispatch);
  if (stats.interrupted) {
    out.interrupted = true;
    out.timings.total_s = seconds_since(t_start);
    return out;
  }

  auto t_score = Clock::now();
  score_all(out.suites, sandbox ? &*sandbox : nullptr, options.scoring_threads, options.progress);
  aggregate_all(out.suites);
  out.timings.scoring_s = seconds_since(t_score);

  auto t_write = Clock::now();
  out.timings.total_s = seconds_since(t_start);
  out.dir = results_write(out, options, claim);
  out.timings.write_s = seconds_since(t_write);
  out.timings.total_s = seconds_since(t_start);
  return out;
}

}  // namespace moebench
