// Registration entry points of the built-in filter and metric groups, one per source file
// family; scoring_register_builtins() (registry.cpp) calls each once.
#pragma once

namespace moebench {

void scoring_register_text();  // filters_text.cpp: regex, take_first, strip_think, letters,
                               // code_block
void scoring_register_basic_metrics();  // metrics_basic.cpp: exact_match, acc, acc_norm,
                                        // pass_at_k...
void scoring_register_math();  // metrics_math.cpp: minerva_answer, minerva_equiv, hendrycks_*
void scoring_register_code();  // filters_code.cpp: code_exec (the sandbox)

}  // namespace moebench
