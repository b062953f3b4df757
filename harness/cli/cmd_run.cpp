// `moebench run` and `moebench rescore`: run the pipeline, print the summary and where it went.
#include <cstdio>

#include "harness/cli/cli_common.h"

namespace moebench {

int cli_run(RunOptions options) {
  RunOutcome out = run_evaluation(options);
  if (out.interrupted) {
    long answered = 0;  // errors are never cached
    for (const SuiteRun& run : out.suites) {
      for (const Response& r : run.responses)
        answered += !r.error && !(r.texts.empty() && r.logliks.empty());
    }
    std::fprintf(stderr,
                 "moebench: interrupted; %ld of %ld responses are in the cache%s. Run the same "
                 "command again to resume.\n",
                 options.use_cache ? answered : 0L, out.docs,
                 options.use_cache ? "" : " (--no-cache: none kept)");
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

}  // namespace moebench
