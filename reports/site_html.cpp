// site_page and the number formatting of the report site.
#include "reports/site_html.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "common/error.h"
#include "common/file_write.h"
#include "reports/html_escape.h"

namespace moebench {

std::string site_page(const std::string& title, const std::string& root, const std::string& body) {
  // NOTE: the policy is a second wall behind escaping: even if some output slipped through
  // unescaped, no inline script, event handler, frame, form or remote load would run.
  return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
         "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
         "script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
         "base-uri 'none'; form-action 'none'; frame-src 'none'\">\n"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
         "<meta name=\"referrer\" content=\"no-referrer\">\n<title>" +
         html_escape(title) + "</title>\n<link rel=\"stylesheet\" href=\"" + root +
         "site.css\">\n<script src=\"" + root + "site.js\" defer></script>\n</head>\n<body>\n" +
         body + "\n</body>\n</html>\n";
}

void site_write_file(const std::filesystem::path& path, const std::string& content) {
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  write_file_atomic(path, content);  // a page is whole or not there, however the run ends
}

std::string fmt_fixed(std::optional<double> v, int decimals) {
  if (!v || !std::isfinite(*v)) return "—";
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", decimals, *v);
  return buf;
}

std::string fmt_percent(std::optional<double> fraction, int decimals) {
  if (!fraction) return "—";
  return fmt_fixed(100 * *fraction, decimals);
}

std::string fmt_usd(std::optional<double> usd) {
  if (!usd || !std::isfinite(*usd)) return "—";
  char buf[64];
  const double a = std::fabs(*usd);
  if (a == 0) return "$0";
  if (a < 0.01) {
    // Three significant digits in plain decimals ("$0.0000142"), never exponent form.
    const int decimals = std::min(15, 2 - static_cast<int>(std::floor(std::log10(a))));
    std::snprintf(buf, sizeof(buf), "$%.*f", decimals, *usd);
    return buf;
  }
  std::snprintf(buf, sizeof(buf), a >= 100 ? "$%.0f" : a >= 1 ? "$%.2f" : "$%.4f", *usd);
  return buf;
}

std::string fmt_sig3(double v, const std::vector<std::pair<double, const char*>>& units,
                     size_t unit) {
  char buf[64];
  // A value that rounds to 1000 of its unit is shown in the next one: "1 s", not "1e+03 ms".
  for (; unit + 1 < units.size(); ++unit) {
    std::snprintf(buf, sizeof(buf), "%.3g", v / units[unit].first);
    if (std::fabs(std::strtod(buf, nullptr)) < 1000) break;
  }
  std::snprintf(buf, sizeof(buf), "%.3g", v / units[unit].first);
  if (std::strchr(buf, 'e')) std::snprintf(buf, sizeof(buf), "%.0f", v / units[unit].first);
  return std::string(buf) + " " + units[unit].second;
}

std::string fmt_seconds(std::optional<double> s) {
  if (!s || !std::isfinite(*s)) return "—";
  static const std::vector<std::pair<double, const char*>> units = {
      {1e-6, "\xC2\xB5s"}, {1e-3, "ms"}, {1, "s"}};
  // Replayed responses: "0.191 µs", not "0.000191 ms"; 0 is "0 ms".
  return fmt_sig3(*s, units, *s > 0 && *s < 1e-3 ? 0 : *s < 1 ? 1 : 2);
}

std::string finish_reasons_note(const std::string& suite,
                                const std::map<std::string, long>& finish_reasons) {
  static const std::pair<const char*, const char*> kNoted[] = {
      {"length", "stopped at the token limit"}, {"content_filter", "withheld by the provider"}};
  long answers = 0;  // those whose finish reason the API told
  for (const auto& [why, n] : finish_reasons) answers += n;
  std::string out;
  for (const auto& [why, what] : kNoted) {
    const auto it = finish_reasons.find(why);
    if (it == finish_reasons.end() || it->second <= 0) continue;
    out += (out.empty() ? suite + ": " : "; ") + fmt_count(it->second) + " of " +
           fmt_count(answers) + " answers " + what + " (finish_reason " + why + ")";
  }
  return out;
}

std::string fmt_count(long n) {
  std::string digits = std::to_string(n < 0 ? -n : n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

std::string md_cell(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '|') {
      out += "\\|";
    } else if (c == '\n' || c == '\r') {
      out += ' ';
    } else if (c == '<') {
      out += "&lt;";
    } else {
      out += c;
    }
  }
  return out;
}

std::string data_value(std::optional<double> v) {
  if (!v || !std::isfinite(*v)) return "";
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.10g", *v);
  return buf;
}

std::string site_th_num(const std::string& label, const std::string& title) {
  return "<th data-sort=\"num\"" + (title.empty() ? "" : " title=\"" + html_escape(title) + "\"") +
         ">" + html_escape(label) + "</th>";
}

}  // namespace moebench
