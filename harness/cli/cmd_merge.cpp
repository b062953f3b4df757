// `moebench merge RUN_DIR... -o OUT`: the runs of `--shard i/N` into the one run they are shards
// of.
#include <cstdio>
#include <memory>
#include <string>

#include "common/error_gate.h"
#include "harness/cli/cli_checks.h"
#include "harness/cli/cli_common.h"
#include "harness/cli/command.h"
#include "harness/results/run_merge.h"

namespace moebench {
namespace {

struct MergeFlags {
  std::vector<std::string> runs;
  std::string out;
  bool force = false;
  double max_error_rate = kDefaultMaxErrorRate;
};

// What `run` says after its table, for the whole merged run: the suites whose documents stopped
// while thinking or whose answers stopped at the token limit, and the failed samples by type with
// the first of each, as merge_runs counted them (reviewer 83, F9: merge printed only the error-rate
// gate). Returns the share of samples that failed.
double print_merged_failures(const MergeResult& r) {
  for (const SuiteResult& s : r.record.suites) {
    cli_warn_truncated_thinking(s.name, s.truncated_thinking, s.n_docs);
    cli_warn_token_limit(s.name, s.finish_reasons);
  }
  CliFailures failures;
  for (const auto& [type, f] : r.failures) {
    failures.add(type, f.first_doc, f.first_message, f.count);
  }
  return failures.print(r.record.docs);
}

int merge(const MergeFlags& f, const CliContext& context) {
  MergeOptions o;
  for (const std::string& run : f.runs) o.runs.emplace_back(run);
  o.out = f.out;
  o.force = f.force;
  o.command_line = context.command_line;
  o.max_error_rate = f.max_error_rate;
  const MergeResult r = merge_runs(o);
  cli_print_table_header();
  for (const SuiteResult& s : r.record.suites) {
    bool first = true;
    for (const auto& [id, m] : s.metrics) {
      cli_print_table_row(first ? s.name : "", id, m, first ? std::to_string(s.error_count()) : "");
      first = false;
    }
  }
  std::printf("\nmerged %d shards (%ld documents) into %s/run.json, samples.jsonl\n", r.shard_count,
              r.record.docs, r.dir.c_str());
  // The error-rate gate of `run`, over the whole run: a shard's share of a few failures is noise.
  const double failed = print_merged_failures(r);
  if (failed > f.max_error_rate) {
    std::fprintf(stderr,
                 "moebench: error: %.1f%% of the merged samples failed, more than "
                 "--max-error-rate %.1f%%; the run is written but its scores are not to be "
                 "trusted (exit %d)\n",
                 100 * failed, 100 * f.max_error_rate, kExitTooManyErrors);
    return kExitTooManyErrors;
  }
  return kExitOk;
}

}  // namespace

Command cmd_merge(CLI::App& app, const CliContext& context) {
  auto f = std::make_shared<MergeFlags>();
  CLI::App* merge_app = app.add_subcommand(
      "merge", "Merge the runs of --shard i/N into the one run they are shards of");
  merge_app->add_option("runs", f->runs, "The shard runs' directories (results/<run-id>)")
      ->required();
  merge_app->add_option("-o,--output", f->out, "The merged run's directory (results/<run-id>)")
      ->required()
      ->check(cli_output_dir());
  merge_app->add_flag("--force", f->force, "Replace an existing merged run of that name");
  merge_app
      ->add_option("--max-error-rate", f->max_error_rate,
                   "Exit 4 when more than this share of the merged samples failed (run the "
                   "shards with --max-error-rate 1: the gate belongs to the whole run)")
      ->check(cli_number_above(0, false, 1))
      ->capture_default_str();
  merge_app->footer(
      "The merged samples.jsonl is the unsharded run's order and every metric (mean, stderr, CI, "
      "subject groups) is aggregated again from it, so it equals the unsharded run's. Runs of "
      "different backends, seeds, limits, data scopes, suite versions or specs are refused, and "
      "so are missing or overlapping shards. Shards may come from different machines.");
  return {merge_app, [f, context] { return merge(*f, context); }};
}

}  // namespace moebench
