// The cost section of the report: each `moebench cost --format json` file found under
// RESULTS_DIR/cost/ as a table of our $ per 1M tokens per batch size beside the API prices it
// was compared with.
#include <initializer_list>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "reports/cost.h"
#include "reports/html_escape.h"
#include "reports/report_site.h"
#include "reports/site_html.h"

namespace moebench {
namespace {

std::optional<double> num(const nlohmann::json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_number()) return std::nullopt;
  return j[key].get<double>();
}

std::string text(const nlohmann::json& j, const char* key) {
  if (!j.is_object() || !j.contains(key)) return "";
  return j[key].is_string() ? j[key].get<std::string>() : j[key].dump();
}

std::string row_label(const nlohmann::json& r) { return text(r, "label"); }

std::string price_cells(const nlohmann::json& r) {
  return "<td>" + fmt_usd(num(r, "input_usd_per_million")) + "</td><td>" +
         fmt_usd(num(r, "output_usd_per_million")) + "</td><td>" +
         fmt_usd(num(r, "blended_usd_per_million")) + "</td>";
}

// Rows costed from a run (cost --run) charge its one wall time to input and to output alike: the
// note says so and gives the run's own token mix, as the text report does.
std::vector<std::string> shared_time_notes(const nlohmann::json& c) {
  std::vector<std::string> notes;
  for (const auto& r : c["rows"]) {
    if (!r.value("shared_time", false) || !num(r, "all_tokens_usd_per_million")) continue;
    notes.push_back(row_label(r) +
                    ": prefill and decode share its wall time, so $/1M input and $/1M output each "
                    "charge all of it; its own token mix costs " +
                    fmt_usd(num(r, "all_tokens_usd_per_million")) + " per 1M tokens");
  }
  return notes;
}

// The notes under a cost table: the API prices' date and off-peak prices, then the shared-time
// notes of rows costed from a run.
std::vector<std::string> notes(const nlohmann::json& c) {
  std::vector<std::string> out = cost_api_notes(c);
  for (std::string& note : shared_time_notes(c)) out.push_back(std::move(note));
  return out;
}

// What a field read by the cost section must be: 'n' a number or null, 's' a string or null,
// 'b' true or false, 'o' an object or null, 'a' an array.
std::string field_problem(const nlohmann::json& obj, const std::string& where, const char* key,
                          char kind) {
  if (!obj.contains(key)) return "";
  const nlohmann::json& v = obj[key];
  const bool ok = kind == 'n'   ? v.is_number() || v.is_null()
                  : kind == 's' ? v.is_string() || v.is_null()
                  : kind == 'b' ? v.is_boolean()
                  : kind == 'o' ? v.is_object() || v.is_null()
                                : v.is_array();
  if (ok) return "";
  const char* want = kind == 'n'   ? "a number"
                     : kind == 's' ? "a string"
                     : kind == 'b' ? "true or false"
                     : kind == 'o' ? "an object"
                                   : "an array";
  return where + key + ": expected " + want;
}

using FieldKinds = std::initializer_list<std::pair<const char*, char>>;

// The first field of `fields` of another kind; "" when `obj` (at `where`, "" or "rows[3]") is an
// object with none.
std::string fields_problem(const nlohmann::json& obj, const std::string& where, FieldKinds fields) {
  if (!obj.is_object()) return (where.empty() ? "the file" : where) + ": expected an object";
  const std::string prefix = where.empty() ? "" : where + ".";
  for (const auto& [key, kind] : fields) {
    if (std::string p = field_problem(obj, prefix, key, kind); !p.empty()) return p;
  }
  return "";
}

std::string api_model_problem(const nlohmann::json& m, const std::string& where) {
  std::string p = fields_problem(m, where,
                                 {{"name", 's'},
                                  {"provider", 's'},
                                  {"model", 's'},
                                  {"priced", 'b'},
                                  {"currency", 's'},
                                  {"effective_from", 's'},
                                  {"effective_until", 's'},
                                  {"off_peak_in_effect", 'b'},
                                  {"input_cache_hit_usd_per_million", 'n'},
                                  {"input_cache_write_usd_per_million", 'n'},
                                  {"input_usd_per_million", 'n'},
                                  {"output_usd_per_million", 'n'},
                                  {"blended_usd_per_million", 'n'},
                                  {"off_peak", 'o'},
                                  {"standard", 'o'}});
  for (const char* key : {"off_peak", "standard"}) {
    if (!p.empty() || !m.contains(key) || m[key].is_null()) continue;
    p = fields_problem(m[key], where + "." + key,
                       {{"utc", 's'},
                        {"input_cache_hit_usd_per_million", 'n'},
                        {"input_usd_per_million", 'n'},
                        {"output_usd_per_million", 'n'}});
  }
  return p;
}

}  // namespace

