// Chat formatting around a math answer line, removed before minerva's normalization: what
// simple-evals leaves to its grader model (it compares the raw "Answer: ..." text by asking one).
#pragma once

#include <string>
#include <string_view>

namespace moebench {

// The answer without the chat formatting around it: markdown emphasis ('*' runs at either end,
// a '_' pair), one trailing period (not an ellipsis), and one delimiter pair around the whole
// answer (\( \), \[ \], $$ $$, $ $), repeated until nothing changes; then Unicode √N / √(…) /
// √{…} become \sqrt{…} and π becomes \pi. Delimiters inside the answer stay ("$5$;$10$").
std::string math_answer_cleanup(std::string_view answer);

}  // namespace moebench
