// "Published vs measured": a run that says which published model it is (run.json
// backend.published_as) set against the numbers its papers print (reports/published_scores.h), as
// a section of the run page and as a table of the Markdown summary.
#include <map>
#include <utility>

#include "reports/html_escape.h"
#include "reports/report_site.h"
#include "reports/site_html.h"

namespace moebench {
namespace {

std::string esc(const std::string& s) { return html_escape(s); }

// "+0.90", "-1.25"; "—" when missing.
std::string fmt_signed(std::optional<double> v, int decimals) {
  if (!v) return "—";
  return (*v >= 0 ? "+" : "") + fmt_fixed(v, decimals);
}

std::string fmt_with_ci(std::optional<double> v, std::optional<double> ci, bool sign) {
  if (!v) return "—";
  return (sign ? fmt_signed(v, 2) : fmt_fixed(v, 2)) + (ci ? " ± " + fmt_fixed(ci, 2) : "");
}

// The published score's place in its paper: "Table 3 (...), row 'GSM8K (EM), 8-shot', column
// 'DeepSeek-V3'". Plain text.
std::string source_text(const PublishedSource& s) {
  return s.table + ", row '" + s.row + "', column '" + s.column + "'";
}

const char* verdict_class(PublishedVerdict v) {
  switch (v) {
    case PublishedVerdict::kWithinCi:
      return "verdict pass";
    case PublishedVerdict::kBelow:
      return "verdict fail";
    case PublishedVerdict::kAbove:
      return "verdict partial";
    default:
      return "muted";
  }
}

bool is_web_url(const std::string& url) {
  return url.rfind("https://", 0) == 0 || url.rfind("http://", 0) == 0;
}

std::string row_html(const PublishedComparison& c) {
  const PublishedScore& p = *c.published;
  const bool comparable = c.verdict != PublishedVerdict::kNotComparable;
  const std::string document =
      is_web_url(p.source.url)
          ? "<a href=\"" + esc(p.source.url) +
                "\" rel=\"noopener\" title=\"the page the number was checked against\">" +
                esc(p.source.document) + "</a>"
          : esc(p.source.document);
  return "<tr><td>" + esc(c.suite_key) + "</td><td>" + esc(p.profile) + "</td><td data-value=\"" +
         data_value(p.score) + "\">" + fmt_fixed(p.score, 1) + " <span class=\"muted\">" +
         esc(p.metric) + "</span></td><td class=\"text\">" + document +
         "<br><span class=\"muted\">" + esc(source_text(p.source)) +
         "</span></td><td data-value=\"" + data_value(c.measured) + "\">" +
         fmt_with_ci(c.measured, c.ci95, false) + " <span class=\"muted\">" + esc(c.metric_id) +
         (comparable ? "" : ", " + esc(c.run_profile)) + "</span></td><td data-value=\"" +
         data_value(c.delta) + "\">" + fmt_with_ci(c.delta, c.delta ? c.ci95 : std::nullopt, true) +
         "</td><td><span class=\"" + verdict_class(c.verdict) + "\">" + esc(c.verdict_text()) +
         "</span></td><td data-value=\"" + std::to_string(c.n) + "\">" + std::to_string(c.n) +
         "</td><td class=\"text\">" + "<small class=\"muted\">" + esc(p.notes) +
         "</small></td></tr>\n";
}

std::string md_row(const std::string& run_id, const std::string& model,
                   const PublishedComparison& c, long n_docs) {
  const PublishedScore& p = *c.published;
  return "| " + md_cell(run_id) + " | " + md_cell(model) + " | " + md_cell(c.suite_key) + " | " +
         md_cell(p.profile) + " | " + fmt_fixed(p.score, 1) + " " + md_cell(p.metric) + " | " +
         md_cell(p.source.document + ": " + source_text(p.source)) + " | " +
         fmt_with_ci(c.measured, c.ci95, false) + " | " +
         fmt_with_ci(c.delta, c.delta ? c.ci95 : std::nullopt, true) + " | " +
         md_cell(c.verdict_text()) + " | " + std::to_string(n_docs) + " |\n";
}

}  // namespace

std::string run_published_as(const RunSummary& run) {
  if (!run.raw.is_object() || !run.raw.contains("backend")) return "";
  const nlohmann::json& b = run.raw["backend"];
  if (!b.is_object() || !b.contains("published_as") || !b["published_as"].is_string()) return "";
  return b["published_as"].get<std::string>();
}

namespace {

// Why the run's documents or shots are not a paper's (its rescore's recorded run's options).
std::string run_setup(const RunSummary& run) {
  if (!run.raw.is_object()) return "";
  const nlohmann::json rescore = run.raw.value("rescore", nlohmann::json());
  if (rescore.is_object() && rescore.value("options", nlohmann::json()).is_object()) {
    return published_setup_differs(rescore["options"]);
  }
  return published_setup_differs(run.raw.value("options", nlohmann::json()));
}

}  // namespace

std::string site_published_section(const RunSummary& run, const PublishedScores& table) {
  const std::string model = run_published_as(run);
  if (model.empty() || !table.has_model(model)) return "";
  const auto rows = published_compare_suites(table, model, run.suites, run_setup(run));
  std::string h =
      "<h2>Published vs measured</h2>\n<p class=\"meta\">This run says it is <strong>" +
      esc(model) + "</strong> (backend.published_as). Published: the paper's number (" +
      esc(table.file.filename().string()) +
      "). Measured: the suite's primary metric ± 95% CI (1.96·stderr), in %; Δ = measured − "
      "published in points, ± the same CI; n the suite's documents. Compared only when the suite "
      "ran under the profile whose settings the paper used and by its method (log-likelihood or "
      "generation, raw prompts or chat), on the full data with the profile's own shots (not "
      "--samples, --limit, an unmerged --shard, --num-fewshot, --gen-kwargs or an own copy of "
      "the data).</p>\n";
  if (rows.empty()) {
    return h + "<p class=\"muted\">None of this run's suites has a published score for it.</p>\n";
  }
  h += "<div class=\"table-wrap\"><table id=\"published\" class=\"sortable\"><thead><tr>"
       "<th data-sort=\"text\">suite</th><th data-sort=\"text\">profile</th>"
       "<th data-sort=\"num\">published %</th><th class=\"text\">source</th>"
       "<th data-sort=\"num\">measured %</th><th data-sort=\"num\">Δ pp</th>"
       "<th data-sort=\"text\">verdict</th><th data-sort=\"num\">n</th>"
       "<th class=\"text\">notes</th></tr></thead><tbody>\n";
  for (const PublishedComparison& c : rows) h += row_html(c);
  return h + "</tbody></table></div>\n";
}

std::string report_published_markdown(const std::vector<RunSummary>& runs,
                                      const PublishedScores& table) {
  // Per claimed model and suite key, the run covering the most documents of the suite (a full
  // run over a --limit one, an unsharded or merged run over a shard), the newest of those (runs
  // are oldest first); a run over its error gate (exit 4) only when no run within its gate is.
  std::map<std::pair<std::string, std::string>, std::pair<const RunSummary*, std::string>> latest;
  for (const RunSummary& run : runs) {
    const std::string model = run_published_as(run);
    if (model.empty() || !table.has_model(model)) continue;
    for (const SuiteResult& s : run.suites) {
      if (table.find(model, s.name).empty()) continue;
      auto& chosen = latest[{model, s.name}];
      const auto rank = [](const RunSummary& r, const SuiteResult& x) {
        return std::pair(!r.over_error_gate, x.n_docs);
      };
      if (!chosen.first || rank(run, s) >= rank(*chosen.first, *chosen.first->suite(s.name))) {
        chosen = {&run, model};
      }
    }
  }
  if (latest.empty()) return "";
  std::string h =
      "\n### Published vs measured\n\nPer model a run says it is (backend.published_as) and "
      "suite, the run of the most documents (the newest of those) against the paper's number; "
      "measured ± 95% CI in %, Δ = measured − published in points, n the run's documents. "
      "Compared only under the paper's profile and by its method, on the full data with its own "
      "shots (not --samples, --limit, an unmerged --shard, --num-fewshot, --gen-kwargs or an own "
      "copy of the data).\n\n"
      "| run | model | suite | profile | published % | source | measured % | Δ pp | verdict | n |\n"
      "|---|---|---|---|---:|---|---:|---:|---|---:|\n";
  for (const auto& [key, value] : latest) {
    const auto& [run, model] = value;
    const SuiteResult* s = run->suite(key.second);
    if (!s) continue;
    for (const PublishedScore* p : table.find(model, s->name)) {
      h += md_row(run->run_id, model, published_compare(*p, *s, run_setup(*run)), s->n_docs);
    }
  }
  return h;
}

}  // namespace moebench
