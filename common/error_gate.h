// The error gate's default: a run where more than this share of the samples failed is written
// but exits 4 ("not to be trusted"), and the reports never let it displace a run within its gate.
// run, rescore, merge and the nightly config take it as --max-error-rate / max_error_rate; the
// reports hold a run.json without the field to it.
#pragma once

namespace moebench {

inline constexpr double kDefaultMaxErrorRate = 0.05;

}  // namespace moebench
