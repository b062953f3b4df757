// `moebench nightly CONFIG`: one night of the user's nightly evaluation, in stages a CI system can
// spread over machines (plan -> run per shard -> finish) or run all at once.
#include <unistd.h>

#include <cstdio>
#include <memory>

#include "backends/models_file.h"
#include "common/clock.h"
#include "common/error.h"
#include "harness/cli/cli_common.h"
#include "harness/cli/command.h"
#include "harness/cli/nightly_stages.h"

namespace moebench {
namespace fs = std::filesystem;
namespace {

struct NightlyFlags {
  std::string config, stage = "all", night, entry, shard;
  bool no_progress = false;
};

// moebench-kernels beside this moebench binary, for the gpu/ microbenchmarks.
std::vector<std::string> default_kernels_command() {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  return {(self.parent_path() / "moebench-kernels").string(), "--benchmark_filter=^gpu/",
          "--benchmark_repetitions=9", "--benchmark_format=json"};
}

int nightly(const NightlyFlags& f, const CliContext& context) {
  const NightlyConfig c = nightly_config_read(f.config, default_kernels_command());
  NightlyOptions o;
  o.night = f.night.empty() ? utc_today() : f.night;
  if (!models_date_valid(o.night)) {  // a calendar date: 2026-02-30 is none
    throw InputError("--night '" + o.night + "': expected YYYY-MM-DD");
  }
  o.entry = f.entry;
  if (!f.shard.empty()) {
    if (f.entry.empty()) throw InputError("--shard: needs --entry (a shard is of one entry)");
    run_parse_shard(f.shard, &o.shard_index, &o.shard_count);
  }
  o.progress = !f.no_progress;
  o.command_line = context.command_line;
  if (f.stage == "plan") {
    std::printf("%s\n", nightly_plan(c, o).c_str());
    return kExitOk;
  }
  if (f.stage == "run") return nightly_run(c, o);
  if (f.stage == "finish") return nightly_finish(c, o);
  const int ran = nightly_run(c, o);
  if (ran == kExitInterrupted) return ran;
  const int gate = nightly_finish(c, o);
  if (ran != kExitOk) {
    std::fprintf(stderr, "moebench: nightly: some runs failed (exit %d); see above\n", ran);
  }
  return gate != kExitOk ? gate : ran;
}

}  // namespace

Command cmd_nightly(CLI::App& app, const CliContext& context) {
  auto f = std::make_shared<NightlyFlags>();
  CLI::App* n = app.add_subcommand(
      "nightly",
      "One night of a nightly evaluation: run the config's entries, merge shards, "
      "compare with the previous night, benchmark kernels, publish, gate");
  n->add_option("config", f->config, "The nightly config (JSON; README \"Nightly CI\")")
      ->required();
  n->add_option("--stage", f->stage,
                "plan: print the shard matrix (JSON) | run: run entries/shards | finish: merge, "
                "compare, kernels, site, summary, gate | all: run then finish")
      ->check(CLI::IsMember({"plan", "run", "finish", "all"}))
      ->capture_default_str();
  n->add_option("--night", f->night, "The night (YYYY-MM-DD; default: today, UTC)");
  n->add_option("--entry", f->entry, "Only this entry of the config");
  n->add_option("--shard", f->shard, "With --entry and --stage run: only shard i/N");
  n->add_flag("--no-progress", f->no_progress, "No progress output");
  n->footer(
      "Runs go to <results>/<entry>-<night>[-shard<i>] (results from the config), kernel "
      "benchmarks to <results>/bench/<night>.json, the site to <results>/site/, the summary to "
      "<results>/nights/<night>/summary.md and gate.json (and $GITHUB_STEP_SUMMARY when set). "
      "Exit 1 names each regression (entry, suite, p-value) or failed entry on stderr.");
  return {n, [f, context] { return nightly(*f, context); }};
}

}  // namespace moebench
