// `moebench run`: evaluate a backend on suites; cli_run (shared with rescore) runs the pipeline and
// prints the summary and where it went.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <memory>

#include "backends/builtin/engine_select.h"
#include "common/error.h"
#include "harness/cli/cli_checks.h"
#include "harness/cli/cli_common.h"
#include "harness/cli/command.h"

namespace moebench {

namespace {

std::string short_list(const std::vector<std::string>& xs) {
  nlohmann::json j = xs;
  return j.dump();
}

// The generation a suite's requests carry after every override (--gen-kwargs, the models file's,
// what Anthropic is sent, a completion form's extra stops): the first planned request's, else the
// spec's. Empty for log-likelihood.
std::string planned_generation(const SuiteRun& run) {
  if (run.loglikelihood) return "";
  GenerationSettings g =
      run.requests.empty() ? run.instance->spec().generation : run.requests.front().generation;
  if (run.requests.empty() && !run.chat) {
    g.stop.insert(g.stop.end(), g.completion_stop.begin(), g.completion_stop.end());
  }
  auto sent = [&](const char* key, double v) {  // plan.cpp omitted_generation
    const bool omitted = std::find(run.unsent.begin(), run.unsent.end(), key) != run.unsent.end();
    return omitted ? std::string("not sent") : nlohmann::json(v).dump();
  };
  return ", max_tokens " + std::to_string(g.max_tokens) +
         (g.thinking_budget > 0 ? ", thinking_budget " + std::to_string(g.thinking_budget) : "") +
         ", temperature " + sent("temperature", g.temperature) + ", top_p " +
         sent("top_p", g.top_p) + ", n " + std::to_string(g.n_samples) + ", stop " +
         short_list(g.stop);
}

// --dry-run: what each suite would ask, its first prompts (as the model reads them when the
// backend renders them), the request hashes, and what the cache already holds.
int print_dry_run(const RunOutcome& out) {
  long requests = 0;
  for (const SuiteRun& run : out.suites) {
    const SuiteSpec& spec = run.instance->spec();
    requests += static_cast<long>(run.requests.size());
    std::printf("== %s (profile %s): %zu requests, %s%s\n", spec.key().c_str(),
                spec.profile.c_str(), run.requests.size(),
                run.loglikelihood ? "log-likelihood of the choices"
                : run.chat        ? "chat messages"
                                  : "raw completion",
                planned_generation(run).c_str());
    for (size_t i = 0; i < run.rendered.size(); ++i) {
      const Request& r = run.requests[i];
      std::printf("-- %s (request %s)\n", r.doc_id.c_str(), run.hashes[i].c_str());
      if (!run.rendered[i].empty()) {
        std::printf("%s\n", run.rendered[i].c_str());
      } else if (!r.messages.empty()) {
        for (const ChatMessage& m : r.messages) {
          std::printf("[%s]\n%s\n", m.role.c_str(), m.content.c_str());
        }
      } else {
        std::printf("%s\n", r.prompt.c_str());
      }
      if (!r.continuations.empty())
        std::printf("continuations: %s\n", short_list(r.continuations).c_str());
    }
  }
  std::printf(
      "\ndry run: %ld requests to %s, %ld of them already in the cache; nothing sent, "
      "nothing written\n",
      requests, out.backend.id.c_str(), out.cached_already);
  return kExitOk;
}

}  // namespace

int cli_run(RunOptions options) {
  RunOutcome out = run_evaluation(options);
  if (out.dry_run) return print_dry_run(out);
  if (out.interrupted) {
    if (!options.use_cache) {
      std::fprintf(stderr,
                   "moebench: interrupted; --no-cache: the answers received so far are lost "
                   "(nothing is kept), and running the command again sends every request "
                   "again.\n");
      return kExitInterrupted;
    }
    long kept = 0;  // answered, or a partial answer's samples: errors alone are never cached
    for (const SuiteRun& run : out.suites) {
      for (const Response& r : run.responses)
        kept += r.partial() || (!r.error && !(r.texts.empty() && r.logliks.empty()));
    }
    std::fprintf(stderr,
                 "moebench: interrupted; %ld of %ld responses are in the cache (whole or some "
                 "of their samples). Run the same command again to resume.\n",
                 kept, out.docs);
    return kExitInterrupted;
  }
  cli_print_summary(out);
  std::printf("\n%ld documents, %ld requests sent, %ld from cache, %.2f s (%.0f docs/s)\n",
              out.docs, out.requests_sent, out.cache_hits, out.timings.total_s,
              out.timings.total_s > 0 ? out.docs / out.timings.total_s : 0.0);
  if (out.requests_sent > 0 && out.timings.dispatch_s > 0) {
    const double s = out.timings.dispatch_s;
    std::printf(
        "backend: %ld prompt tokens (%.0f tokens/s), %ld output tokens (%.0f tokens/s) in "
        "%.2f s\n",
        out.prompt_tokens, out.prompt_tokens / s, out.output_tokens, out.output_tokens / s, s);
  }
  std::printf("results: %s\nsamples: %s\n", (out.dir / "run.json").c_str(),
              (out.dir / "samples.jsonl").c_str());
  const double failed = cli_print_errors(out);
  if (failed > options.max_error_rate) {
    std::fprintf(stderr,
                 "moebench: error: %.1f%% of the samples failed, more than --max-error-rate "
                 "%.1f%%; the run is written but its scores are not to be trusted (exit %d)\n",
                 100 * failed, 100 * options.max_error_rate, kExitTooManyErrors);
    return kExitTooManyErrors;
  }
  return kExitOk;
}

std::vector<std::pair<std::string, std::string>> cli_parse_gen_kwargs(const std::string& text) {
  std::vector<std::pair<std::string, std::string>> out;
  if (text.empty()) return out;
  size_t b = 0;
  while (b <= text.size()) {
    size_t e = text.find(',', b);
    if (e == std::string::npos) e = text.size();
    const std::string kv = text.substr(b, e - b);
    const size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == kv.size()) {
      throw InputError("--gen-kwargs '" + text + "': expected key=value[,key=value...], got '" +
                       kv + "'");
    }
    out.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
    b = e + 1;
  }
  return out;
}

