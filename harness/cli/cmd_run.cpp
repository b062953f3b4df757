// `moebench run` and `moebench rescore`: run the pipeline, print the summary and where it went.
#include <cstdio>

#include "harness/cli/cli_common.h"

namespace moebench {

int cli_run(RunOptions options) {
  RunOutcome out = run_evaluation(options);
  if (out.interrupted) {
    std::fprintf(stderr,
                 "moebench: interrupted; %ld responses are in the cache. Run the same command "
                 "again to resume.\n",
                 out.requests_sent + out.cache_hits);
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
  return kExitOk;
}

}  // namespace moebench