std::string cost_table_problem(const nlohmann::json& c) {
  std::string p = fields_problem(c, "",
                                 {{"usd_per_hour", 'n'},
                                  {"gpu_usd_per_hour", 'n'},
                                  {"gpus", 'n'},
                                  {"inputs", 'o'},
                                  {"rows", 'a'}});
  if (!p.empty()) return p;
  for (size_t i = 0; i < c["rows"].size() && p.empty(); ++i) {
    p = fields_problem(c["rows"][i], "rows[" + std::to_string(i) + "]",
                       {{"label", 's'},
                        {"batch", 'n'},
                        {"prefill_tokens_per_s", 'n'},
                        {"decode_tokens_per_s", 'n'},
                        {"input_usd_per_million", 'n'},
                        {"output_usd_per_million", 'n'},
                        {"blended_usd_per_million", 'n'},
                        {"all_tokens_usd_per_million", 'n'},
                        {"shared_time", 'b'}});
  }
  if (!p.empty() || !c.contains("api")) return p;
  p = fields_problem(c["api"], "api",
                     {{"date", 's'}, {"models_file", 's'}, {"note", 's'}, {"models", 'a'}});
  const nlohmann::json models =
      p.empty() ? c["api"].value("models", nlohmann::json::array()) : nlohmann::json::array();
  for (size_t i = 0; i < models.size() && p.empty(); ++i) {
    p = api_model_problem(models[i], "api.models[" + std::to_string(i) + "]");
  }
  return p;
}

std::string site_cost_section(const std::vector<nlohmann::json>& costs) {
  if (costs.empty()) return "";
  std::string h = "<h2 id=\"cost\">Cost per 1M tokens</h2>\n";
  for (const nlohmann::json& c : costs) {
    h += "<p class=\"meta\">" + html_escape(text(c, "file")) + ": " +
         html_escape(cost_source_text(c.value("inputs", nlohmann::json()))) + "; " +
         fmt_usd(num(c, "usd_per_hour")) + "/hour (" + fmt_usd(num(c, "gpu_usd_per_hour")) +
         "/GPU-hour × " + html_escape(text(c, "gpus")) +
         "); input = prefill, output = decode, blended = (3·input + output)/4</p>\n"
         "<div class=\"table-wrap\"><table class=\"cost\"><thead><tr><th>row</th>"
         "<th>prefill tok/s</th><th>decode tok/s</th><th>$/1M input</th><th>$/1M output</th>"
         "<th>$/1M blended</th></tr></thead><tbody>\n";
    for (const auto& r : c["rows"]) {
      h += "<tr><td>" + html_escape(row_label(r)) + "</td><td>" +
           fmt_fixed(num(r, "prefill_tokens_per_s"), 0) + "</td><td>" +
           fmt_fixed(num(r, "decode_tokens_per_s"), 0) + "</td>" + price_cells(r) + "</tr>\n";
    }
    const nlohmann::json api = c.value("api", nlohmann::json::object());
    for (const auto& m : api.value("models", nlohmann::json::array())) {
      h += "<tr><td>API: " + html_escape(cost_api_label(m, text(api, "date"))) +
           "</td><td></td><td></td>" + price_cells(m) + "</tr>\n";
    }
    h += "</tbody></table></div>\n";
    for (const std::string& note : notes(c)) {
      h += "<p class=\"meta\">" + html_escape(note) + "</p>\n";
    }
  }
  return h;
}

std::string report_cost_markdown(const std::vector<nlohmann::json>& costs) {
  std::string h;
  for (const nlohmann::json& c : costs) {
    h += "\n### Cost per 1M tokens: " + text(c, "file") + " (" + fmt_usd(num(c, "usd_per_hour")) +
         "/hour)\n\n" + cost_source_text(c.value("inputs", nlohmann::json())) +
         "\n\n| row | $/1M input | $/1M output | $/1M blended |\n|---|---:|---:|---:|\n";
    auto line = [](const std::string& label, const nlohmann::json& r) {
      return "| " + label + " | " + fmt_usd(num(r, "input_usd_per_million")) + " | " +
             fmt_usd(num(r, "output_usd_per_million")) + " | " +
             fmt_usd(num(r, "blended_usd_per_million")) + " |\n";
    };
    for (const auto& r : c["rows"]) h += line(row_label(r), r);
    const nlohmann::json api = c.value("api", nlohmann::json::object());
    for (const auto& m : api.value("models", nlohmann::json::array())) {
      h += line("API: " + cost_api_label(m, text(api, "date")), m);
    }
    for (const std::string& note : notes(c)) h += "\n" + note + "\n";
  }
  return h;
}

}  // namespace moebench