namespace {

struct RunFlags {
  CommonFlags common;
  RunOptions options;
  std::string shard = "0/1", cache, models, device, gen_kwargs;
  std::vector<std::string> backend_opts;
  bool no_cache = false;
};

int run_command(const RunFlags& f, const CliContext& context) {
  RunOptions o = f.options;
  o.command_line = context.command_line;
  o.config = *context.config;
  cli_apply_common_flags(f.common, &o);
  cli_check_suite_names(o, !f.common.profile.empty());
  run_parse_shard(f.shard, &o.shard_index, &o.shard_count);
  for (const std::string& kv : f.backend_opts) {
    auto eq = kv.find('=');
    if (eq == std::string::npos) throw InputError("--backend-opt '" + kv + "': expected key=value");
    o.backend_options[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  if (!f.device.empty()) {
    engine_device_parse(f.device);
    o.backend_options["device"] = f.device;
  }
  o.gen_kwargs = cli_parse_gen_kwargs(f.gen_kwargs);
  o.models_file = cli_models_file(f.models);
  if (!f.models.empty() && o.backend.rfind("api:", 0) == 0 && !std::ifstream(f.models)) {
    throw InputError("--models " + f.models + ": cannot read");  // read when the backend opens
  }
  o.use_cache = !f.no_cache;
  o.cache_file = f.cache;
  return cli_run(o);
}

}  // namespace

Command cmd_run(CLI::App& app, const CliContext& context) {
  auto f = std::make_shared<RunFlags>();
  CLI::App* run = app.add_subcommand("run", "Evaluate a backend on suites");
  cli_add_common_flags(run, &f->common);
  run->add_option("--backend", f->options.backend,
                  "oracle | oracle-chat | replay:<file> | builtin:<checkpoint dir> | "
                  "api:<model name in the models file>")
      ->capture_default_str();
  run->add_option("--models", f->models,
                  "Models file naming the api: backends (default: $MOEBENCH_MODELS, else "
                  "backends/models.json)");
  run->add_option("--backend-opt", f->backend_opts, "Backend option key=value (repeatable)");
  run->add_option("--published-as", f->options.published_as,
                  "The model as tasks/published_scores.json names it (e.g. DeepSeek-V3-Base): "
                  "reports set the run against the published numbers (default: the models file's "
                  "published_as)");
  run->add_option("--device", f->device,
                  "builtin backend: auto | cpu | cuda | cuda:N (= --backend-opt device=...)");
  run->add_option("--seed", f->options.seed, "Sampling seed")
      ->check(cli_unsigned())
      ->capture_default_str();
  run->add_option("--num-fewshot", f->options.num_fewshot,
                  "Few-shot examples per prompt for every suite (lm-eval's flag; default: each "
                  "suite's own)")
      ->check(cli_integer(0, 64));
  run->add_option("--repeats", f->options.repeats,
                  "Ask every document N times with per-repeat seeds; scores are avg@N with a CI "
                  "over documents")
      ->check(cli_integer(1, 1000))
      ->capture_default_str();
  run->add_option("--gen-kwargs", f->gen_kwargs,
                  "Generation settings for every suite, key=value,... (lm-eval's flag): "
                  "temperature, top_p, max_tokens (max_gen_toks), thinking_budget, n, do_sample");
  run->add_flag("--dry-run", f->options.dry_run,
                "Plan only: print each suite's first prompts (chat template applied where the "
                "backend renders it) and request hashes; send nothing, write nothing");
  run->add_option("--write-out", f->options.dry_run_prompts,
                  "With --dry-run: prompts shown per suite (lm-eval's --write_out)")
      ->check(cli_integer(0, 1000))
      ->capture_default_str();
  run->add_option("--shard", f->shard, "Run shard i of N (0-based), e.g. 2/8")
      ->capture_default_str();
  run->add_option("--cache", f->cache, "Response cache (default: <results-dir>/cache.sqlite)");
  run->add_flag("--no-cache", f->no_cache, "Neither read nor write the response cache");
  run->add_option("--batch-size", f->options.batch_size,
                  "Requests per backend call (default: the backend's batch)")
      ->check(cli_integer(1, 1 << 20));
  run->add_option("--run-id", f->options.run_id,
                  "Name of the results directory: letters, digits, '.', '_', '-'");
  run->add_flag("--force", f->options.force, "Replace an existing run of the same --run-id");
  return {run, [f, context] { return run_command(*f, context); }};
}

}  // namespace moebench
