// Names fitted into a fixed number of characters (chart labels, table headers) so that different
// names stay different when they are cut.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace moebench {

// At most max_chars code points, "…" last when cut; cuts only at a code point boundary.
std::string text_truncate(const std::string& s, size_t max_chars);

// Each name in at most max_chars code points, and two different names never get the same label:
// names that would be cut to the same text keep their distinguishing part instead, as
// "head…tail" when their ends differ, else "head…<window at the first difference>…"; should two
// labels still coincide, every label is numbered ("#3 name…"). Equal names get equal labels
// (unless numbered). max_chars >= 8 keeps the labels readable.
std::vector<std::string> text_fit_distinct(const std::vector<std::string>& names, size_t max_chars);

}  // namespace moebench
