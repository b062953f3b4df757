// Pieces every page of the report site shares: the page frame (with its Content-Security-Policy:
// the pages load only the site's own script and stylesheet), number formatting, and the assets.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace moebench {

// A whole HTML page. `root` is the relative path from the page to the site root ("" or "../../").
// `title` is escaped here; `body` is HTML the caller built from escaped pieces.
std::string site_page(const std::string& title, const std::string& root, const std::string& body);

// Writes site.css and site.js into the site root.
void site_write_assets(const std::filesystem::path& out_dir);

// Writes a file of the site whole (creating directories; write_file_atomic), EnvironmentError
// naming it on failure.
void site_write_file(const std::filesystem::path& path, const std::string& content);

// Formatting for table cells; "—" for a missing value.
std::string fmt_fixed(std::optional<double> v, int decimals);
std::string fmt_percent(std::optional<double> fraction, int decimals = 1);  // 0.823 -> "82.3"
std::string fmt_usd(std::optional<double> usd);                             // "$0.0123", "$12.30"
std::string fmt_seconds(std::optional<double> s);  // "840 ms", "12 ms", "3.1 µs", "1234 s"
// v in units[unit] (scale, name), ascending) with 3 significant digits and never an exponent; a
// value that rounds to 1000 of its unit moves to the next ("1 s", not "1e+03 ms").
std::string fmt_sig3(double v, const std::vector<std::pair<double, const char*>>& units,
                     size_t unit);
std::string fmt_count(long n);  // "1,319"
// Untrusted text (model, suite, file names) made safe inside a Markdown table cell: '|' escaped,
// line breaks to spaces, '<' as &lt; so no HTML reaches a renderer that allows it.
std::string md_cell(const std::string& text);
// A data-value attribute for sorting: the number, or "" when missing.
std::string data_value(std::optional<double> v);
// A suite's answers cut or withheld, from its finish reason counts (run.json
// suites.<s>.finish_reasons), as the end-of-run warning says them: "gsm8k: 3 of 4 answers stopped
// at the token limit (finish_reason length); 1 of 4 answers withheld by the provider
// (finish_reason content_filter)". "" when neither happened. Plain text (the caller escapes it).
std::string finish_reasons_note(const std::string& suite,
                                const std::map<std::string, long>& finish_reasons);
// A sortable numeric column's header cell (label and title escaped here).
std::string site_th_num(const std::string& label, const std::string& title = "");

}  // namespace moebench
