// Registration entry points of the built-in filter and metric groups, one per source file
// family; scoring_register_builtins() (registry.cpp) calls each once.
#pragma once

namespace moebench {

void scoring_register_text();  // filters_text.cpp: regex, take_first, strip_think, letters,
                               // code_block
void scoring_register_basic_metrics();  // metrics_basic.cpp: exact_match, acc, acc_norm,
                                        // pass_at_k...
void scoring_register_math();          // metrics_math.cpp: minerva_*, math_answer_cleanup, cloze_*,
                                       // hendrycks_*
void scoring_register_code();          // filters_code.cpp: code_exec (the sandbox)
void scoring_register_simple_evals();  // filters_simple_evals.cpp: simple_evals_mc,
                                       // simple_evals_answer, mgsm_answer, simple_evals_code,
                                       // mgsm_match

}  // namespace moebench
