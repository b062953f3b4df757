// Fill-in-the-blank answers with several blanks ("$5$;$10$") and equation blanks ("$2x+y+1=0$"),
// compared blank by blank (agieval_gaokao_mathcloze). minerva's normalization alone keeps only
// the first $...$ pair and the text after the last '=', which misreads both kinds of gold.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace moebench {

// The blanks of an answer: split at the top level (outside {}, [] and ()) on ';' and '；', and
// with `commas` also on ',', '，' and '和'; a TeX spacing "\;" or "\," never splits. Each blank is
// stripped; empty ones are dropped.
std::vector<std::string> cloze_split_blanks(std::string_view answer, bool commas);

// Whether `pred` fills the blanks of `gold` (both as written, before normalization). The gold's
// blanks come from ';'/'；'; the prediction's from the same, or, when that gives another count,
// from commas and '和' as well; the counts must match. Blank by blank: minerva normalization, then
// string equality, or with `symbolic` math_equivalent. A gold blank holding '=' is an equation:
// neither side drops the text before '=', and `symbolic` compares the sides (either order) or
// their differences (lhs - rhs, either sign).
bool cloze_answers_match(std::string_view pred, std::string_view gold, bool symbolic);

}  // namespace moebench
