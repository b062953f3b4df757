// Scores every response (filters + metrics, code through the sandbox) on a thread pool, then
// aggregates per suite and per subject.
#pragma once

#include "harness/runner/runner.h"

namespace moebench {

// Fills SuiteRun::scores and SuiteRun::errors. A response with an error, or one whose scoring
// throws, gets an empty DocScore and is counted under its error type.
void score_all(std::vector<SuiteRun>& runs, Sandbox* sandbox, int threads, bool progress);

// Fills SuiteRun::metrics and ::groups. A sample with an error counts as 0 for every metric (a
// missing answer is a wrong answer); n is always the number of selected documents.
void aggregate_all(std::vector<SuiteRun>& runs);

}  // namespace moebench
